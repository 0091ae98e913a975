"""What a shared link shows and what crawlers find: link-preview tags, JSON-LD, canonical links,
robots.txt, the sitemap and the favicon."""

import datetime
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.contrib.staticfiles import finders
from PIL import Image

from directory.models import Organization
from tests.browser import Reader
from tests.factories import make_category, make_org

SITEMAP_NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "x": "http://www.w3.org/1999/xhtml",
}


@pytest.fixture
def cause(db):
    return make_category(slug="tenants", name="Housing & tenants", description="Renters together.")


@pytest.fixture
def org(cause):
    return make_org(
        causes=[cause],
        name="Tenants <Together>",
        slug="tenants-together",
        summary="Renters who stop evictions </script><b>together</b>.",
        website="https://tenants.example.org/",
        social_links="https://bsky.app/profile/tenants.example.org",
        phone="510 555 0100",
        meeting_schedule="Every Tuesday at 7pm",
        meeting_frequency=Organization.Frequency.WEEKLY,
        meeting_byday="TU",
        meeting_time=datetime.time(19, 0),
    )


def _meta(html, key):
    found = re.findall(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', html)
    return found[0] if len(found) == 1 else found


@pytest.mark.parametrize(
    "path",
    ["/", "/search/?near=94704&cause=tenants", "/groups/tenants-together/", "/causes/tenants/"],
)
def test_pages_carry_link_preview_tags(client, org, path):
    html = client.get(path).content.decode()
    for key in ("og:title", "og:description", "og:url", "og:image", "twitter:title"):
        assert _meta(html, key), (path, key)
    assert _meta(html, "og:image") == "http://testserver/static/share.png"
    assert _meta(html, "twitter:card") == "summary_large_image"
    assert _meta(html, "og:locale") == "en_US"
    assert _meta(html, "og:url") == re.search(r'<link rel="canonical" href="([^"]+)"', html)[1]


def test_a_group_preview_names_the_group_escaped(client, org):
    html = client.get("/groups/tenants-together/").content.decode()
    assert _meta(html, "og:title") == "Tenants &lt;Together&gt;"
    assert _meta(html, "og:description").startswith("Renters who stop evictions &lt;/script&gt;")
    spanish = client.get("/es/groups/tenants-together/").content.decode()
    assert _meta(spanish, "og:locale") == "es_US"
    assert _meta(spanish, "og:url") == "http://testserver/es/groups/tenants-together/"


def test_search_preview_says_where(client, org):
    html = client.get("/search/?near=94704&cause=tenants").content.decode()
    assert _meta(html, "og:title") == "Groups near Berkeley, CA 94704"
    assert 'rel="canonical" href="http://testserver/search/?near=94704&amp;cause=tenants"' in html


def _json_ld(html):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def test_group_pages_describe_the_group_and_its_meeting_in_json_ld(client, org):
    html = client.get("/groups/tenants-together/?near=94704").content.decode()
    data = _json_ld(html)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Organization"
    assert data["name"] == "Tenants <Together>"
    assert data["url"] == "http://testserver/groups/tenants-together/"
    assert data["sameAs"] == [
        "https://tenants.example.org/",
        "https://bsky.app/profile/tenants.example.org",
    ]
    assert data["address"] == {
        "@type": "PostalAddress",
        "addressCountry": "US",
        "addressLocality": "Berkeley",
        "addressRegion": "CA",
        "postalCode": "94704",
    }
    assert data["knowsAbout"] == ["Housing & tenants"]
    event = data["event"]
    assert event["@type"] == "Event"
    assert event["eventSchedule"] == {
        "@type": "Schedule",
        "repeatFrequency": "P1W",
        "byDay": "https://schema.org/Tuesday",
        "startTime": "19:00",
        "scheduleTimezone": "America/New_York",
    }
    # Nothing a group typed can close the data block early; the private address never shows.
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)[1]
    assert "<" not in block and org.contact_email not in html


def test_a_monthly_rule_and_a_private_address(client, cause):
    make_org(
        causes=[cause],
        slug="monthly",
        meeting_frequency=Organization.Frequency.MONTHLY,
        meeting_byday="1TH,-1SA",
        address="12 Hidden Lane",
        address_public=False,
    )
    data = _json_ld(client.get("/groups/monthly/").content.decode())
    schedule = data["event"]["eventSchedule"]
    assert schedule["repeatFrequency"] == "P1M"
    assert schedule["byDay"] == ["https://schema.org/Thursday", "https://schema.org/Saturday"]
    assert schedule["byMonthWeek"] == [1, -1]
    assert "streetAddress" not in data["address"]


def test_a_group_without_a_rule_has_no_event(client, cause):
    make_org(causes=[cause], slug="no-rule")
    assert "event" not in _json_ld(client.get("/groups/no-rule/").content.decode())


def test_robots_txt_names_the_sitemap_and_keeps_crawlers_off_the_forms(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in text
    for path in ("/api/", "/embed/", "/es/embed/", "/followup/", "/language/"):
        assert f"Disallow: {path}\n" in text


def test_the_sitemap_lists_published_groups_and_causes_in_both_languages(client, org, cause):
    make_org(causes=[cause], slug="still-pending", status=Organization.Status.PENDING)
    make_org(causes=[cause], slug="long-gone", status=Organization.Status.ARCHIVED)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 - our own sitemap
    urls = {url.find("s:loc", SITEMAP_NS).text: url for url in root.findall("s:url", SITEMAP_NS)}
    for path in ("/groups/tenants-together/", "/causes/tenants/", "/", "/about/"):
        assert f"http://testserver{path}" in urls
        assert f"http://testserver/es{path}" in urls
    assert not [loc for loc in urls if "still-pending" in loc or "long-gone" in loc]
    alternates = {
        link.get("hreflang"): link.get("href")
        for link in urls["http://testserver/groups/tenants-together/"].findall("x:link", SITEMAP_NS)
    }
    assert alternates == {
        "en": "http://testserver/groups/tenants-together/",
        "es": "http://testserver/es/groups/tenants-together/",
        "x-default": "http://testserver/groups/tenants-together/",
    }
    assert (
        urls["http://testserver/groups/tenants-together/"].find("s:lastmod", SITEMAP_NS) is not None
    )


def test_favicon_and_share_image_are_real_images(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/x-icon"
    icon = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert icon.format == "ICO"
    with Image.open(finders.find("share.png")) as image:
        assert image.size == (1200, 630)
    html = client.get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_json_ld_is_data_the_content_security_policy_lets_be(live_server, browser):
    cause = make_category(slug="tenants", name="Housing & tenants")
    make_org(causes=[cause], slug="tenants-together", name="Tenants Together")
    context = browser.new_context()
    reader = Reader(context)
    reader.page.goto(live_server.url + "/groups/tenants-together/")
    data = reader.page.evaluate(
        "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
    )
    assert data["name"] == "Tenants Together"
    reader.assert_clean()  # no CSP report, no console error
    context.close()
