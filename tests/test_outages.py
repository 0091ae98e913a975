"""Outage drills against the site as deployed: its own server process and database.

The database goes down (a PostgreSQL cluster of the test's own is stopped; SQLite's folder
vanishes), turns read-only, or is locked past the timeouts; the mail server hangs; a reader
double-clicks Send. Readers must get 503s with Retry-After that hand back what they typed, the
API JSON with CORS, the widget a page it may frame, /healthz its 200 and /healthz/ready its 503,
and once the database is back the words they were given back store exactly once.
"""

import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.outages import Drill, PostgresCluster, Reader, given_back, wait_until

POSTGRES = connection.vendor == "postgresql"
GROUP = "/groups/drill-group/"
CONTACT = "/groups/drill-group/contact/"
WORDS = 'Hola! I\'d like to help <b>tenants</b> & "neighbours" — Ñandú\nSecond line.'
STORED = "from referrals.models import Referral; print(Referral.objects.count())"


@pytest.fixture(scope="module")
def cluster():
    if not POSTGRES:
        yield None
        return
    pg = PostgresCluster()
    yield pg
    pg.destroy()


@pytest.fixture
def drill(tmp_path, cluster, request):
    """A migrated deployment with one group, on this run's kind of database."""
    if cluster:
        if not cluster.running:
            cluster.start()
        name = "resil_" + re.sub(r"\W", "", request.node.name)[-40:].lower()
        cluster.psql(f"DROP DATABASE IF EXISTS {name}")
        cluster.psql(f"CREATE DATABASE {name}")
        site = Drill(tmp_path, cluster.url(name))
        site.database = name
    else:
        (tmp_path / "db").mkdir()
        site = Drill(tmp_path, f"sqlite:///{tmp_path / 'db' / 'site.sqlite3'}")
    site.prepare()
    yield site
    site.close()


def contact_post(reader, message=WORDS):
    fields = reader.form(CONTACT)
    return {
        **fields,
        "name": "Ana <Reader>",
        "email": "ana@example.com",
        "message": message,
        "heard_from": "A blog post",
    }


def assert_outage_page(response, *, api=False):
    assert response.status == 503, (response.status, response.text[:300])
    assert response.headers["Retry-After"].isdigit()
    assert "no-store" in response.headers.get("Cache-Control", "")
    assert "Traceback" not in response.text
    if api:
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def assert_words_given_back(response, posted):
    assert_outage_page(response)
    back = given_back(response.text)
    for name in ("name", "email", "message", "heard_from", "token"):
        assert back[name] == posted[name], name
    # Escaped, never markup: the reader's "<b>" comes back as text.
    assert "<b>tenants</b>" not in response.text
    assert "&lt;b&gt;tenants&lt;/b&gt;" in response.text


def resend(reader, response):
    """Press "Send again" on the 503 page: post back exactly what it holds."""
    action = re.search(r'<form method="post" action="([^"]+)"', response.text).group(1)
    return reader.post(action, given_back(response.text))


def test_database_down_503s_give_words_back_and_recover(drill, cluster):
    server = drill.serve(env={"CONN_MAX_AGE": "0"} if not cluster else None)
    reader = Reader(server.base)
    posted = contact_post(reader)  # the reader opened the form while all was well
    assert reader.get(GROUP).status == 200

    if cluster:
        cluster.stop()
    else:
        shutil.move(drill.root / "db", drill.root / "db-away")  # the disk is gone
    down_at = time.monotonic()
    try:
        statuses = {}
        for path in ("/", GROUP, "/causes/", "/search/?q=tenants"):
            response = reader.get(path)
            assert_outage_page(response)
            statuses[path] = response.status
        api = reader.get("/api/v1/organizations/")
        assert_outage_page(api, api=True)
        assert "detail" in api.text
        frame = reader.get("/embed/")
        assert_outage_page(frame)
        assert "X-Frame-Options" not in frame.headers  # the widget's frame may still be framed
        assert "frame-ancestors 'self' *" in frame.headers["Content-Security-Policy"]
        assert reader.get("/healthz").status == 200  # liveness: the process is fine
        ready = reader.get("/healthz/ready")
        assert ready.status == 503 and '"database": "down"' in ready.text

        sent = reader.post(CONTACT, posted)
        assert_words_given_back(sent, posted)
    finally:
        if cluster:
            cluster.start()
        else:
            shutil.move(drill.root / "db-away", drill.root / "db")
    back_at = time.monotonic()
    wait_until(lambda: reader.get("/healthz/ready").status == 200, what="readiness")
    ready_at = time.monotonic()

    again = resend(reader, sent)
    assert again.status == 302, again.text[:500]
    assert drill.python(STORED) == "1"
    assert resend(reader, sent).status == 200  # a third press: "already sent", not stored
    assert drill.python(STORED) == "1"
    print(
        f"\ndatabase down ({connection.vendor}): {len(statuses) + 3} pages 503, API 503 JSON, "
        f"embed 503 frameable, /healthz 200, /healthz/ready 503; outage "
        f"{back_at - down_at:.1f} s; ready {ready_at - back_at:.1f} s after the database came "
        "back; the reader's message stored 1, duplicated 0, lost 0"
    )


def test_suggest_and_report_words_come_back_when_the_database_is_down(drill, cluster):
    server = drill.serve(env={"CONN_MAX_AGE": "0"} if not cluster else None)
    reader = Reader(server.base)
    suggest = {
        **reader.form("/suggest/"),
        "name": "Fresno Tenants <Union>",
        "causes": ["housing"],
        "coverage": "local",
        "city": "Fresno",
        "country": "US",
        "summary": "Repairs & rent.",
        "email": "suggester@example.com",
        "note": "Line one\nline two",
    }
    report = {
        **reader.form(GROUP + "report/"),
        "reason": "moved",
        "details": "They meet at the library now.",
    }
    if cluster:
        cluster.stop()
    else:
        shutil.move(drill.root / "db", drill.root / "db-away")
    try:
        page = reader.post("/suggest/", suggest)
        assert_outage_page(page)
        back = given_back(page.text)
        for name in ("name", "city", "summary", "email", "note", "coverage", "causes"):
            assert back[name] == (suggest[name][0] if name == "causes" else suggest[name]), name
        reported = reader.post(GROUP + "report/", report)
        assert_outage_page(reported)
        assert given_back(reported.text)["details"] == report["details"]
    finally:
        if cluster:
            cluster.start()
        else:
            shutil.move(drill.root / "db-away", drill.root / "db")
    wait_until(lambda: reader.get("/healthz/ready").status == 200, what="readiness")
    assert resend(reader, page).status == 302
    assert resend(reader, reported).status == 200
    counts = drill.python(
        "from curation.models import Report, Suggestion;"
        "print(Suggestion.objects.count(), Report.objects.count())"
    )
    assert counts == "1 1"


def test_a_lock_shorter_than_the_timeout_waits_a_longer_one_gives_words_back(drill, cluster):
    # The timeouts are short here so that the drill is; production's are 20 s and 15 s.
    server = drill.serve(env={"SQLITE_BUSY_TIMEOUT": "2", "DATABASE_STATEMENT_TIMEOUT": "2"})
    reader = Reader(server.base)

    def hold_lock(seconds):
        """An import's long transaction, holding the write lock for `seconds`."""
        if cluster:
            sql = (
                "BEGIN; LOCK TABLE referrals_referral, referrals_ratecount IN EXCLUSIVE MODE; "
                f"SELECT pg_sleep({seconds}); COMMIT;"
            )
            return subprocess.Popen(  # noqa: S603
                [
                    str(cluster.bin / "psql"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(cluster.port),
                    "-U",
                    "postgres",
                    "-d",
                    drill.database,
                    "-c",
                    sql,
                ],
                stdout=subprocess.DEVNULL,
            )
        import sqlite3

        holder = sqlite3.connect(
            drill.root / "db" / "site.sqlite3", isolation_level=None, check_same_thread=False
        )
        holder.execute("BEGIN IMMEDIATE")
        release = threading.Timer(seconds, lambda: (holder.execute("ROLLBACK"), holder.close()))
        release.start()
        return release

    def wait_for(holder):
        holder.wait() if cluster else holder.join()

    short = contact_post(reader, "A short lock: this waits, then is stored.")
    holder = hold_lock(0.5)
    time.sleep(0.2)
    assert reader.post(CONTACT, short).status == 302
    wait_for(holder)
    assert drill.python(STORED) == "1"

    long = contact_post(reader)
    holder = hold_lock(6)
    time.sleep(0.3)
    try:
        page = reader.post(CONTACT, long)
        assert_words_given_back(page, long)
        assert reader.get("/healthz").status == 200
    finally:
        wait_for(holder)
    assert resend(reader, page).status == 302
    assert drill.python(STORED) == "2"


@pytest.mark.skipif(not POSTGRES, reason="a read-only PostgreSQL database (SQLite: the lock drill)")
def test_a_read_only_database_still_serves_pages_and_gives_words_back(drill, cluster):
    server = drill.serve()
    reader = Reader(server.base)
    posted = contact_post(reader)

    def read_only(on):
        # New connections start read-only; the server's open ones are cut and come back so.
        name = drill.database
        cluster.psql(f"ALTER DATABASE {name} SET default_transaction_read_only = {on}")
        cluster.psql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()",
            database=name,
        )

    read_only("on")
    try:
        assert reader.get(GROUP).status == 200  # reading still works
        assert reader.get("/api/v1/organizations/").status == 200
        page = reader.post(CONTACT, posted)
        assert_words_given_back(page, posted)
    finally:
        read_only("off")
    assert resend(reader, page).status == 302
    assert drill.python(STORED) == "1"


def test_a_hung_database_answers_503_within_the_connect_timeout(tmp_path):
    # A port that accepts connections and then says nothing, like a hung database host.
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(64)
    port = hung.getsockname()[1]
    site = Drill(
        tmp_path,
        f"postgres://postgres@127.0.0.1:{port}/hung",
        DATABASE_CONNECT_TIMEOUT="1",
    )
    try:
        server = site.serve()
        reader = Reader(server.base)
        # Without a connect timeout these would wait forever (the client gives up at 20 s).
        assert reader.get("/healthz", timeout=20).status == 200
        assert_outage_page(reader.get(GROUP, timeout=20))
        assert_outage_page(reader.get("/api/v1/organizations/", timeout=20), api=True)
        assert reader.get("/healthz/ready", timeout=20).status == 503
    finally:
        site.close()
        hung.close()


def test_a_hung_mail_server_never_holds_up_a_reader(drill):
    # A mail server that accepts the connection and never greets.
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(64)
    mail = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(hung.getsockname()[1]),
        "EMAIL_TIMEOUT": "60",
    }
    try:
        # By default the request never talks to the mail server: the worker does.
        server = drill.serve(env=mail)
        reader = Reader(server.base)
        posted = contact_post(reader)
        start = time.monotonic()
        assert reader.post(CONTACT, posted, timeout=20).status == 302
        default_seconds = time.monotonic() - start
        drill.stop(server)

        # With in-request delivery switched on, the request's own short timeout applies, not
        # the worker's EMAIL_TIMEOUT (60 s here, which the client would not wait for).
        server = drill.serve(
            env={**mail, "REFERRALS_DELIVER_AT_ONCE": "1", "REFERRALS_REQUEST_EMAIL_TIMEOUT": "1"}
        )
        reader = Reader(server.base)
        posted = contact_post(reader, "Second message.")
        start = time.monotonic()
        response = reader.post(CONTACT, posted, timeout=20)
        at_once_seconds = time.monotonic() - start
        assert response.status == 302
        states = drill.python(
            "from referrals.models import Referral;"
            "print(sorted((r.status, r.attempts, bool(r.last_error))"
            " for r in Referral.objects.all()))"
        )
        # Both stored and waiting for the worker; the second's one attempt timed out.
        assert states == "[('pending', 0, False), ('pending', 1, True)]"
        print(
            f"\nhung mail server: contact POST {default_seconds:.2f} s with in-request delivery "
            f"off (the default), {at_once_seconds:.2f} s with it on and a 1 s request timeout"
        )
    finally:
        hung.close()


def test_two_identical_posts_at_the_same_instant_store_one_message(drill):
    # Every round comes from 127.0.0.1: limits high enough not to be what is tested here.
    server = drill.serve(env={"REFERRALS_CLIENT_LIMIT": "99", "REFERRALS_ORG_CLIENT_LIMIT": "99"})
    rounds, stored_per_round = 5, []
    for n in range(rounds):
        reader = Reader(server.base)
        posted = contact_post(reader, f"Double click number {n}.")
        barrier = threading.Barrier(2)
        answers = []

        def press(posted=posted, barrier=barrier, answers=answers, reader=reader):
            barrier.wait()
            answers.append(reader.post(CONTACT, posted).status)

        threads = [threading.Thread(target=press) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(answers) == [200, 302], answers  # one stored, one told "already sent"
        stored_per_round.append(
            int(
                drill.python(
                    "from referrals.models import Referral;"
                    f"print(Referral.objects.filter(message='Double click number {n}.').count())"
                )
            )
        )
    assert stored_per_round == [1] * rounds
    print(f"\ndouble submit ({connection.vendor}): {rounds} rounds of 2 posts, stored {rounds}")


# --- In-process: readiness, load shedding, configuration ----------------------------------


@pytest.mark.django_db(transaction=True)
def test_readiness_reports_the_database_cache_and_worker(client):
    from referrals.services import worker_heartbeat

    response = client.get("/healthz/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == "ok" and body["checks"]["cache"] == "ok"
    assert body["checks"]["worker"]["stale"] is True  # no worker has run yet
    assert "no-cache" in response["Cache-Control"]
    worker_heartbeat("host:deliver_messages")
    worker = client.get("/healthz/ready").json()["checks"]["worker"]
    assert worker["stale"] is False and worker["seconds_ago"] < 60


def test_a_read_whose_client_hung_up_is_shed_but_a_post_is_not(rf):
    from orgsite.outage import LoadSheddingMiddleware

    served = []
    middleware = LoadSheddingMiddleware(lambda request: served.append(request) or "served")
    ours, theirs = socket.socketpair()
    try:
        request = rf.get("/search/")
        request.META["gunicorn.socket"] = ours
        assert middleware(request) == "served"  # the client is still there
        theirs.close()  # the reader closed the tab
        shed = middleware(request)
        assert shed.status_code == 503 and shed["Retry-After"] == "1"
        post = rf.post("/groups/x/contact/")
        post.META["gunicorn.socket"] = ours
        assert middleware(post) == "served"  # what a reader sent is stored all the same
    finally:
        ours.close()


def test_a_read_that_waited_too_long_in_the_proxy_queue_is_shed(rf, settings):
    from orgsite.outage import queued_too_long

    now = 1_700_000_000.0
    request = rf.get("/", HTTP_X_REQUEST_START=f"t={now - 12:.3f}")
    assert not queued_too_long(request, now)  # off by default
    settings.SHED_QUEUED_SECONDS = 10
    assert queued_too_long(request, now)
    for stamp in (f"t={int((now - 3) * 1000)}", f"{int((now - 3) * 1_000_000)}", "garbage"):
        assert not queued_too_long(rf.get("/", HTTP_X_REQUEST_START=stamp), now), stamp
    assert queued_too_long(rf.get("/", HTTP_X_REQUEST_START=f"t={int((now - 11) * 1000)}"), now)


def test_an_unexpected_api_error_is_json_with_cors_and_never_a_traceback(rf):
    from orgsite.outage import server_error

    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(rf.get("/api/v1/organizations/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "a bug" not in response.content.decode()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("60,300, 900", [60, 300, 900]), ("5", [5]), ("", None), ("1,x", "error"), ("0", "error")],
)
def test_retry_delays_come_from_the_environment(raw, expected):
    env = {"REFERRALS_RETRY_DELAYS": raw, "DEBUG": "1", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            "from orgsite import settings; print(settings.REFERRALS_RETRY_DELAYS)",
        ],
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        capture_output=True,
        text=True,
        check=False,
    )
    if expected == "error":
        assert result.returncode != 0 and "REFERRALS_RETRY_DELAYS must be" in result.stderr
    elif expected is None:
        assert result.stdout.strip() == "[60, 300, 900, 3600, 10800, 21600, 43200, 86400]"
    else:
        assert result.stdout.strip() == str(expected)
