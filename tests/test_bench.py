"""The benchmark harness (benchmarks/): its data, its clients, its verdicts, and a smoke run.

Speed is never asserted here: the smoke run checks that `make bench` still produces its tables
with every endpoint and no errors, so the harness cannot rot.
"""

import argparse
import http.server
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from benchmarks import endpoints as ep
from benchmarks import report, synthetic
from benchmarks.harness import bench_url, groups_count
from benchmarks.load import drive, percentile, wrk_path
from benchmarks.phase import SERVER_FAILED
from directory import caching
from directory.models import LANGUAGE_CODES, Category, Organization
from directory.seeding import read_seed
from tests.factories import make_org

ROOT = Path(__file__).resolve().parent.parent
CAUSE_SLUGS = sorted(record["slug"] for record in read_seed("categories.json"))


# --- the synthetic directory ----------------------------------------------------------------


def test_generated_directory_is_the_same_for_the_same_seed():
    first = list(synthetic.generate(500, CAUSE_SLUGS, seed=7))
    assert first == list(synthetic.generate(500, CAUSE_SLUGS, seed=7))
    assert first != list(synthetic.generate(500, CAUSE_SLUGS, seed=8))


def test_generated_directory_has_every_kind_of_group():
    rows = list(synthetic.generate(5000, CAUSE_SLUGS, seed=1))
    fields = [f for f, _ in rows]
    assert {f["coverage"] for f in fields} == {
        "local",
        "regional",
        "statewide",
        "national",
        "online",
    }
    statuses = [f["status"] for f in fields]
    assert 0.9 < statuses.count("published") / len(statuses) < 0.99
    assert {"pending", "archived", "inactive"} <= set(statuses)
    assert {slug for _, causes in rows for slug in causes} == set(CAUSE_SLUGS)
    assert {len(causes) for _, causes in rows} == {1, 2, 3}
    assert len({f["slug"] for f in fields}) == len(fields)
    for f in fields:
        if f["coverage"] == "local":
            assert 5 <= f["coverage_radius"] <= 30
        elif f["coverage"] == "regional":
            assert 50 <= f["coverage_radius"] <= 250
        elif f["coverage"] == "statewide":
            assert len(f["state"]) == 2
        assert LANGUAGE_CODES.match(f["languages"])
    assert any(f.get("address_public") for f in fields)
    assert any(f.get("address") and not f.get("address_public") for f in fields)
    assert any("es" in f["languages"].split(",") for f in fields)


def test_groups_cluster_where_people_live():
    fields = [f for f, _ in synthetic.generate(5000, CAUSE_SLUGS, seed=1)]
    cities = [f.get("city") for f in fields]
    # New York has about 3% of the population of US towns of 5,000 or more.
    assert cities.count("New York City") > cities.count("Absarokee") + 50


def _sqlite_schema(kind):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = %s ORDER BY name", [kind])
        return cursor.fetchall()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's full-text tables")
def test_load_fills_full_text_indexes_and_puts_their_triggers_back():
    triggers = _sqlite_schema("trigger")
    indexes = [name for name, sql in _sqlite_schema("table") if sql and "fts5" in sql.lower()]
    synthetic.load(200, seed=3)
    assert _sqlite_schema("trigger") == triggers
    name = Organization.objects.order_by("pk").values_list("name", flat=True).first()
    word = max(re.findall(r"[A-Za-z]+", name), key=len)
    for index in indexes:
        with connection.cursor() as cursor:
            sql = f'SELECT count(*) FROM "{index}" WHERE "{index}" MATCH %s'  # noqa: S608
            cursor.execute(sql, [word])
            assert cursor.fetchone()[0] > 0, index
    # Rows saved afterwards are indexed by the triggers again.
    later = make_org(name="Zyzzyva Collective")
    for index in indexes:
        with connection.cursor() as cursor:
            sql = f'SELECT rowid FROM "{index}" WHERE "{index}" MATCH %s'  # noqa: S608
            cursor.execute(sql, ["zyzzyva"])
            assert cursor.fetchall() == [(later.pk,)], index


@pytest.mark.django_db
def test_load_writes_groups_that_pass_the_models_validation():
    before = caching.generation()
    loaded = synthetic.load(300, seed=2, batch_size=128)
    # A load is a change to the directory: no cached search outcome survives it.
    assert caching.generation() > before
    assert Organization.objects.count() == 300 == loaded.groups
    assert Organization.objects.published().count() == loaded.published
    assert Organization.causes.through.objects.count() == loaded.cause_links
    assert Category.objects.count() == len(CAUSE_SLUGS)
    for org in Organization.objects.order_by("pk")[:60]:
        org.full_clean()
        assert 1 <= org.causes.count() <= 3
    # The database computes generated columns, as on every save.
    for field in Organization._meta.concrete_fields:
        if getattr(field, "generated", False):
            filled = Organization.objects.filter(**{f"{field.attname}__isnull": False})
            assert filled.exists(), field.name
    # Ids were given explicitly; the database's own numbering continues after them.
    assert make_org().pk > 300


# --- the load clients -----------------------------------------------------------------------


class _Answers(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a client must handle

    def do_GET(self):  # noqa: N802
        status = 200 if self.path == "/ok" else 404
        body = b"ok" if status == 200 else b"missing"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def tiny_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


CLIENTS = [
    "python",
    pytest.param(
        "wrk", marks=pytest.mark.skipif(not wrk_path(), reason="wrk is not installed here")
    ),
]


@pytest.mark.parametrize("client", CLIENTS)
def test_client_counts_answers_that_are_not_2xx(tiny_server, client):
    result = drive(
        tiny_server,
        ["/ok", "/missing"],
        duration=1,
        warmup=0.2,
        connections=2,
        timeout=2,
        client=client,
    )
    assert result["client"] == client
    assert result["requests"] > 10
    # Every other request is a 404, so about half are errors; the socket never fails.
    assert 0.3 < result["non2xx"] / result["requests"] < 0.7
    assert result["socket_errors"] == 0
    assert result["errors"] == result["non2xx"]
    assert 0 < result["p50"] <= result["p95"] <= result["p99"]


@pytest.mark.parametrize("client", CLIENTS)
def test_client_counts_refused_connections_as_errors(client):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    result = drive(port, ["/ok"], duration=1, warmup=0, connections=1, timeout=1, client=client)
    assert result["socket_errors"] > 0
    assert result["errors"] >= result["socket_errors"]


def test_percentile_is_the_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile([7], 99) == 7
    assert percentile([], 50) is None


# --- options --------------------------------------------------------------------------------


def test_group_counts_read_as_people_write_them():
    assert groups_count("100000") == groups_count("100k") == groups_count("100_000") == 100_000
    assert groups_count("1m") == 1_000_000
    with pytest.raises(argparse.ArgumentTypeError):
        groups_count("lots")


def test_postgres_bench_database_is_never_the_developers_own():
    assert bench_url("postgres://postgres@127.0.0.1:5432/orgsite") == (
        "postgres://postgres@127.0.0.1:5432/orgsite_bench"
    )
    assert bench_url("postgres://u:p@db/").endswith("/orgsite_bench")
    assert bench_url("postgres://u@db/x_bench").endswith("/x_bench")


# --- the naive reference --------------------------------------------------------------------


@override_settings(ROOT_URLCONF="benchmarks.urls")
def test_naive_reference_answers_the_nearest_twenty_with_the_cause(client, seeded):
    response = client.get("/bench/naive/", {"near": "94704", "cause": "immigrant-rights"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 20
    miles = [r["miles"] for r in results]
    assert miles == sorted(miles)
    slugs = {r["slug"] for r in results}
    with_cause = Organization.objects.published().filter(causes__slug="immigrant-rights")
    assert slugs <= set(with_cause.values_list("slug", flat=True))
    bad = client.get("/bench/naive/", {"near": "00000", "cause": "immigrant-rights"})
    assert bad.status_code == 400


# --- verdicts -------------------------------------------------------------------------------


def _result(groups, api_rps, api_p95, cause_rps=500, errors=0):
    def run(rps, p95=1.0, errs=0):
        return {"rps": rps, "p50": p95 / 2, "p95": p95, "p99": p95, "errors": errs}

    runs = {key: run(400) for key in ep.SEARCHES + ("group", "suggest", "hsds_list", "hsds_one")}
    runs |= {ep.FLOOR: run(1000, 1.0), ep.NAIVE: run(2), "cause": run(cause_rps)}
    runs["api"] = run(api_rps, api_p95, errors)
    return {
        "database": "sqlite",
        "groups": groups,
        "version": "SQLite 3",
        "endpoints": [{"key": k, "label": k} for k in runs],
        "load": {"on": runs, "off": runs},
        "inprocess": {k: {"cpu_ms": 1.0, "wall_ms": 1.0, "non2xx": 0} for k in runs},
        "timings": {"migrate": 1, "load": 1, "analyze": 1},
    }


def _verdicts(results):
    return {(row[0], row[1]): row[3] for row in report.targets(results).rows}


def test_targets_are_judged_from_the_measured_ratios():
    verdicts = _verdicts([_result(100_000, api_rps=600, api_p95=4.0, cause_rps=200)])
    assert (
        verdicts["Uncached API search ZIP + cause: at least 50% of the floor's req/s", "SQLite"]
        == "met"
    )
    assert (
        verdicts["Uncached API search ZIP + cause: p95 at most 3x the floor's p95", "SQLite"]
        == "not met"
    )
    assert verdicts["Uncached cause page: at least 30% of the floor", "SQLite"] == "not met"
    assert verdicts["Uncached API search: at least 100x the naive reference", "SQLite"] == "met"
    assert verdicts["Zero errors in every run", "SQLite"] == "met"
    growth = [v for (target, _), v in verdicts.items() if target.startswith("Latency growth")]
    assert growth and all(v.startswith("not measured") for v in growth)


def test_targets_need_the_sizes_they_name():
    verdicts = _verdicts([_result(1_000, 900, 1.0), _result(1_000_000, 900, 1.0, errors=3)])
    growth = [v for (target, _), v in verdicts.items() if target.startswith("Latency growth")]
    assert set(growth) == {"met"}
    assert verdicts[
        "Uncached API search ZIP + cause: at least 50% of the floor's req/s", "SQLite"
    ] == ("not measured at 100,000 (this run: 1,000,000)")
    assert verdicts["Zero errors in every run", "SQLite"] == "not met"


def test_latency_growth_is_judged_in_wall_time():
    """On PostgreSQL the database's work is in the wall time only: a search whose CPU stays
    flat while the server's share doubles has grown 2x."""
    small, large = _result(1_000, 900, 1.0), _result(1_000_000, 900, 1.0)
    large["inprocess"] = {
        k: {"cpu_ms": 1.0, "wall_ms": 2.0, "non2xx": 0} for k in large["inprocess"]
    }
    growth = {
        target: v
        for (target, _), v in _verdicts([small, large]).items()
        if target.startswith("Latency growth")
    }
    assert growth and set(growth.values()) == {"not met"}
    table = report.in_process_table("sqlite", [small, large])
    assert {row[-1] for row in table.rows} == {"2.00x"}


# --- the whole harness, tiny ----------------------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("gunicorn") is None, reason="gunicorn not installed")
def test_make_bench_produces_every_table_without_errors(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if Path(settings.GEOCODER_DATA).exists():
        env["GEOCODER_DATA"] = str(settings.GEOCODER_DATA)  # built by `make test`; saves a build
    written = tmp_path / "benchmarks.md"
    command = [
        sys.executable, "-m", "benchmarks", "--groups", "300", "--databases", "sqlite",
        "--duration", "0.3", "--warmup", "0.05", "--rounds", "2", "--client", "python",
        "--var-dir", str(tmp_path / "var"), "--write", str(written),
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode == SERVER_FAILED:
        pytest.skip(f"gunicorn could not start here: {done.stderr[-500:]}")
    assert done.returncode == 0, done.stderr[-3000:]

    result = json.loads((tmp_path / "var" / "result-sqlite-300.json").read_text())
    keys = [e["key"] for e in result["endpoints"]]
    assert keys[0] == ep.FLOOR and keys[-1] == ep.NAIVE and len(keys) == 14 and ep.BOUND in keys
    for mode in ("on", "off"):
        runs = result["load"][mode]
        assert set(runs) == set(keys)
        assert {k: r["errors"] for k, r in runs.items()} == dict.fromkeys(keys, 0)
        assert {k: r["first_status"] for k, r in runs.items()} == dict.fromkeys(keys, 200)
        assert runs[ep.FLOOR]["requests"] > 0
    assert all(t["non2xx"] == 0 for t in result["inprocess"].values())

    labels = [e["label"] for e in result["endpoints"]]
    for title in ("search cache on", "search cache off"):
        table = done.stdout.split(f"300 groups, {title}\n", 1)[1].split("\n\n", 1)[0]
        assert [line.split("  ")[0] for line in table.splitlines()[2:-1]] == labels
    text = written.read_text()
    assert "## Targets" in text and "`python -m benchmarks --groups 300" in text
    assert re.search(r"\| Zero errors in every run \| SQLite \| 0 errors \| met \|", text)
    # The hand-written notes may name an endpoint in a table of their own: counted without them.
    measured = text.split("## Notes", 1)[0] + text.split("## Targets", 1)[1]
    for label in labels:
        assert measured.count(f"| {label} |") == 3  # two load tables and the in-process one

    # The kept run writes the same report again with other notes, measuring nothing.
    notes = tmp_path / "notes.md"
    notes.write_text("A note written after the run.\n")
    again = tmp_path / "again.md"
    rewrite = [
        sys.executable, "-m", "benchmarks", "--rewrite", str(tmp_path / "var" / "last-run.json"),
        "--write", str(again), "--notes", str(notes),
    ]  # fmt: skip
    done = subprocess.run(rewrite, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)  # noqa: S603
    assert done.returncode == 0, done.stderr
    assert "A note written after the run." in again.read_text()
    assert again.read_text().split("## Targets")[1] == text.split("## Targets")[1]
