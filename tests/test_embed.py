"""The widget, server side: framing rules on every route, the frame, widget.js, the builder,
oEmbed, bad presets, and the weight budget measured from the served responses."""

import itertools
import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.admindocs.views import extract_views_from_urlpatterns
from django.urls import Resolver404, get_resolver, resolve

from directory.models import Category, Organization
from embed import snippets, weight
from embed.presets import accent_palette, contrast, parse_presets
from tests.factories import make_category, make_org

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_db")]

# The only routes other sites may frame: the widget's own page.
FRAMEABLE = {"embed:frame"}
SEARCH = "/embed/?near=94704&cause=immigrant-rights"
HOSTILE = '"><script>alert(1)</script>'


def _body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


# --- Framing: every route of the site, found from the URLconf itself. ----------------------


def _sample_values(name, path):
    org = Organization.objects.published().values_list("slug", flat=True).first()
    cause = Category.objects.values_list("slug", flat=True).first()
    table = {
        "slug": [cause, org] if path.startswith("/causes/") else [org, cause],
        "version": [snippets.widget_source()[1]],
        "app_label": ["directory", "auth"],
        "url": ["no-such-admin-page/"],
        "object_id": ["1"],
        "content_type_id": ["1"],
        "id": ["1"],
    }
    return table.get(name, ["yes", "no", "1", "x", "a" * 20])


def _template(regex):
    """A URL pattern as a path with {name} for each variable part: route converters, named and
    unnamed regex groups; anchors dropped, escapes undone."""
    out, i = [], 0
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            out.append(regex[i + 1])
            i += 2
        elif char in "^$":
            i += 1
        elif char == "<":
            end = regex.index(">", i)
            out.append("{" + regex[i + 1 : end].split(":")[-1] + "}")
            i = end + 1
        elif char == "(":
            depth, end = 0, i
            while True:
                if regex[end] == "\\":
                    end += 2
                    continue
                depth += {"(": 1, ")": -1}.get(regex[end], 0)
                if depth == 0:
                    break
                end += 1
            named = re.match(r"\(\?P<(\w+)>", regex[i:])
            out.append("{" + (named.group(1) if named else "var") + "}")
            i = end + 1
        else:
            out.append(char)
            i += 1
    return "/" + "".join(out)


def _routes():
    """(name, sample path) for every URL pattern, each path checked to resolve to its view."""
    routes = []
    for view, regex, namespace, name in extract_views_from_urlpatterns(get_resolver().url_patterns):
        template = _template(regex)
        names = re.findall(r"{(\w+)}", template)
        label = ":".join([*(namespace or []), name or template])
        found = None
        for values in itertools.product(*(_sample_values(n, template) for n in names)):
            path = template
            for value in values:
                path = re.sub(r"{\w+}", value, path, count=1)
            try:
                if resolve(path).func is view:
                    found = path
                    break
            except Resolver404:
                continue
        assert found, f"{template}: add sample values for it to _sample_values()"
        routes.append((label, found))
    return routes


def test_every_route_refuses_framing_except_the_widget_frame(client, settings):
    routes = _routes()
    assert len(routes) > 20 and {"embed:frame", "directory:search"} <= {r[0] for r in routes}
    checked = []
    for label, path in routes:
        response = client.get(path)
        csp = response.headers.get("Content-Security-Policy", "")
        if label in FRAMEABLE:
            assert "X-Frame-Options" not in response.headers, label
            assert "frame-ancestors 'self' *" in csp, label
        else:
            assert response.headers.get("X-Frame-Options") == "DENY", (label, path)
            assert "frame-ancestors 'none'" in csp, (label, path)
        checked.append(label)
    assert len(checked) == len(routes)
    # Not-found pages too.
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_frame_allowlist_comes_from_the_setting(client, settings):
    settings.EMBED_FRAME_ANCESTORS = ["https://blog.example.org", "https://*.example.net"]
    csp = client.get(SEARCH).headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://blog.example.org https://*.example.net;" in csp + ";"
    assert "*;" not in csp.replace("*.", "")
    # The other pages are unaffected.
    assert "frame-ancestors 'none'" in client.get("/search/").headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "source", ["https://a.example; script-src *", "x y", "'unsafe-inline'", "https://a.example,"]
)
def test_a_bad_allowlist_entry_is_a_configuration_error(client, settings, source):
    from django.core.exceptions import ImproperlyConfigured

    from embed.framing import frame_ancestors

    settings.EMBED_FRAME_ANCESTORS = [source]
    with pytest.raises(ImproperlyConfigured):
        frame_ancestors()


# --- The frame. ------------------------------------------------------------------------------


def test_frame_runs_the_site_search_with_the_same_cards(client):
    response = client.get(SEARCH)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Groups that cover Berkeley, CA" in html
    assert 'class="card__distance"' in html and 'class="card__first-step"' in html
    # Cards and every link in them open outside the frame.
    assert html.count('class="card"') == 5  # the default: a few cards, "See all" for the rest
    for link in re.findall(r'<a [^>]*href="/groups/[^"]*"[^>]*>', html):
        assert 'target="_blank"' in link and 'rel="noopener' in link
    assert '<base target="_blank">' in html
    assert 'target="_self"' in re.search(r"<form[^>]*>", html).group(0)
    # No site header or footer; a way to the full search.
    assert "site-header" not in html and "site-footer" not in html
    more = re.search(r'<p class="results__more"><a [^>]*href="([^"]+)"[^>]*>([^<]+)', html)
    assert urlsplit(unescape(more.group(1))).path == "/search/"
    assert parse_qs(urlsplit(unescape(more.group(1))).query) == {
        "near": ["94704"],
        "cause": ["immigrant-rights"],
    }
    assert more.group(2).startswith("See all ")


def test_frame_sets_no_cookie_and_is_cacheable(client):
    for url in (SEARCH, "/embed/", "/embed/?near=Sprngfield", "/embed/?layout=map&near=94704"):
        response = client.get(url)
        assert not response.cookies, url
        assert "Set-Cookie" not in response.headers
        assert "public" in response.headers["Cache-Control"]
        assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert not client.cookies


def test_frame_presets_shape_the_page(client):
    html = client.get(
        SEARCH + "&max=3&theme=dark&layout=list&accent=%23B3261E&lang=es&radius=40"
    ).content.decode()
    assert html.count('class="card"') == 3
    assert 'class="embed theme-dark layout-list"' in html
    assert 'href="/embed/accent.css?c=b3261e"' in html
    # Presets ride along the reader's next search; the reader's place and causes do not.
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    assert hidden == {
        "radius": "40",
        "lang": "es",
        "accent": "b3261e",
        "theme": "dark",
        "layout": "list",
        "max": "3",
    }


def test_frame_map_layout_has_the_map_and_its_data(client):
    html = client.get(SEARCH + "&layout=map&max=5").content.decode()
    assert 'id="map-data"' in html and "leaflet.js" in html
    data = json.loads(re.search(r'id="map-data"[^>]*>([^<]*)<', html).group(1))
    assert 0 < len(data["markers"]) <= 5
    assert "leaflet" not in client.get(SEARCH).content.decode()


def test_frame_without_a_place_asks_for_one(client):
    html = client.get("/embed/").content.decode()
    assert "Type a ZIP code or a city" in html
    assert 'class="card"' not in html


def test_frame_unknown_place_offers_suggestions_inside_the_frame(client):
    html = client.get("/embed/?near=Sprngfield&accent=b3261e").content.decode()
    assert "Did you mean" in html
    suggestion = re.search(r'<a href="(\?[^"]+)" target="_self">', html).group(1)
    assert "accent=b3261e" in suggestion and "near=Springfield" in unescape(suggestion)


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ("cause=no-such-cause", "There is no cause called “no-such-cause”"),
        ("accent=red;background:url(https://evil.example/x)", "is not a hex colour"),
        ("accent=%23ff000", "is not a hex colour"),
        ("theme=neon", "is not one of light, dark"),
        ("layout=carousel", "is not one of compact, list, map"),
        ("max=5000", "The number of results must be from 1 to 50"),
        ("max=-1", "The number of results must be from 1 to 50"),
        ("radius=0", "is not a number of miles"),
        ("radius=1e9", "is not a number of miles"),
        ("lang=xx", "There is no meeting language"),
        ("coverage=galactic", "There is no kind of group"),
    ],
)
def test_bad_presets_are_ignored_with_a_clear_message(client, query, notice):
    response = client.get(f"/embed/?near=94704&{query}")
    html = response.content.decode()
    assert response.status_code == 200
    assert notice in unescape(html)
    assert "Groups that cover Berkeley, CA" in html  # the rest of the search still works
    assert "evil.example" not in re.sub(r"<li>[^<]*</li>", "", html)  # only inside the notice
    assert "accent.css" not in html


@pytest.mark.parametrize(
    "key", ["near", "cause", "q", "radius", "lang", "coverage", "accent", "theme", "layout", "max"]
)
def test_script_in_any_preset_is_never_rendered(client, key):
    for value in (HOSTILE, "<img src=x onerror=alert(1)>", "javascript:alert(1)"):
        response = client.get(
            "/embed/", {key: value, "near": "94704"} if key != "near" else {key: value}
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert 'href="javascript:' not in html


def test_accent_stylesheet_keeps_text_readable(client):
    css = client.get("/embed/accent.css?c=ffe066").content.decode()
    assert "--brand:#ffe066" in css and "--brand-ink:#111111" in css
    palette = accent_palette("#ffe066")
    assert contrast(palette["link"], "#ffffff") >= 4.5
    assert contrast(palette["link_dark"], "#151a24") >= 4.5
    assert contrast(palette["brand"], palette["brand_ink"]) >= 4.5
    assert "--brand-ink:#ffffff" in client.get("/embed/accent.css?c=123").content.decode()
    for bad in ("red", "ff0000;x", "%3C/style%3E", ""):
        response = client.get(f"/embed/accent.css?c={bad}")
        assert response.status_code == 400
        assert response.content == b"/* not a hex colour */"


def test_presets_keep_a_bounded_number_of_causes_and_accept_commas(client):
    from django.http import QueryDict

    presets = parse_presets(QueryDict("cause=immigrant-rights,tenants&cause=labor"))
    assert presets.search.getlist("cause") == ["immigrant-rights", "tenants", "labor"]
    many = parse_presets(QueryDict("&".join(f"cause=c{i}" for i in range(500))))
    assert len(many.notices) == 20


def test_frame_query_count_does_not_grow_with_results(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        client.get(SEARCH + "&max=50")
    with django_assert_max_num_queries(12):
        client.get(SEARCH + "&max=1")


# --- widget.js ---------------------------------------------------------------------------------


def test_widget_js_is_served_cross_origin_and_versioned(client):
    body, version = snippets.widget_source()
    plain = client.get("/widget.js")
    assert _body(plain) == body
    assert plain.headers["Content-Type"].startswith("text/javascript")
    assert plain.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert plain.headers["Cache-Control"] == "public, max-age=3600"
    versioned = client.get(f"/widget.{version}.js")
    assert _body(versioned) == body
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert versioned.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    # An old snippet's version gets today's file, cached briefly.
    stale = client.get("/widget.000000000000.js")
    assert _body(stale) == body and stale.headers["Cache-Control"] == "public, max-age=3600"
    # Revalidation.
    assert client.get("/widget.js", HTTP_IF_NONE_MATCH=plain.headers["ETag"]).status_code == 304
    assert not plain.cookies and not versioned.cookies


def test_widget_js_has_one_global_and_checks_every_message():
    source = snippets.widget_source()[0].decode()
    assert re.findall(r"window\.(\w+)\s*=", source) == ["OrgsiteWidget"]
    assert "frames[i].contentWindow !== event.source" in source
    assert "Object.keys(data).length === 2" in source
    assert "innerHTML" not in source and "eval(" not in source
    assert 'setAttribute("style"' not in source


# --- The builder ---------------------------------------------------------------------------


def test_builder_writes_the_three_snippets(client):
    response = client.get(
        "/embed/builder/", {"cause": ["immigrant-rights", "tenants"], "near": "94704", "max": "3"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    script = unescape(re.search(r'<textarea id="snippet-script"[^>]*>([^<]*)<', html).group(1))
    version = snippets.widget_source()[1]
    ref = re.search(r'data-ref="([a-z2-7]{12})"', script).group(1)  # this snippet's own
    assert script == (
        '<div data-orgsite-widget data-cause="immigrant-rights,tenants" data-near="94704" '
        f'data-max="3" data-ref="{ref}"></div>\n'
        f'<script async src="http://testserver/widget.{version}.js"></script>\n'
        '<noscript><iframe src="http://testserver/embed/?near=94704&amp;cause=immigrant-rights'
        f'&amp;cause=tenants&amp;max=3&amp;ref={ref}" title="Local groups to join, from orgsite" '
        f'width="100%" height="600" loading="lazy" sandbox="{snippets.SANDBOX}"></iframe>'
        "</noscript>"
    )
    iframe = unescape(re.search(r'<textarea id="snippet-iframe"[^>]*>([^<]*)<', html).group(1))
    assert iframe.startswith('<iframe src="http://testserver/embed/?near=94704&amp;cause=')
    link = unescape(re.search(r'<textarea id="snippet-link"[^>]*>([^<]*)<', html).group(1))
    assert link == ("http://testserver/search/?near=94704&cause=immigrant-rights&cause=tenants")
    assert "Plain link" in html and "newsletters" in html
    # The preview is the widget itself.
    assert '<div data-orgsite-widget data-cause="immigrant-rights,tenants"' in html
    assert f'src="/widget.{version}.js"' in html


def test_builder_escapes_everything_it_echoes(client):
    html = client.get(
        "/embed/builder/", {"near": HOSTILE, "cause": HOSTILE, "accent": HOSTILE}
    ).content.decode()
    assert "<script>alert" not in html
    # In a textarea the snippet is text: escaped once for the page, once inside the snippet.
    assert "&amp;quot;&amp;gt;&amp;lt;script&amp;gt;" in html
    assert "There is no cause called" in unescape(html)


# --- oEmbed --------------------------------------------------------------------------------


def _oembed(client, url, **params):
    return client.get("/oembed", {"url": url, **params})


def test_oembed_for_a_search_page(client):
    response = _oembed(
        client, "http://testserver/search/?near=94704&cause=immigrant-rights&page=2", format="json"
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    assert data["version"] == "1.0" and data["type"] == "rich"
    assert data["provider_name"] == "orgsite" and data["provider_url"] == "http://testserver/"
    assert data["title"] == "Immigrant rights groups near Berkeley, CA 94704"
    assert (data["width"], data["height"]) == (600, 600)
    src = unescape(re.search(r'<iframe src="([^"]+)"', data["html"]).group(1))
    assert src == "http://testserver/embed/?near=94704&cause=immigrant-rights"
    assert f'sandbox="{snippets.SANDBOX}"' in data["html"]
    assert 'width="600" height="600"' in data["html"]


def test_oembed_for_cause_and_embed_pages_and_dimensions(client):
    data = _oembed(client, "http://testserver/causes/tenants/", maxwidth="400").json()
    assert data["title"] == "Housing & tenants groups"
    assert "/embed/?cause=tenants" in data["html"]
    assert (data["width"], data["height"]) == (400, 600)
    data = _oembed(
        client,
        "http://testserver/embed/?cause=labor&accent=b3261e&theme=dark&evil=1",
        maxwidth="99999999999999999999",
        maxheight="300",
    ).json()
    assert (data["width"], data["height"]) == (600, 300)
    src = unescape(re.search(r'<iframe src="([^"]+)"', data["html"]).group(1))
    assert parse_qs(urlsplit(src).query) == {
        "cause": ["labor"],
        "accent": ["b3261e"],
        "theme": ["dark"],
    }
    assert 'width="600" height="300"' in data["html"]
    # The discovery tags on those pages point here.
    for page in ("/search/?near=94704&cause=immigrant-rights", "/causes/tenants/"):
        html = client.get(page).content.decode()
        tag = re.search(
            r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', html
        )
        href = unescape(tag.group(1))
        assert href.startswith("http://testserver/oembed?url=")
        assert parse_qs(urlsplit(href).query)["url"] == ["http://testserver" + page]
        assert client.get(href).status_code == 200


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"url": "https://evil.example/search/?near=94704"}, 404, "not a search, cause or widget"),
        ({"url": "http://testserver.evil.example/search/"}, 404, "not a search, cause or widget"),
        ({"url": "http://evil.example@testserver/search/"}, 404, "not a search, cause or widget"),
        ({"url": "javascript:alert(1)//testserver/search/"}, 404, "not a search, cause"),
        ({"url": "http://testserver/about/"}, 404, "not a search, cause or widget"),
        ({"url": "http://testserver/causes/no-such-cause/"}, 404, "not a search, cause"),
        ({"url": "http://testserver/groups/x/"}, 404, "not a search, cause or widget"),
        ({"url": "http://testserver/search/" + "x" * 3000}, 404, "not a search, cause"),
        ({}, 400, "Give the url"),
        ({"url": "http://testserver/search/", "format": "xml"}, 501, "Only format=json"),
        ({"url": "http://testserver/search/", "format": "yaml"}, 501, "Only format=json"),
        ({"url": "http://testserver/search/", "maxwidth": "-5"}, 400, "maxwidth must be"),
        ({"url": "http://testserver/search/", "maxwidth": "0"}, 400, "maxwidth must be"),
        ({"url": "http://testserver/search/", "maxheight": "1e9"}, 400, "maxheight must be"),
        ({"url": "http://testserver/search/", "maxwidth": HOSTILE}, 400, "maxwidth must be"),
    ],
)
def test_oembed_errors(client, params, status, message):
    response = client.get("/oembed", params)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert HOSTILE not in response.content.decode()


def test_oembed_never_echoes_what_the_url_supplies(client):
    data = _oembed(client, f"http://testserver/search/?near={HOSTILE}&q={HOSTILE}").json()
    assert data["title"] == "Find local groups to join"
    assert "<script>" not in data["html"] and "&quot;&gt;&lt;script" not in data["html"]
    assert "%22%3E%3Cscript%3E" in data["html"]


# --- The weight budget ---------------------------------------------------------------------


def test_weight_budget(client, capsys):
    def get(path):
        response = client.get(path)
        assert response.status_code == 200, path
        return _body(response)

    frame, widget = weight.measure(get)
    names = [part[0] for part in frame.parts]
    assert any(name.endswith("embed.css") for name in names)
    assert any(name.endswith("embed.js") for name in names)
    assert any("accent.css" in name for name in names)
    with capsys.disabled():
        print("\n" + weight.report(frame, widget))
    assert frame.gzipped <= weight.FRAME_BUDGET, weight.report(frame, widget)
    assert widget.gzipped <= weight.WIDGET_BUDGET, weight.report(frame, widget)


def test_weight_budget_catches_growth(client):
    """The same measurement fails when someone adds 50 KB to what the frame loads."""
    import os

    def get(path):
        body = _body(client.get(path))
        if path.endswith("embed.js"):
            body += os.urandom(50 * 1024)
        return body

    frame, _ = weight.measure(get)
    assert frame.gzipped > weight.FRAME_BUDGET


# --- Helpers for these tests ----------------------------------------------------------------


def test_frame_shows_everything_with_few_groups(client, db):
    cause = make_category(slug="tiny-cause", name="Tiny <cause>")
    make_org(name="Only <Group>", causes=[cause])
    html = client.get("/embed/?near=94704&cause=tiny-cause").content.decode()
    assert "Only &lt;Group&gt;" in html and "Tiny &lt;cause&gt;" in html
    assert "Open this search on orgsite" in html


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/embed/?near=94704&radius=%C2%B2", 200),  # a superscript two is a digit to Python
        ("/embed/?near=94704&max=%C2%B2", 200),
        ("/embed/builder/?max=%C2%B3", 200),
        ("/oembed?maxwidth=%C2%B2&url=http://testserver/embed/", 400),
        ("/oembed?url=http://[::1/", 404),
        ("/oembed?url=http://testserver/embed/?radius=%C2%B2", 200),
    ],
)
def test_odd_digits_and_broken_urls_are_refused_not_crashed(client, url, status):
    assert client.get(url).status_code == status


@pytest.mark.parametrize(
    "query",
    ["radius=40", "radius=0", "radius=501", "lang=es", "lang=xx", "coverage=online", "coverage=x"],
)
def test_presets_keep_exactly_what_the_search_itself_accepts(db, query):
    from django.http import QueryDict

    from directory.filters import OrganizationSearch

    kept = parse_presets(QueryDict(query)).search
    search = OrganizationSearch(QueryDict(query), queryset=Organization.objects.none())
    assert bool(kept) == search.is_valid(), query


def test_a_far_search_reads_in_the_frame_as_on_the_site(client):
    """59001 (Absarokee, MT) in the seeds: no local group within reach, so the widget says so and
    leads with the groups joinable from anywhere, in the site's own order."""
    site = unescape(client.get("/search/?near=59001").content.decode())
    html = unescape(client.get("/embed/?near=59001&max=3&theme=dark").content.decode())
    assert "No local group near Absarokee yet" in html
    site_blocks = re.findall(r'<h2 id="block-(\w+)"', site)
    frame_blocks = re.findall(r'<h2 id="block-(\w+)"', html)
    assert site_blocks[0] in ("statewide", "national", "online")
    assert frame_blocks == site_blocks[: len(frame_blocks)]
    assert "nearby" not in frame_blocks  # three joinable groups fill the widget
    assert html.count('class="card"') == 3
    site_cards = re.findall(r'<h3 class="card__title"><a [^>]*>([^<]+)</a>', site)
    frame_cards = re.findall(r'<h3 class="card__title"><a [^>]*>([^<]+)</a>', html)
    assert frame_cards == site_cards[:3]
    # The prompts open on the site, and the alert keeps the search, not the widget's presets.
    suggest = re.search(r'<a [^>]*href="/suggest/\?[^"]*"[^>]*>Know a group here', html)[0]
    assert 'target="_blank"' in suggest and 'rel="noopener"' in suggest
    alert = re.search(r'href="([^"]+)"[^>]*>Get told when a group near you is listed', html)[1]
    assert alert == "/alerts/?near=59001"
    assert "so we widened the search" not in html


def test_a_search_within_reach_keeps_the_frame_order(client):
    html = client.get(SEARCH).content.decode()
    assert "No local group near" not in html
    assert re.findall(r'<h2 id="block-(\w+)"', html)[0] == "covering"
