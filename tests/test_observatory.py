"""The production server as a browser meets it: HTTPS with a self-signed certificate, gunicorn.

The MDN HTTP Observatory scores its pages when the scanner is installed (docs/security.md says
how; it cannot be fetched at test time). Its rules are checked here in any case, page by page.
"""

import http.client
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import settings

from orgsite.checks import PLAIN_HTTP_WARNING

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "localhost"
SCANNER = Path(
    os.environ.get("OBSERVATORY_PACKAGE")
    or BASE_DIR / "var" / "observatory" / "node_modules" / "@mdn" / "mdn-http-observatory"
)
PAGES = {
    "home": "/",
    "search": "/search/?near=94704&radius=25",
    "group": "/groups/{slug}/",
    "embed": "/embed/?near=94704",
    "api": "/api/v1/organizations/?near=94704",
}
SIX_MONTHS = 15768000
PRIVATE_REFERRER = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}

pytestmark = pytest.mark.skipif(
    not shutil.which("openssl") or not shutil.which("gunicorn", path=Path(sys.executable).parent),
    reason="needs openssl and gunicorn (pip install -e '.[dev]')",
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(env, *args):
    return subprocess.run(  # noqa: S603 (our own interpreter and commands)
        [sys.executable, *args], cwd=BASE_DIR, env=env, check=True, capture_output=True, text=True
    ).stdout


def serve(env, port, log, *tls):
    gunicorn = [sys.executable, "-m", "gunicorn", "orgsite.wsgi:application", "--workers", "1"]
    return subprocess.Popen(  # noqa: S603
        [*gunicorn, "--bind", f"127.0.0.1:{port}", *tls],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_until_up(connect, process):
    for _ in range(120):
        if process.poll() is not None:
            raise RuntimeError("the server stopped")
        try:
            connection = connect()
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not answer within a minute")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Production settings (DEBUG off, SECURE by default) over HTTPS, plus its plain-http port."""
    root = tmp_path_factory.mktemp("production")
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(  # noqa: S603
        [
            shutil.which("openssl"),
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={HOST}",
            "-addext",
            f"subjectAltName=DNS:{HOST},IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    https_port, http_port = free_port(), free_port()
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "orgsite.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": f"{HOST},127.0.0.1",
        "ORGSITE_VAR_DIR": str(root / "var"),
        "GEOCODER_DATA": str(settings.GEOCODER_DATA),
        # Both ports are on one host here; a real deployment listens on 80 and 443.
        "SECURE_SSL_HOST": f"{HOST}:{https_port}",
    }
    # The headers do not depend on the database engine: a SQLite file of its own, seeded.
    run(env, "manage.py", "migrate", "--no-input", "-v", "0")
    run(env, "manage.py", "loadseeds", "-v", "0")
    run(env, "manage.py", "collectstatic", "--no-input", "-v", "0")
    slug = run(
        env,
        "manage.py",
        "shell",
        "-v",
        "0",
        "-c",
        "from directory.models import Organization as O; print(O.objects.published()[0].slug)",
    ).split()[-1]
    context = ssl.create_default_context(cafile=str(cert))
    log = (root / "server.log").open("w")
    tls = ("--certfile", str(cert), "--keyfile", str(key))
    processes = [serve(env, https_port, log, *tls), serve(env, http_port, log)]
    try:
        wait_until_up(
            lambda: http.client.HTTPSConnection(HOST, https_port, context=context, timeout=10),
            processes[0],
        )
        yield {
            "env": env,
            "cert": cert,
            "context": context,
            "https_port": https_port,
            "http_port": http_port,
            "slug": slug,
            "root": root,
        }
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        log.close()


def fetch_https(context, port, path):
    connection = http.client.HTTPSConnection(HOST, port, context=context, timeout=30)
    connection.request("GET", path, headers={"Accept": "text/html,*/*;q=0.8"})
    response = connection.getresponse()
    return response.status, response.headers, response.read().decode()


def page(server, name):
    return PAGES[name].format(slug=server["slug"])


# --- The Observatory's own scan ---


@pytest.mark.skipif(
    not (SCANNER / "src" / "scanner" / "index.js").exists() or not shutil.which("node"),
    reason=f"the MDN HTTP Observatory is not installed at {SCANNER} (see docs/security.md)",
)
@pytest.mark.parametrize("name", PAGES)
def test_the_observatory_grades_each_page_a_plus(server, name):
    done = subprocess.run(  # noqa: S603
        [
            shutil.which("node"),
            str(BASE_DIR / "tests" / "observatory_scan.mjs"),
            str(SCANNER),
            HOST,
            str(server["http_port"]),
            str(server["https_port"]),
            page(server, name),
        ],
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(server["cert"])},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    if os.environ.get("OBSERVATORY_REPORT_DIR"):
        out = Path(os.environ["OBSERVATORY_REPORT_DIR"]) / f"{name}.json"
        out.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    assert report["scan"]["statusCode"] == 200
    penalties = {
        test: result["result"]
        for test, result in report["tests"].items()
        if result["scoreModifier"] < 0 or not result["pass"]
    }
    assert penalties == {}
    assert report["scan"]["grade"] == "A+", report["scan"]


# --- The same rules, checked here without the scanner ---


def csp_directives(value):
    directives = {}
    for part in value.split(";"):
        name, *sources = part.split()
        directives.setdefault(name.lower(), sources)  # the first of a duplicate wins
    return directives


@pytest.mark.parametrize("name", PAGES)
def test_each_page_meets_the_observatory_rules(server, name):
    path = page(server, name)
    status, headers, body = fetch_https(server["context"], server["https_port"], path)
    assert status == 200

    # Content Security Policy: present, nothing unsafe, no plain-http sources, framing limited.
    csp = csp_directives(headers["Content-Security-Policy"])
    default = csp["default-src"]
    assert default in (["'none'"], ["'self'"])
    for directive in ("script-src", "style-src", "object-src", "base-uri", "form-action"):
        sources = csp.get(directive, default)
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "data:"} & set(sources), (
            directive
        )
        assert not any(source.startswith("http://") for source in sources), directive
    assert csp["object-src"] == ["'none'"]
    assert "frame-ancestors" in csp  # and so X-Frame-Options is implemented through the CSP
    if name != "embed":
        assert csp["frame-ancestors"] == ["'none'"]

    # Strict Transport Security: at least six months, subdomains too.
    hsts = headers["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= SIX_MONTHS and "includeSubDomains" in hsts

    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in PRIVATE_REFERRER
    assert "geolocation=(self)" in headers["Permissions-Policy"]

    # CORS: public data may be read from anywhere, but never with credentials.
    if headers.get("Access-Control-Allow-Origin") == "*":
        assert headers.get("Access-Control-Allow-Credentials", "").lower() != "true"

    # Cookies: Secure and SameSite; the session's HttpOnly.
    for raw in headers.get_all("Set-Cookie") or []:
        for cookie_name, morsel in SimpleCookie(raw).items():
            assert morsel["secure"] and morsel["samesite"] in ("Lax", "Strict"), cookie_name
            if cookie_name == settings.SESSION_COOKIE_NAME:
                assert morsel["httponly"]

    # Subresource integrity is not needed: every script comes from this site.
    for src in re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", body):
        assert src.startswith("/") and not src.startswith("//"), src

    # Redirection: plain http goes straight to https on the same host.
    connection = http.client.HTTPConnection(HOST, server["http_port"], timeout=30)
    connection.request("GET", path)
    redirect = connection.getresponse()
    assert redirect.status == 301
    assert redirect.headers["Location"] == f"https://{HOST}:{server['https_port']}{path}"


def test_the_admin_sign_in_page_meets_them_too(server):
    status, headers, _ = fetch_https(server["context"], server["https_port"], "/admin/login/")
    assert status == 200
    assert csp_directives(headers["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]
    assert "includeSubDomains" in headers["Strict-Transport-Security"]
    assert "no-store" in headers["Cache-Control"]
    for raw in headers.get_all("Set-Cookie") or []:
        for cookie_name, morsel in SimpleCookie(raw).items():
            assert morsel["secure"], cookie_name


# --- SECURE=0: the plain-http production server a benchmark runs ---


def test_secure_0_serves_production_over_plain_http_and_warns(server):
    port = free_port()
    env = {**server["env"], "SECURE": "0"}
    env.pop("SECURE_SSL_HOST")
    log_path = server["root"] / "plain.log"
    with log_path.open("w") as log:
        process = serve(env, port, log)
        try:
            wait_until_up(lambda: http.client.HTTPConnection("127.0.0.1", port), process)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/search/?near=94704")
            response = connection.getresponse()
            assert response.status == 200
            assert "Strict-Transport-Security" not in response.headers
            assert "Permissions-Policy" in response.headers
            for raw in response.headers.get_all("Set-Cookie") or []:
                assert "Secure" not in raw
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert PLAIN_HTTP_WARNING in log_path.read_text()
