"""The widget in real headless Chromium, on a writer's page served from ANOTHER origin.

The live server is the site (http://localhost:<port>); a small HTTP server on 127.0.0.2 plays the
third-party blog: its pages carry a strict CSP of their own and the snippets the builder hands out.
"""

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails, in CI) with the reason
    expect = None

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOST_ADDRESS = "127.0.0.2"
WIDGET_FRAMES = "[data-orgsite-widget] iframe"
INITIAL_HEIGHT = 480


@pytest.fixture
def site(live_server, transactional_db):
    call_command("loadseeds", verbosity=0)
    return live_server.url


class Host:
    """A third-party web server: pages by path, each served with the headers given."""

    def __init__(self):
        self.pages = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body, headers = pages.get(urlsplit(self.path).path, (None, {}))
                if body is None:
                    self.send_response(204 if self.path == "/favicon.ico" else 404)
                    self.end_headers()
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", headers.get("type", "text/html; charset=utf-8"))
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    if name != "type":
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((HOST_ADDRESS, 0), Handler)
        self.url = f"http://{HOST_ADDRESS}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def page(self, path, body, site, **headers):
        """A writer's page with a strict CSP: scripts and frames only from the site (and itself)."""
        csp = (
            f"default-src 'none'; script-src {site} 'self'; frame-src {site} 'self'; "
            "style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'"
        )
        self.pages[path] = (body, {"Content-Security-Policy": csp, **headers})
        return self.url + path

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def host():
    server = Host()
    yield server
    server.close()


def post(*snippets):
    """A blog post with the snippets pasted in it, between paragraphs."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>A post</title>",
        "</head><body><article><h1>Why I joined a tenant union</h1><p>A story.</p>",
    ]
    for snippet in snippets:
        parts += [snippet, "<p>Another paragraph of the post.</p>"]
    parts.append("</article></body></html>")
    return "\n".join(parts)


class Tab:
    """A browser tab that records console errors, page errors (frames included) and requests to
    anywhere but the site and the host."""

    def __init__(self, context, allowed_hosts):
        self.context = context
        self.page = context.new_page()
        self.page.set_default_timeout(15000)
        self.allowed = allowed_hosts
        self.errors, self.foreign = [], []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        context.on("request", self._request)

    def _request(self, request):
        web = request.url.startswith(("http:", "https:"))
        if web and urlsplit(request.url).hostname not in self.allowed:
            self.foreign.append(request.url)

    def frames(self):
        handles = self.page.locator(WIDGET_FRAMES).element_handles()
        return [handle.content_frame() for handle in handles]

    def frame_height(self, index):
        return (
            self.page.locator(WIDGET_FRAMES)
            .nth(index)
            .evaluate("f => f.getBoundingClientRect().height")
        )

    def assert_clean(self):
        assert self.errors == []
        assert self.foreign == []


@pytest.fixture
def tab(browser, site):
    context = browser.new_context(viewport={"width": 900, "height": 900})
    yield Tab(context, {"localhost", "127.0.0.1", HOST_ADDRESS})
    context.close()


def snippet_from_builder(page, site, query):
    page.goto(f"{site}/embed/builder/?{query}")
    return page.locator("#snippet-script").input_value()


def content_height(frame):
    return frame.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")


def wait_until(check, timeout=20.0, message="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(0.05)


def wait_fitted(tab, index):
    """The widget's frame is exactly as tall as its content: no inner scrollbar, no gap."""

    def fitted():
        # Widget frames load lazily, as a reader scrolls towards them; scroll on every check,
        # since a widget above may grow and push this one out of view before it loads.
        tab.page.locator(WIDGET_FRAMES).nth(index).scroll_into_view_if_needed()
        frame = tab.frames()[index]
        if frame is None or not frame.locator("body").count():
            return False
        return abs(tab.frame_height(index) - content_height(frame)) <= 1 and frame.evaluate(
            "document.documentElement.scrollHeight <= window.innerHeight"
        )

    wait_until(fitted, message=f"widget {index} to fit its content")


def test_widgets_on_a_third_party_page(site, host, tab):
    page = tab.page
    first = snippet_from_builder(page, site, "cause=immigrant-rights&near=94704")
    second = snippet_from_builder(
        page, site, "cause=tenants&near=Chicago%2C+IL&theme=dark&accent=%23e8590c&layout=compact"
    )
    assert first.startswith('<div data-orgsite-widget data-cause="immigrant-rights"')
    assert "<noscript><iframe" in first and "<script async src=" in first
    host.page("/evil.html", "<!doctype html><title>ad</title><p>An ad.</p>", site)
    url = host.page("/post.html", post(first, second, '<iframe src="/evil.html" title="ad">'), site)
    bare = host.page("/bare.html", post(), site)

    page.goto(bare)
    globals_before = set(page.evaluate("Object.keys(window)"))
    page.goto(url)
    expect(page.locator(WIDGET_FRAMES)).to_have_count(2)
    for index in (0, 1):
        wait_fitted(tab, index)
    widget, dark = tab.frames()

    # One global, however many snippets (each with its own script tag) are on the page.
    added = set(page.evaluate("Object.keys(window)")) - globals_before
    assert {name for name in added if not name.isdigit()} == {"OrgsiteWidget"}
    assert page.locator(WIDGET_FRAMES).count() == 2

    # Each widget shows its own presets' results, grown to fit them.
    assert "groups for Berkeley, CA 94704" in widget.locator(".results__summary").inner_text()
    assert widget.locator(".card").count() == 5  # the default
    assert tab.frame_height(0) > INITIAL_HEIGHT
    assert "groups for Chicago, IL" in dark.locator(".results__summary").inner_text()
    assert "theme-dark" in dark.locator("html").get_attribute("class")
    assert dark.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(21, 26, 36)"
    assert (
        dark.locator(".embed-form .button").evaluate("b => getComputedStyle(b).backgroundColor")
        == "rgb(232, 89, 12)"
    )
    assert not dark.locator(".card__summary").first.is_visible()  # compact
    for frame in (widget, dark):
        assert frame.evaluate("document.cookie") == ""

    # Hostile messages: from the host page itself, from another frame on it, and malformed
    # ones from the widget's own frame. None resizes a widget; nothing reaches into one.
    heights = [tab.frame_height(0), tab.frame_height(1)]
    cards = widget.locator(".card").count()
    forged = "{type: 'orgsite:height', height: 7}"
    page.evaluate(f"window.postMessage({forged}, '*')")
    page.evaluate(
        "document.querySelectorAll('iframe').forEach(f => f.contentWindow.postMessage("
        "{type: 'orgsite:height', height: 7, html: '<img src=x onerror=alert(1)>'}, '*'))"
    )
    ad = next(f for f in page.frames if f.url.endswith("/evil.html"))
    ad.evaluate(f"parent.postMessage({forged}, '*')")
    for bad in (
        "{type: 'orgsite:height', height: 7, extra: 1}",
        "{type: 'orgsite:height', height: '7'}",
        "{type: 'orgsite:height', height: 7.5}",
        "{type: 'orgsite:height', height: 1e9}",
        "{type: 'orgsite:height', height: -7}",
        "['orgsite:height', 7]",
        "'orgsite:height 7'",
    ):
        widget.evaluate(f"parent.postMessage({bad}, '*')")
    page.wait_for_timeout(300)
    assert [tab.frame_height(0), tab.frame_height(1)] == heights
    assert widget.locator(".card").count() == cards
    assert widget.locator("img").count() == 0
    # The control: the same exact shape from the widget's own frame is obeyed.
    widget.evaluate(
        f"parent.postMessage({{type: 'orgsite:height', height: {heights[0] + 40}}}, '*')"
    )
    wait_until(lambda: tab.frame_height(0) == heights[0] + 40, message="the genuine message")
    widget.evaluate(f"parent.postMessage({{type: 'orgsite:height', height: {heights[0]}}}, '*')")
    wait_until(lambda: tab.frame_height(0) == heights[0], message="the height back")

    # A reader searches inside a widget: results update in place and the frame refits.
    dark.locator("#embed-near").fill("94704")
    dark.get_by_role("button", name="Search", exact=True).click()
    expect(dark.locator(".results__summary")).to_contain_text("groups for Berkeley")
    wait_fitted(tab, 1)
    assert dark.locator(".card").count() > 0
    assert page.url == url
    # Nothing so far (builder, host page, two widgets, a search) has set a cookie.
    assert tab.context.cookies() == []

    # A result opens the group's page on the site, in a new tab, without an opener.
    title = widget.locator(".card__title a").first
    name = title.inner_text()
    with tab.context.expect_page() as opened:
        title.click()
    group = opened.value
    group.wait_for_load_state()
    assert urlsplit(group.url).path.startswith("/groups/")
    assert group.locator("h1").inner_text() == name
    assert group.evaluate("window.opener") is None
    assert page.url == url
    tab.assert_clean()


def test_a_stray_script_and_bad_presets_do_not_break_the_page(site, host, tab):
    page = tab.page
    snippet = snippet_from_builder(page, site, "cause=labor")
    hostile = (
        '<div data-orgsite-widget data-cause="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" '
        'data-accent="red;background:url(https://evil.example/x)" data-near="94704"></div>'
    )
    url = host.page("/post.html", post(snippet, hostile), site)
    page.goto(url)
    expect(page.locator(WIDGET_FRAMES)).to_have_count(2)
    wait_fitted(tab, 1)
    frame = tab.frames()[1]
    notices = frame.locator(".embed__notices").inner_text()
    assert 'There is no cause called “"><script>alert(1)</script>”' in notices
    assert "is not a hex colour" in notices
    assert frame.locator("script:not([src])").count() == 0
    assert "groups for Berkeley" in frame.locator(".results__summary").inner_text()
    # A place the site does not know: the site's message and suggestions, inside the frame.
    labor = tab.frames()[0]
    labor.locator("#embed-near").fill("Sprngfield")
    labor.locator("#embed-near").press("Enter")
    expect(labor.locator("#embed-near-errors")).to_contain_text("Did you mean")
    assert labor.evaluate("document.activeElement.id") == "embed-near"
    labor.locator("#embed-near").fill("60614")
    labor.locator("#embed-near").press("Enter")
    expect(labor.locator(".results__summary")).to_contain_text("Chicago")
    assert labor.locator("#embed-near-errors").count() == 0
    wait_fitted(tab, 0)
    # Widgets added after load start with OrgsiteWidget.init().
    page.evaluate(
        "() => { const d = document.createElement('div'); d.dataset.orgsiteWidget = '';"
        " d.dataset.near = '10001'; document.body.append(d); OrgsiteWidget.init(); }"
    )
    expect(page.locator(WIDGET_FRAMES)).to_have_count(3)
    wait_fitted(tab, 2)
    assert "New York" in tab.frames()[2].locator(".results__summary").inner_text()
    tab.assert_clean()


def test_without_javascript_the_noscript_frame_and_the_plain_link_work(site, host, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site}/embed/builder/?cause=immigrant-rights&near=94704")
    snippet = page.locator("#snippet-script").input_value()
    link = page.locator("#snippet-link").input_value()
    iframe_only = page.locator("#snippet-iframe").input_value()
    context.close()

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(host.page("/post.html", post(snippet), site))
    frame = page.locator("iframe").first
    content = frame.element_handle().content_frame()
    content.wait_for_selector(".card")
    assert "groups for Berkeley, CA 94704" in content.locator(".results__summary").inner_text()
    assert frame.get_attribute("sandbox").startswith("allow-scripts")

    # The plain iframe, for hosts that strip scripts.
    page.goto(host.page("/iframe.html", post(iframe_only), site))
    content = page.locator("iframe").first.element_handle().content_frame()
    content.wait_for_selector(".card")

    # The plain link, for hosts that strip both.
    page.goto(link)
    assert urlsplit(page.url).path == "/search/"
    headings = page.locator("section.block h2").all_inner_texts()
    assert headings[0].startswith("Groups that cover Berkeley, CA")
    assert context.cookies() == []
    context.close()


def test_builder_live_preview_and_copy(site, browser):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    tab = Tab(context, {"localhost", "127.0.0.1"})
    page = tab.page
    page.goto(f"{site}/embed/builder/")
    assert not page.get_by_role("button", name="Update the preview").is_visible()
    page.get_by_text("Immigrant rights", exact=True).first.click()
    page.get_by_label("Place").fill("94704")
    page.get_by_label("Dark").check()
    # The snippet is rebuilt on every change: wait until it carries all three choices.
    expect(page.locator("#snippet-script")).to_have_value(
        re.compile(
            r'(?=[\s\S]*data-near="94704")(?=[\s\S]*data-theme="dark")(?=[\s\S]*data-cause=)'
        )
    )
    script = page.locator("#snippet-script").input_value()
    assert 'data-cause="immigrant-rights"' in script and 'data-theme="dark"' in script
    assert (
        page.locator("#snippet-link")
        .input_value()
        .endswith("/search/?near=94704&cause=immigrant-rights")
    )
    # The preview is the real widget, updated.
    expect(page.locator(WIDGET_FRAMES)).to_have_attribute(
        "src", re.compile(r"near=94704.*theme=dark")
    )
    preview = page.locator(WIDGET_FRAMES).last.element_handle().content_frame()
    preview.wait_for_selector(".card")
    assert "theme-dark" in preview.locator("html").get_attribute("class")
    # Copy.
    page.locator("[data-copy=snippet-script]").click()
    expect(page.locator("[data-copy-status]").first).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == script
    assert "noindex" not in page.content()
    tab.assert_clean()
    context.close()


def test_map_layout_in_a_frame(site, host, tab):
    page = tab.page
    snippet = snippet_from_builder(page, site, "cause=immigrant-rights&near=94704&layout=map&max=5")
    page.goto(host.page("/post.html", post(snippet), site))
    page.wait_for_selector(WIDGET_FRAMES)
    wait_fitted(tab, 0)
    frame = tab.frames()[0]
    frame.wait_for_selector("#map.map--ready")
    assert int(frame.locator("#map").get_attribute("data-markers")) == 5
    wait_fitted(tab, 0)
    tab.assert_clean()


def test_builder_and_widget_fit_a_320px_phone(site, browser):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    for path in (
        "/embed/builder/?cause=immigrant-rights&near=94704",
        "/embed/?cause=immigrant-rights&near=94704",
        "/embed/?cause=immigrant-rights&near=94704&layout=compact&theme=dark",
    ):
        page.goto(site + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    context.close()
