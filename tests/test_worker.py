"""The delivery worker as a deployment runs it: a process of its own, a real SMTP server, and a
database that goes away mid-loop (a PostgreSQL cluster of the test's own, stopped and started;
on SQLite, a write lock held past the busy timeout). It must stay up and deliver everything once.
"""

import json
import sqlite3
import time

import pytest
from django.db import connection

from tests.outages import Drill, PostgresCluster, SMTPServer, free_port, output, wait_until

MESSAGES = 40

STORE = """
from referrals.guards import fingerprint
from referrals.services import referral_submit
from directory.models import Organization
org = Organization.objects.get(slug="drill-group")
for n in range({start}, {stop}):
    data = {{"name": f"Reader {{n}}", "email": f"reader{{n}}@example.com",
            "message": f"Message {{n}}: how do I join?", "via": "site"}}
    data["fingerprint"] = fingerprint(org.pk, data["email"], data["message"])
    referral_submit(org, data, client="c" * 64, origin="https://groups.example.org")
"""

COUNTS = """
import json
from referrals.models import Referral
print(json.dumps({s: Referral.objects.filter(status=s).count()
                  for s in ("pending", "sending", "sent", "failed")}))
"""

READINESS = """
import json
from orgsite.outage import readiness
print(json.dumps(readiness()))
"""


@pytest.fixture
def smtp():
    # Slow enough that a batch is still going out when the database goes away.
    server = SMTPServer(delay=0.1)
    yield server
    server.close()


@pytest.fixture
def postgres():
    cluster = PostgresCluster()
    yield cluster
    cluster.destroy()


def worker_env(smtp, **extra):
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "5",
        "REFERRALS_WORKER_MAX_BACKOFF": "2",
        **extra,
    }


def delivered(smtp, n):
    return lambda: sum(smtp.message_ids().values()) >= n


def assert_all_delivered_once(drill, smtp, total):
    ids = smtp.message_ids()
    assert len(ids) == total, f"{len(ids)} of {total} delivered"
    assert set(ids.values()) == {1}, "a message was delivered twice"
    assert json.loads(drill.python(COUNTS)) == {
        "pending": 0,
        "sending": 0,
        "sent": total,
        "failed": 0,
    }


def test_the_worker_survives_a_database_outage_and_delivers_everything_once(
    tmp_path, smtp, request
):
    if connection.vendor == "postgresql":
        cluster = request.getfixturevalue("postgres")
        cluster.psql("CREATE DATABASE resil_worker")
        drill = Drill(tmp_path, cluster.url("resil_worker"), **worker_env(smtp))
    else:
        cluster = None
        drill = Drill(
            tmp_path,
            f"sqlite:///{tmp_path / 'drill.sqlite3'}",
            **worker_env(smtp, SQLITE_BUSY_TIMEOUT="1"),
        )
    try:
        drill.prepare()
        drill.python(STORE.format(start=0, stop=MESSAGES))
        # Two workers, as a deployment with a spare would run: each message still goes once.
        workers = [drill.start("deliver_messages", "--loop", "--interval", "0.5") for _ in "ab"]
        wait_until(delivered(smtp, 5), what="the first deliveries")

        if cluster:
            cluster.stop()  # every connection cut, mid-batch
            outage_started = time.monotonic()
            time.sleep(4)
            assert all(w.poll() is None for w in workers), "a worker exited during the outage"
            cluster.start()
        else:
            # An import's long write transaction: the lock outlasts the 1 s busy timeout.
            holder = sqlite3.connect(tmp_path / "drill.sqlite3", isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
            outage_started = time.monotonic()
            time.sleep(4)
            assert all(w.poll() is None for w in workers), "a worker exited during the lock"
            holder.execute("ROLLBACK")
            holder.close()
        restored = time.monotonic()
        during = sum(smtp.message_ids().values())

        drill.python(STORE.format(start=MESSAGES, stop=MESSAGES + 10))  # and new ones after
        wait_until(delivered(smtp, MESSAGES + 10), timeout=90, what="every message")
        recovered = time.monotonic()
        assert all(w.poll() is None for w in workers), "a worker exited after the outage"
        assert_all_delivered_once(drill, smtp, MESSAGES + 10)

        logs = "".join(output(w) for w in workers)
        assert "pass failed" in logs or "retrying" in logs, logs[-2000:]
        checks, ready = json.loads(drill.python(READINESS))
        assert ready and checks["worker"]["stale"] is False
        assert checks["worker"]["seconds_ago"] is not None
        print(
            f"\nworker drill ({connection.vendor}): stored {MESSAGES + 10}, delivered "
            f"{len(smtp.message_ids())}, duplicated 0, lost 0; {during} delivered before the "
            f"outage ended; outage {restored - outage_started:.1f} s; every message out "
            f"{recovered - restored:.1f} s after the database came back"
        )
        # A deployment stops the worker with SIGTERM: it finishes what it holds and exits 0.
        assert [drill.stop(w) for w in workers] == [0, 0]
    finally:
        drill.close()


def test_a_mail_outage_is_waited_out_and_the_heartbeat_file_shows_the_worker_alive(tmp_path):
    port = free_port()  # nothing listens yet: every delivery fails and is retried
    drill = Drill(
        tmp_path,
        f"sqlite:///{tmp_path / 'drill.sqlite3'}",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        REFERRALS_RETRY_DELAYS=",".join(["1"] * 30),
    )
    heartbeat = tmp_path / "heartbeat"
    try:
        drill.prepare()
        drill.python(STORE.format(start=0, stop=5))
        worker = drill.start(
            "deliver_messages", "--loop", "--interval", "0.5", "--heartbeat-file", str(heartbeat)
        )
        wait_until(heartbeat.exists, what="the heartbeat file")
        first = heartbeat.stat().st_mtime_ns
        wait_until(lambda: heartbeat.stat().st_mtime_ns > first, what="a second heartbeat")
        assert json.loads(drill.python(COUNTS))["sent"] == 0
        assert worker.poll() is None

        smtp = SMTPServer(port=port)  # the mail server comes back
        try:
            wait_until(delivered(smtp, 5), timeout=60, what="delivery after the mail outage")
            assert_all_delivered_once(drill, smtp, 5)
        finally:
            smtp.close()
        assert drill.stop(worker) == 0
    finally:
        drill.close()
