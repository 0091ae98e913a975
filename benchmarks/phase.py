"""One database at one size: make the database, load it, time requests in-process, then serve
it under gunicorn and load every endpoint with the search cache on and off.

Run by the harness as `python -m benchmarks.phase SPEC.json` in an environment it prepared
(production settings through benchmarks.settings, DATABASE_URL naming the bench database); it
writes its results as JSON to the file the spec names. A process per phase because Django's
settings, and so its database, are fixed once a process has read them.
"""

import json
import os
import sqlite3
import statistics
import sys
import time
from itertools import cycle
from pathlib import Path

from benchmarks import endpoints as ep
from benchmarks.load import drive
from benchmarks.server import Server, ServerError

# Exit status when gunicorn cannot start: the harness reports it as such (tests skip on it).
SERVER_FAILED = 3


STARTED = time.time()


def say(message):
    elapsed = int(time.time() - float(os.environ.get("BENCH_STARTED", STARTED)))
    print(f"[{elapsed // 60}:{elapsed % 60:02d}] {message}", file=sys.stderr, flush=True)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(argv[0]).read_text())
    fresh_database(spec)
    try:
        result = run(spec)
    except ServerError as error:
        say(f"gunicorn could not start: {error}")
        return SERVER_FAILED
    finally:
        drop_database(spec)
    Path(spec["out"]).write_text(json.dumps(result, indent=1))
    return 0


def run(spec):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from benchmarks import synthetic

    name = f"{spec['database']}, {spec['groups']:,} groups"
    result = {"database": spec["database"], "groups": spec["groups"], "timings": {}}

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    result["timings"]["migrate"] = time.perf_counter() - started
    synthetic.keep_places_in(spec["var_dir"])
    synthetic.us_places()  # read the place data before the clock starts: it is not the load

    def progress(done, total):
        if done == total or done % 100_000 == 0:
            say(f"  {name}: {done:,} of {total:,} groups written")

    report = synthetic.load(spec["groups"], seed=spec["seed"], progress=progress)
    result["timings"]["load"] = report.seconds
    result["timings"]["load_cpu"] = report.cpu_seconds
    result["published"] = report.published
    result["cause_links"] = report.cause_links
    say(
        f"{name}: migrated in {result['timings']['migrate']:.1f} s, loaded in "
        f"{report.seconds:.1f} s ({report.rows_per_second:,.0f} groups/s; "
        f"{report.cpu_seconds:.1f} s of CPU outside the database server)"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Fresh statistics, as autovacuum would gather on PostgreSQL soon after a load.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    result["timings"]["analyze"] = time.perf_counter() - started
    result["version"] = database_version(connection)

    points = list_endpoints(spec)
    result["endpoints"] = [
        {"key": e.key, "label": e.label, "example": e.example, "paths": len(e.paths)}
        for e in points
    ]
    result["inprocess"] = in_process(spec, points, name)
    connection.close()

    result["load"] = {}
    for mode in spec["cache_modes"]:
        result["load"][mode] = under_load(spec, points, mode, name)
    return result


def list_endpoints(spec):
    """The endpoints with the group and HSDS service they need, picked from the loaded data."""

    from benchmarks import synthetic
    from directory.models import Organization

    slug = (
        Organization.objects.published()
        .filter(coverage="local")
        .order_by("pk")
        .values_list("slug", flat=True)
        .first()
    )
    response = test_client().get("/api/hsds/services?per_page=1")
    if response.status_code != 200 or not response.json().get("contents"):
        raise RuntimeError(f"no HSDS service to benchmark: {response.status_code}")
    service_id = response.json()["contents"][0]["id"]
    zips = synthetic.sample_zips(spec["zips"], seed=spec["seed"])
    return ep.endpoints(slug, service_id, zips)


def in_process(spec, points, name):
    """CPU time (and wall time) per request through Django's test client, median of a few.

    The search cache is off in this process (SEARCH_CACHE_SECONDS=0), so these are the
    uncached costs, comparable across sizes. On PostgreSQL the database's own work happens in
    its server and is in the wall time only.
    """

    from directory import geocoding

    geocoding.warm()
    client = test_client()
    timings = {}
    for point in points:
        paths = cycle(point.paths)

        def once(paths=paths):
            cpu, wall = time.process_time(), time.perf_counter()
            status = client.get(next(paths)).status_code
            return time.process_time() - cpu, time.perf_counter() - wall, status

        once()  # warm-up: caches, connections, compiled templates
        samples, spent = [], 0.0
        while not samples or (len(samples) < spec["rounds"] and spent < spec["budget"]):
            sample = once()
            samples.append(sample)
            spent += sample[1]
        timings[point.key] = {
            "cpu_ms": statistics.median(s[0] for s in samples) * 1e3,
            "wall_ms": statistics.median(s[1] for s in samples) * 1e3,
            "samples": len(samples),
            "non2xx": sum(not 200 <= s[2] <= 299 for s in samples),
        }
    floor = timings[ep.FLOOR]["cpu_ms"]
    say(
        f"{name}: in-process CPU per request (floor {floor:.2f} ms): "
        + ", ".join(f"{k} {v['cpu_ms']:.1f}" for k, v in timings.items() if k != ep.FLOOR)
    )
    return timings


def under_load(spec, points, mode, name):
    """Every endpoint under gunicorn, one after another, with the search cache `mode`."""
    env = dict(os.environ)
    env.pop("SEARCH_CACHE_SECONDS", None)
    if mode == "off":
        env["SEARCH_CACHE_SECONDS"] = "0"
    log = Path(spec["var_dir"]) / f"gunicorn-{spec['database']}-{spec['groups']}-{mode}.log"
    results = {}
    with Server(env, spec["workers"], log) as server:
        for point in points:
            # One request outside the measurement: a page that fails is named, not guessed at.
            try:
                status = server.get(point.paths[0], timeout=120)[0]
            except OSError:
                status = None
            result = drive(
                server.port,
                point.paths,
                duration=spec["duration"],
                warmup=spec["warmup"],
                connections=spec["connections"],
                # The reference is slow by design: its requests are waited for, so that what
                # it is compared with is its throughput, not a count of timeouts.
                timeout=max(spec["timeout"], 60) if point.key == ep.NAIVE else spec["timeout"],
                client=spec["client"],
            )
            result["first_status"] = status
            results[point.key] = result
            server.wait_idle(busy_elsewhere=database_busy)
            say(
                f"  {name}, cache {mode}: {point.label}: {result['rps']:,.1f} req/s, "
                f"{result['errors']} errors"
            )
    return results


def test_client():
    from django.test import Client

    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in ep.PROXY_HEADERS.items()}
    # A page that fails is counted as an error, as under load, instead of ending the run.
    return Client(HTTP_HOST="127.0.0.1", raise_request_exception=False, **headers)


def database_busy():
    """Whether PostgreSQL is still running a query for the bench database (SQLite: never)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'active' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


def database_version(connection):
    if connection.vendor == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"


def fresh_database(spec):
    """An empty bench database: a new SQLite file, or a PostgreSQL database made anew."""
    if spec["database"] == "sqlite":
        path = Path(spec["sqlite_path"])
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name, admin = _postgres_admin(spec)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')


def drop_database(spec):
    if spec["database"] != "postgres":
        return
    from django.db import connections

    connections.close_all()
    name, admin = _postgres_admin(spec)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_admin(spec):
    """The bench database's name, and an autocommit connection to the server's `postgres` db."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(spec["database_url"])
    name = config["NAME"]
    # The harness names it; this guard keeps a developer's own database out of reach.
    if not name.endswith("_bench"):
        raise RuntimeError(f"refusing to recreate {name!r}: bench databases end in _bench")
    params = {
        "dbname": "postgres",
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    return name, psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True)


if __name__ == "__main__":
    sys.exit(main())
