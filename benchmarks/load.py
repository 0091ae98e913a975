"""Load generators, run as a second process: `wrk` where installed, else a small Python client.

Both take the same inputs (paths requested in turn, connections, a warm-up and a measured
duration, a per-request timeout) and give the same result: requests, requests/s, p50/p95/p99 in
milliseconds, and errors (answers that are not 2xx plus socket errors and timeouts).

The Python client runs as `python -m benchmarks.load ...` and prints its result as JSON. Each
connection is a thread with one keep-alive `http.client` connection (gunicorn's sync workers
close it after each answer, and it is reopened, as wrk does). The GIL caps it at a few thousand
requests/s, so the floor it measures is lower than wrk's: compare ratios within one client.
"""

import argparse
import http.client
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.endpoints import PROXY_HEADERS

HOST = "127.0.0.1"
WRK_SCRIPT = Path(__file__).with_name("wrk.lua")


def wrk_path():
    return shutil.which("wrk")


def drive(port, paths, *, duration, warmup, connections, timeout, client="auto"):
    """Load 127.0.0.1:`port` with `paths` in turn; return the measured window's result."""
    if client == "auto":
        client = "wrk" if wrk_path() else "python"
    with tempfile.NamedTemporaryFile("w", suffix=".paths", delete=False) as listing:
        listing.write("\n".join(paths) + "\n")
    try:
        if client == "wrk":
            if warmup > 0:
                _wrk(port, listing.name, warmup, connections, timeout)
            result = _wrk(port, listing.name, duration, connections, timeout)
        else:
            result = _python(port, listing.name, duration, warmup, connections, timeout)
    finally:
        os.unlink(listing.name)
    result["client"] = client
    return result


def _wrk(port, paths_file, seconds, connections, timeout):
    threads = max(1, min(connections, os.cpu_count() or 1))
    # wrk takes whole seconds.
    command = [
        wrk_path() or "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        f"--timeout={max(1, math.ceil(timeout))}s",
        f"--script={WRK_SCRIPT}",
        f"http://{HOST}:{port}",
        "--",
        paths_file,
        str(threads),
    ]
    done = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
    out = done.stdout + done.stderr
    if done.returncode and "unable to connect" in out:
        # wrk stops at once when its first connection is refused: every connection failed.
        return {
            "requests": 0, "seconds": seconds, "rps": 0.0, "p50": None, "p95": None,
            "p99": None, "non2xx": 0, "socket_errors": connections, "errors": connections,
        }  # fmt: skip
    line = next((x for x in out.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode or line is None:
        raise RuntimeError(f"wrk failed (exit {done.returncode}):\n{out}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    seconds_run = raw["duration_us"] / 1e6
    socket_errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    done = raw["requests"]
    return {
        "requests": done,
        "seconds": seconds_run,
        "rps": done / seconds_run if seconds_run else 0.0,
        # wrk keeps latencies of requests within the timeout only; with none, it says 0.
        "p50": raw["p50_us"] / 1e3 if raw["p50_us"] else None,
        "p95": raw["p95_us"] / 1e3 if raw["p95_us"] else None,
        "p99": raw["p99_us"] / 1e3 if raw["p99_us"] else None,
        "non2xx": raw["non2xx"],
        "socket_errors": socket_errors,
        "errors": raw["non2xx"] + socket_errors,
    }


def _python(port, paths_file, duration, warmup, connections, timeout):
    command = [
        sys.executable,
        "-m",
        "benchmarks.load",
        f"--port={port}",
        f"--paths-file={paths_file}",
        f"--duration={duration}",
        f"--warmup={warmup}",
        f"--connections={connections}",
        f"--timeout={timeout}",
    ]
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=True, cwd=root
    ).stdout
    return json.loads(out)


def percentile(ordered, p):
    """The p-th percentile (nearest rank) of an ascending list, or None when it is empty."""
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def run_client(port, paths, duration, warmup, connections, timeout):
    """The bundled client: `connections` threads, each with its own keep-alive connection."""
    started = time.perf_counter()
    measure_from = started + warmup
    measure_until = measure_from + duration
    lock = threading.Lock()
    latencies, counts = [], {"non2xx": 0, "socket_errors": 0}

    def worker(index):
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        mine, non2xx, failed = [], 0, 0
        turn = index * len(paths) // connections
        while True:
            begin = time.perf_counter()
            if begin >= measure_until:
                break
            path = paths[turn % len(paths)]
            turn += 1
            try:
                conn.request("GET", path, headers=PROXY_HEADERS)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                status = None
            end = time.perf_counter()
            if measure_from <= end <= measure_until:
                if status is None:
                    failed += 1
                else:
                    mine.append(end - begin)
                    non2xx += not 200 <= status <= 299
        conn.close()
        with lock:
            latencies.extend(mine)
            counts["non2xx"] += non2xx
            counts["socket_errors"] += failed

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        # A request still waiting at the end is abandoned, as wrk abandons it.
        thread.join(max(0.0, measure_until - time.perf_counter()) + timeout + 1)
    with lock:
        ordered = sorted(latencies)
        non2xx, socket_errors = counts["non2xx"], counts["socket_errors"]
    done = len(ordered)
    ms = [x * 1e3 for x in ordered]
    return {
        "requests": done,
        "seconds": duration,
        "rps": done / duration if duration else 0.0,
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "non2xx": non2xx,
        "socket_errors": socket_errors,
        "errors": non2xx + socket_errors,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description="The benchmark's bundled HTTP load client.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--paths-file", required=True, help="paths to request in turn, one a line")
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv)
    paths = [x for x in Path(args.paths_file).read_text().splitlines() if x]
    result = run_client(
        args.port, paths, args.duration, args.warmup, args.connections, args.timeout
    )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()
    # Threads abandoned on a slow answer must not keep the process alive.
    os._exit(0)


if __name__ == "__main__":
    main()
