"""Abuse controls for every public form: signed tokens, client hashes, rate limits, spam checks.

Neutral ground: the contact relay (referrals) and the curation forms both build on it, and it
imports neither.
"""
