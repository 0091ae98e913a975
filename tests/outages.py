"""Real services for the outage drills: a PostgreSQL cluster of the test's own, an SMTP server,
the site and its worker as separate processes, and a small HTTP client with cookies.

Nothing here is a mock: the drills stop the database, hold its locks, point the cache at a port
where nothing listens, and watch what the processes a deployment would run do about it.
"""

import email
import glob
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from html import unescape
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

REPO = Path(__file__).resolve().parent.parent
SETTINGS = "tests.drill_settings"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout=60, step=0.1, what="the condition"):
    """Poll `check` until it returns something true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(step)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


# --- Mail ---------------------------------------------------------------------------------


class SMTPServer:
    """A small real SMTP server on a free port that keeps every message it accepts.

    `delay` slows each accepted message, so a drill can stop the database mid-batch.
    """

    def __init__(self, delay=0.0, port=0):
        self.delay = delay
        self.messages = []
        self._lock = threading.Lock()
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(b"220 drill ESMTP\r\n")
                while line := self.rfile.readline():
                    verb = line[:4].upper()
                    if verb == b"DATA":
                        self.wfile.write(b"354 go ahead\r\n")
                        body = []
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            body.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                        time.sleep(server.delay)
                        server._keep(b"".join(body))
                        self.wfile.write(b"250 queued\r\n")
                    elif verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    elif verb in (b"EHLO", b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                        self.wfile.write(b"250 ok\r\n")
                    else:
                        self.wfile.write(b"502 not here\r\n")

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _keep(self, raw):
        with self._lock:
            self.messages.append(email.message_from_bytes(raw))

    def message_ids(self):
        with self._lock:
            return Counter(m["Message-ID"] for m in self.messages)

    def close(self):
        self._server.shutdown()
        self._server.server_close()


# --- PostgreSQL -----------------------------------------------------------------------------


def postgres_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PostgresCluster:
    """A throwaway PostgreSQL cluster on its own port, which a drill may stop and start.

    Never the shared server on 5432: that one stays up for everyone else.
    """

    def __init__(self):
        self.bin = postgres_bin()
        if self.bin is None:
            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.as_postgres = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            if shutil.which("runuser") is None:
                pytest.skip("running as root without runuser to become the postgres user")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        # Not under pytest's tmp_path: the postgres user must be able to reach it.
        self.root = Path(tempfile.mkdtemp(prefix="orgsite-pg-"))
        self.port = free_port()
        self.data = self.root / "data"
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(self.bin / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-N")
        self.start()

    def _run(self, *args):
        subprocess.run(  # noqa: S603 - the test's own commands
            [*self.as_postgres, *map(str, args)], check=True, capture_output=True, cwd=self.root
        )

    @property
    def running(self):
        return (self.data / "postmaster.pid").exists()

    def start(self):
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off"
        )
        self._run(
            self.bin / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.root / "log",
            "-w",
            "-o",
            options,
            "start",
        )

    def stop(self):
        # "fast": every connection is cut, as when the server or its host goes down.
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def url(self, name):
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def psql(self, sql, database="postgres"):
        return subprocess.run(  # noqa: S603
            [
                self.bin / "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atc",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    def destroy(self):
        if self.running:
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


# --- The site's processes -------------------------------------------------------------------


class Drill:
    """One deployment for a drill: a database, and the environment its processes share."""

    def __init__(self, root, database_url, **env):
        self.root = Path(root)
        self.var = self.root / "var"
        self.var.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root),
            "PYTHONPATH": str(REPO),
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "DEBUG": "0",
            "SECURE": "0",
            "SECRET_KEY": "drill-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "ORGSITE_VAR_DIR": str(self.var),
            "REFERRALS_FORM_MIN_SECONDS": "0",
            "CURATION_FORM_MIN_SECONDS": "0",
            # The drills are about delivery: their readers have confirmed their addresses.
            "REFERRALS_CONFIRM_READERS": "0",
            "LOG_LEVEL": "WARNING",
            **env,
        }
        geocoder = REPO / "var" / "geocoder.pickle"
        if geocoder.exists():
            self.env.setdefault("GEOCODER_DATA", str(geocoder))
        self.processes = []

    def manage(self, *args, env=None, check=True):
        return subprocess.run(  # noqa: S603
            [sys.executable, str(REPO / "manage.py"), *args],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            check=check,
            cwd=REPO,
            timeout=300,
        )

    def python(self, code, env=None):
        """Run Django code in a process of its own; returns what it printed."""
        script = "import django; django.setup()\n" + code
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-c", script],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=300,
        )
        if result.returncode:
            raise AssertionError(f"drill script failed:\n{result.stderr}")
        return result.stdout.strip()

    def prepare(self):
        """Migrate, and add one group that takes messages (slug "drill-group")."""
        self.manage("migrate", "--no-input", "-v", "0")
        self.python(
            "from directory.models import Category\n"
            "from tests.factories import make_org\n"
            "cause = Category.objects.create(slug='housing', name='Housing', order=1)\n"
            "make_org(causes=[cause], name='Drill Tenants', slug='drill-group',"
            " contact_email='organizers@example.net')"
        )

    def start(self, *args, env=None, manage=True):
        """Start a long-running process (a worker, with manage.py's arguments, or a server);
        stopped at the end of the drill."""
        log = open(self.root / f"process-{len(self.processes)}.log", "w+")  # noqa: SIM115
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, *([str(REPO / "manage.py")] if manage else []), *args],
            env={**self.env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            start_new_session=True,
        )
        process.log = log
        self.processes.append(process)
        return process

    def serve(self, env=None):
        """The site's WSGI application on a free port, in a threaded server; has `.base`."""
        port = free_port()
        process = self.start("-m", "tests.outages", str(port), env=env, manage=False)
        base = f"http://127.0.0.1:{port}"

        def up():
            if process.poll() is not None:
                pytest.fail(f"the server exited:\n{output(process)}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_until(up, timeout=60, what="the server to listen")
        process.base = base
        return process

    def stop(self, process, sig=signal.SIGTERM):
        if process.poll() is None:
            os.killpg(process.pid, sig)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        return process.returncode

    def close(self):
        for process in self.processes:
            self.stop(process)
            process.log.close()


def output(process):
    process.log.flush()
    process.log.seek(0)
    return process.log.read()


# --- HTTP -----------------------------------------------------------------------------------


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body
        self.text = body.decode("utf-8", "replace")


class Reader:
    """A reader's browser, for the drills: cookies, CSRF tokens, forms posted as they are."""

    def __init__(self, base, forwarded_for=None):
        self.base = base
        self.forwarded_for = forwarded_for
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
        )

    def request(self, path, data=None, headers=None, timeout=60):
        headers = dict(headers or {})
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        # Always http://127.0.0.1: the drill's own server.
        request = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read())

    def get(self, path, **kwargs):
        return self.request(path, **kwargs)

    def form(self, path):
        """The hidden fields (CSRF and form tokens) of the form on a page."""
        page = self.get(path)
        assert page.status == 200, (path, page.status, page.text[:500])
        return hidden_fields(page.text)

    def post(self, path, data, **kwargs):
        return self.request(path, data=data, headers={"Referer": self.base + path}, **kwargs)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def hidden_fields(html):
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="hidden"' in tag:
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            if name:
                fields[name.group(1)] = unescape(value.group(1)) if value else ""
    return fields


def given_back(html):
    """{name: value} of the inputs and textareas of the 503 page's form: the words handed back."""
    fields = hidden_fields(html)
    for tag in re.findall(r"<input[^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and value:
            fields.setdefault(name.group(1), unescape(value.group(1)))
    for name, text in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        fields[name] = unescape(text)
    return fields


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve_forever(port):
    """What a WSGI server does: load orgsite.wsgi once, then answer requests on many threads."""
    from orgsite.wsgi import application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    with make_server("127.0.0.1", port, application, _ThreadingWSGIServer, QuietHandler) as server:
        server.serve_forever()


if __name__ == "__main__":
    serve_forever(int(sys.argv[1]))
