"""`make bench`: a synthetic national directory served under gunicorn and measured under load.

Run `python -m benchmarks --help`; docs/benchmarks.md describes the method and holds the last
results.
"""
