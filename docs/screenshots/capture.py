"""Take the screenshots in docs/screenshots/ of a freshly seeded site, at 1280 px and 375 px.

Run from the repository root: .venv/bin/python docs/screenshots/capture.py

It builds a throwaway site in a temporary folder (SQLite database, geocoder, seeds and a
superuser), serves it with `manage.py runserver` on 127.0.0.1, serves a writer's blog post with
the widget snippet from 127.0.0.2, and photographs the first screen of each page with headless
Chromium. Nothing outside the temporary folder and docs/screenshots/ is written.
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from tests.browser import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402

PYTHON = sys.executable
HOST_ADDRESS = "127.0.0.2"
# The throwaway site's superuser: a fresh password each run, never shown or kept.
ADMIN_PASSWORD = secrets.token_urlsafe(16)
VIEWPORTS = {1280: {"width": 1280, "height": 900}, 375: {"width": 375, "height": 812}}
GROUP = "richmond-sanctuary-neighbors"
PAGES = {
    "home": "/",
    "results": "/search/?near=94704&cause=immigrant-rights",
    "far-search": "/search/?near=59001",
    "group": f"/groups/{GROUP}/",
    "cause": "/causes/immigrant-rights/",
    "suggest": "/suggest/",
    "builder": "/embed/builder/",
}


def free_port(address="127.0.0.1"):
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def manage(env, *args):
    subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True
    )


def prepare(var_dir):
    """The environment of a throwaway site with data: migrated, geocoder built, seeded, an admin."""
    env = dict(
        os.environ,
        DEBUG="1",
        ORGSITE_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{var_dir / 'db.sqlite3'}",
        GEOCODER_ONLINE="",
        DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
    )
    # Reusing a built lookup saves a minute; build_geocoder rebuilds it only if it is stale.
    built = ROOT / "var" / "geocoder.pickle"
    if built.exists():
        shutil.copy(built, var_dir / "geocoder.pickle")
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "build_geocoder", "-v", "0")
    manage(env, "loadseeds", "-v", "0")
    manage(env, "createsuperuser", "--no-input", "--username", "admin", "--email", "", "-v", "0")
    return env


def serve(env, port):
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("The site did not start.")


def blog(snippet):
    """A writer's blog post on another origin with the widget snippet pasted in; stop() ends it."""
    body = "\n".join(
        [
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
            "<meta name='viewport' content='width=device-width, initial-scale=1'>",
            "<title>Why I joined a tenant union</title>",
            # The blog's own look, so the widget shows as a block inside someone else's page.
            "<style>body{margin:0;background:#fbf8f1;font:18px/1.6 Georgia,serif;color:#222}",
            "article{max-width:720px;margin:0 auto;padding:24px 16px}</style></head>",
            "<body><article><h1>Why I joined a tenant union</h1>",
            "<p>A story about the neighbours who organised our building, and how you can find",
            "a group near you.</p>",
            snippet,
            "<p>Another paragraph of the post.</p></article></body></html>",
        ]
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/" else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body) if self.path == "/" else 0))
            self.end_headers()
            if self.path == "/":
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((HOST_ADDRESS, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{HOST_ADDRESS}:{server.server_address[1]}/"


def settle(page):
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(300)


def shoot(page, name, width):
    path = OUT / f"{name}-{width}.png"
    page.screenshot(path=path, full_page=False, animations="disabled")
    # A 256-colour palette keeps flat UI screens sharp at a fraction of the size.
    image = Image.open(path).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(path, optimize=True)
    print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


def log_in(page, site):
    page.goto(f"{site}/admin/login/?next=/admin/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{site}/admin/")


def capture(site):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for width, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport, locale="en-US")
            page = context.new_page()
            for name, path in PAGES.items():
                response = page.goto(site + path)
                if response.status != 200:
                    raise SystemExit(f"{path} answered {response.status}.")
                settle(page)
                shoot(page, name, width)

            page.goto(f"{site}/embed/builder/?near=94704&cause=tenants")
            snippet = page.locator("#snippet-script").input_value()
            host, post_url = blog(snippet)
            try:
                page.goto(post_url)
                page.wait_for_selector("[data-orgsite-widget] iframe")
                settle(page)
                shoot(page, "widget", width)
            finally:
                host.shutdown()
                host.server_close()

            log_in(page, site)
            settle(page)
            shoot(page, "admin-index", width)
            context.close()
        browser.close()


def main():
    with tempfile.TemporaryDirectory(prefix="orgsite-shots-") as folder:
        env = prepare(Path(folder))
        port = free_port()
        server = serve(env, port)
        try:
            capture(f"http://127.0.0.1:{port}")
        finally:
            server.terminate()
            server.wait()
    total = sum(path.stat().st_size for path in OUT.glob("*.png"))
    print(f"Total: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
