"""Public pages through the test client: what a reader sees; bad input never breaks them."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from directory.geo import haversine_miles
from directory.geocoding import geocode
from tests.factories import make_category, make_org

PUBLIC_URLS = [
    "/",
    "/search/",
    "/search/?near=94704",
    "/search/?near=94704&cause=immigrant-rights&radius=25",
    "/search/?cause=immigrant-rights",
    "/causes/",
    "/causes/immigrant-rights/",
    "/about/",
    "/places/suggest/?q=oak",
    "/healthz",
]


@pytest.fixture
def listing(db):
    cause = make_category(slug="immigrant-rights", name="Immigrant rights")
    org = make_org(
        name="East Bay Solidarity <Network>",
        slug="east-bay-solidarity",
        description="Visit https://example.org/ebs for more.\n<script>alert(1)</script>",
        contact_email="private-organizer@example.net",
        causes=[cause],
    )
    return {"cause": cause, "org": org}


@pytest.mark.parametrize("url", [*PUBLIC_URLS, "/groups/east-bay-solidarity/"])
def test_every_public_url_answers(client, listing, url):
    response = client.get(url)
    assert response.status_code == 200


def test_search_page_shows_blocks_distances_and_first_step(client, listing):
    response = client.get("/search/", {"near": "94704", "cause": "immigrant-rights"})
    html = response.content.decode()
    assert "Groups that cover Berkeley, CA 94704" in html
    assert "East Bay Solidarity &lt;Network&gt;" in html
    # The distance from the ZIP's point to the group's public point, as the card words it.
    org, place = listing["org"], geocode("94704")
    org.refresh_from_db()
    miles = haversine_miles(
        place.latitude, place.longitude, org.public_latitude, org.public_longitude
    )
    assert f"{miles:.1f} mi" in html
    assert "Come to a meeting." in html
    assert 'id="map-data"' in html


def test_organization_page_escapes_text_links_urls_and_hides_the_private_email(client, listing):
    html = client.get("/groups/east-bay-solidarity/?near=94704").content.decode()
    assert '<a href="https://example.org/ebs" rel="nofollow">https://example.org/ebs</a>' in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "private-organizer@example.net" not in html
    assert "from Berkeley, CA 94704" in html


def test_private_email_appears_on_no_public_page(client, listing):
    for url in [*PUBLIC_URLS, "/groups/east-bay-solidarity/"]:
        assert "private-organizer@example.net" not in client.get(url).content.decode(), url


def test_unpublished_groups_are_not_found(client, db):
    for status in ("pending", "archived", "inactive"):
        org = make_org(status=status)
        assert client.get(org.get_absolute_url()).status_code == 404
        assert org.name not in client.get("/search/?near=94704").content.decode()


def test_unknown_pages_get_a_friendly_404(client, db):
    response = client.get("/groups/no-such-group/")
    assert response.status_code == 404
    assert "couldn" in response.content.decode()
    assert client.get("/causes/no-such-cause/").status_code == 404


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"near": "00000"}, "ZIP"),
        ({"near": "Sprngfield"}, "Did you mean"),
        ({"near": "z" * 10_240}, "at most 200 characters"),
        ({"near": "\x00"}, "Null characters are not allowed"),
        ({"near": "94704", "radius": "-5"}, "at least 1 mile"),
        ({"near": "94704", "radius": str(10**9)}, "at most 3000 miles"),
        ({"near": "94704", "cause": "not-a-cause"}, "no cause called"),
        ({"near": "94704", "q": "w" * 10_240}, "at most 200 characters"),
        ({"near": "94704", "lang": "<b>"}, "Select a valid choice"),
    ],
)
def test_bad_search_input_gets_a_clear_message_and_keeps_what_was_typed(
    client, listing, params, message
):
    response = client.get("/search/", params)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "Traceback" not in html
    if "near" in params and "\x00" not in params["near"]:
        assert f'value="{params["near"]}"' in html


def test_empty_search_prompts_for_a_place(client, listing):
    html = client.get("/search/?near=").content.decode()
    assert "Add a ZIP code or a city" in html


def test_script_in_parameters_is_escaped(client, listing):
    html = client.get("/search/", {"near": '"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)</script>" not in html


def test_healthz_does_not_touch_the_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/healthz").content == b"ok"


def test_place_suggest_returns_places(client, db):
    data = client.get("/places/suggest/", {"q": "Berkeley"}).json()
    assert data["results"][0]["label"].startswith("Berkeley")
    assert client.get("/places/suggest/", {"q": "\x00" * 5000}).status_code == 200


def test_about_page_credits_geonames_and_openstreetmap(client, db):
    html = client.get(reverse("directory:about")).content.decode()
    assert "GeoNames" in html and "CC BY 4.0" in html and "OpenStreetMap" in html


def test_sample_notice_is_visible_and_can_be_turned_off(client, db, settings):
    assert "Sample data" in client.get("/").content.decode()
    settings.SHOW_SAMPLE_NOTICE = False
    assert "Sample data" not in client.get("/").content.decode()


def test_pages_forbid_inline_code_and_framing(client, listing):
    response = client.get("/search/?near=94704")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("url", [*PUBLIC_URLS[:8], "/groups/east-bay-solidarity/"])
def test_pages_load_nothing_from_third_parties(client, listing, url):
    html = client.get(url).content.decode()
    # Scripts, styles, images and frames come from our own origin; outbound links are fine.
    for tag, attribute in re.findall(
        r"<(script|link|img|iframe)\b[^>]*?\b(?:src|href)=\"([^\"]*)\"", html
    ):
        external = attribute.startswith(("http:", "https:", "//"))
        assert not external or urlsplit(attribute).hostname == "testserver", (tag, attribute)
    assert " style=" not in html
    # Data blocks (json_script, JSON-LD) are never run; any other inline script would be.
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", html)


def test_search_query_count_does_not_grow_with_results(client, db, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from directory.search import MAX_RINGS

    cause = make_category(slug="labor")

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    make_org(causes=[cause])
    make_org(coverage="national", causes=[cause])
    urls = ["/search/?near=94704&cause=labor", "/causes/labor/", "/causes/", "/"]
    few = [count(url) for url in urls]
    for i in range(30):
        make_org(latitude=37.8 + i / 100, causes=[cause, make_category()])
        make_org(
            coverage=["statewide", "national", "online"][i % 3],
            state="CA",
            latitude=38.5,
            longitude=-121.5,
            causes=[cause],
        )
    many = [count(url) for url in urls]
    assert few[1:] == many[1:]
    # The search: the causes asked for, at most MAX_RINGS rings (how many depends on how dense
    # the groups are around the place, not on how many there are), the statewide, national and
    # online blocks in one query, the rows shown and their causes, the directory's generation
    # (the key of the cards' cached fragments).
    assert few[0] <= 6 + MAX_RINGS and many[0] <= 6 + MAX_RINGS


def test_organization_page_query_count_is_constant(client, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    org = make_org(causes=[make_category() for _ in range(8)])
    with CaptureQueriesContext(connection) as ctx:
        client.get(org.get_absolute_url())
    assert len(ctx.captured_queries) <= 3
