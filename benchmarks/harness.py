"""`python -m benchmarks`: build synthetic directories, serve them, load them, report.

Each database at each size is one phase, run in a process of its own (benchmarks/phase.py);
this process only prepares the shared pieces (geocoder data, static files), runs the phases one
after another and prints their tables as they finish.
"""

import argparse
import json
import os
import secrets
import shlex
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks import report
from benchmarks.load import wrk_path
from benchmarks.phase import SERVER_FAILED

ROOT = Path(__file__).resolve().parent.parent
# The analysis of the last run, written by hand and included in the written report.
NOTES = ROOT / "docs" / "benchmarks-notes.md"
# The harness sets these for every process it starts; a developer's own values must not leak
# in (DEBUG or SECURE would change what is measured, REDIS_URL would share a cache between runs
# of different data). Any other settings variable set in the environment applies, so a run can
# try one (CONN_MAX_AGE=0, say).
OWNED = (
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECURE",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "ORGSITE_VAR_DIR",
    "REDIS_URL",
    "SEARCH_CACHE_SECONDS",
)


def groups_count(text):
    """100000, 100_000, 100k or 1m."""
    value = text.strip().lower().replace("_", "").replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(value[-1:], 1)
    number = value[:-1] if scale != 1 else value
    try:
        count = int(float(number) * scale)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of groups: {text!r}") from None
    if count < 50:
        raise argparse.ArgumentTypeError("at least 50 groups")
    return count


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Load a synthetic directory, serve it under gunicorn, measure every endpoint.",
    )
    parser.add_argument(
        "--groups",
        default="100000",
        help="groups in the directory; several sizes separated by commas (1000,100k,1m)",
    )
    parser.add_argument(
        "--databases",
        help="sqlite, postgres or both (default: sqlite, plus postgres when DATABASE_URL is one)",
    )
    parser.add_argument("--duration", type=float, help="seconds per endpoint (default 8)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per endpoint (default 1)")
    parser.add_argument("--quick", action="store_true", help="2 s per endpoint, fewer rounds")
    parser.add_argument("--write", metavar="FILE", help="also write the report in Markdown")
    parser.add_argument(
        "--notes",
        metavar="FILE",
        default=str(NOTES),
        help=f"Markdown analysis to include (default: {NOTES.relative_to(ROOT)}, kept by hand)",
    )
    parser.add_argument(
        "--rewrite",
        metavar="RUN",
        help="write the report (--write) again from a saved run (var/bench/last-run.json) with "
        "the current notes, measuring nothing",
    )
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator (auto: wrk where installed)",
    )
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="gunicorn workers")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds before a request fails")
    parser.add_argument(
        "--cache", default="on,off", help="search cache modes to run: on, off or both"
    )
    parser.add_argument("--rounds", type=int, help="in-process requests per endpoint (default 20)")
    parser.add_argument("--zips", type=int, default=200, help="ZIP codes for the rotating search")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic directory")
    parser.add_argument(
        "--var-dir", default=str(ROOT / "var" / "bench"), help="SQLite files, static, logs"
    )
    args = parser.parse_args(argv)
    try:
        args.sizes = [groups_count(x) for x in args.groups.split(",") if x.strip()]
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    if args.duration is None:
        args.duration = 2.0 if args.quick else 8.0
    if args.warmup is None:
        args.warmup = 0.5 if args.quick else 1.0
    if args.rounds is None:
        args.rounds = 5 if args.quick else 20
    args.budget = 1.0 if args.quick else 3.0
    args.cache_modes = [m.strip() for m in args.cache.split(",") if m.strip()]
    if not args.cache_modes or set(args.cache_modes) - {"on", "off"}:
        parser.error("--cache takes on, off or on,off")
    if args.client == "wrk" and not wrk_path():
        parser.error("--client wrk: wrk is not installed")
    url = os.environ.get("DATABASE_URL", "")
    postgres_url = url if url.startswith(("postgres://", "postgresql://")) else ""
    if args.databases is None:
        args.databases = ["sqlite"] + (["postgres"] if postgres_url else [])
    else:
        args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
        if set(args.databases) - {"sqlite", "postgres"}:
            parser.error("--databases takes sqlite, postgres or sqlite,postgres")
        if "postgres" in args.databases and not postgres_url:
            parser.error("--databases postgres needs DATABASE_URL=postgres://... (the server)")
    args.postgres_url = bench_url(postgres_url) if postgres_url else ""
    return args


def bench_url(url):
    """The developer's PostgreSQL URL with the database renamed to <name>_bench."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "orgsite"
    if not name.endswith("_bench"):
        name = f"{name}_bench"
    return parts._replace(path=f"/{name}").geturl()


def base_env(args):
    env = {k: v for k, v in os.environ.items() if k not in OWNED}
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1",
        ORGSITE_VAR_DIR=str(Path(args.var_dir).resolve()),
        # The harness's own processes measure uncached; the servers get the cache per run.
        SEARCH_CACHE_SECONDS="0",
        PYTHONUNBUFFERED="1",
    )
    return env


def prepare(env, var_dir):
    """Geocoder data and static files in the bench folder (no-ops when up to date)."""
    say = report_progress
    env = env | {"DATABASE_URL": f"sqlite:///{var_dir / 'prepare.sqlite3'}"}
    for command in (["build_geocoder", "-v", "0"], ["collectstatic", "--no-input", "-v", "0"]):
        started = time.perf_counter()
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True
        )
        say(f"{command[0]}: {time.perf_counter() - started:.1f} s")


def report_progress(message):
    elapsed = int(time.time() - float(os.environ["BENCH_STARTED"]))
    print(f"[{elapsed // 60}:{elapsed % 60:02d}] {message}", file=sys.stderr, flush=True)


def run_phase(args, env, database, groups, index):
    var_dir = Path(args.var_dir).resolve()
    sqlite_path = var_dir / f"bench-{groups}.sqlite3"
    url = args.postgres_url if database == "postgres" else f"sqlite:///{sqlite_path}"
    out = var_dir / f"result-{database}-{groups}.json"
    out.unlink(missing_ok=True)
    spec = {
        "database": database,
        "groups": groups,
        "seed": args.seed,
        "database_url": url,
        "sqlite_path": str(sqlite_path),
        "var_dir": str(var_dir),
        "duration": args.duration,
        "warmup": args.warmup,
        "connections": args.connections,
        "timeout": args.timeout,
        "client": args.client,
        "workers": args.workers,
        "rounds": args.rounds,
        "budget": args.budget,
        "zips": args.zips,
        "cache_modes": args.cache_modes,
        "out": str(out),
    }
    spec_path = var_dir / f"spec-{index}.json"
    spec_path.write_text(json.dumps(spec))
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "benchmarks.phase", str(spec_path)],
        cwd=ROOT,
        env=env | {"DATABASE_URL": url},
    )
    spec_path.unlink(missing_ok=True)
    if done.returncode == SERVER_FAILED:
        sys.exit(SERVER_FAILED)
    if done.returncode:
        sys.exit(f"The {database} phase at {groups:,} groups failed (exit {done.returncode}).")
    return json.loads(out.read_text())


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.rewrite:
        return rewrite(args)
    started = time.perf_counter()
    var_dir = Path(args.var_dir).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    # Progress lines in every process show the time since this one started.
    os.environ["BENCH_STARTED"] = str(time.time())
    load_before = report.load_average()
    env = base_env(args)
    prepare(env, var_dir)
    settings = {
        "workers": args.workers,
        "connections": args.connections,
        "duration": args.duration,
        "warmup": args.warmup,
    }
    results = []
    index = 0
    for groups in args.sizes:
        for database in args.databases:
            index += 1
            result = run_phase(args, env, database, groups, index)
            results.append(result)
            for mode in result["load"]:
                print("\n" + report.load_table(result, mode, settings).text(), flush=True)
    print()
    for table in report.tables(results, settings):
        if table.title.startswith(("Building", "Targets")) or "in-process" in table.title:
            print(table.text() + "\n", flush=True)
    seconds = time.perf_counter() - started
    print(f"Total time: {seconds / 60:.1f} minutes.")
    if args.write:
        run = {
            "machine": report.machine(),
            "date": report.now(),
            "commit": report.commit(),
            "command": shlex.join(["python", "-m", "benchmarks", *argv]),
            "seconds": seconds,
            "load_average": (load_before, report.load_average()),
        }
        saved = var_dir / "last-run.json"
        saved.write_text(json.dumps({"results": results, "settings": settings, "run": run}))
        write_report(args, results, settings, run)
        print(f"Wrote {args.write} (the run is kept in {saved}, for --rewrite).")
    return 0


def write_report(args, results, settings, run):
    notes = Path(args.notes).read_text() if Path(args.notes).is_file() else ""
    Path(args.write).write_text(report.markdown(results, settings, run, notes))


def rewrite(args):
    """The report of a saved run again, with the notes as they are now."""
    if not args.write:
        print("--rewrite needs --write FILE", file=sys.stderr)
        return 2
    try:
        saved = json.loads(Path(args.rewrite).read_text())
        results, settings, run = saved["results"], saved["settings"], saved["run"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"cannot read the saved run {args.rewrite}: {error}", file=sys.stderr)
        return 2
    write_report(args, results, settings, run)
    print(f"Wrote {args.write} from {args.rewrite}.")
    return 0
