"""The JSON API through the test client: filters, pages, caching, CORS, errors and privacy."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.models import Category, Organization
from tests.factories import make_category, make_org

SEARCH = "/api/v1/organizations/"
PRIVATE_KEYS = {"contact_email", "source", "status", "address_public", "created"}


def get(client, url, **params):
    response = client.get(url, params)
    return response, json.loads(response.content) if response.content else None


def keys_anywhere(value):
    """Every key of every object in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_anywhere(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_anywhere(v)}
    return set()


@pytest.fixture
def groups(db):
    # The session's seed data may be loaded already: start these tests from an empty directory.
    Organization.objects.all().delete()
    Category.objects.all().delete()
    cause = make_category(slug="tenants", name="Tenants")
    other = make_category(slug="labor", name="Labor")
    near = make_org(
        name="Berkeley Tenants Union",
        slug="berkeley-tenants",
        causes=[cause],
        languages="en,es",
        address="1 Private Way",
        contact_email="secret-organizer@example.net",
    )
    far = make_org(
        name="Fresno Workers Center",
        slug="fresno-workers",
        causes=[other],
        city="Fresno",
        postal_code="93721",
        latitude=36.7378,
        longitude=-119.7871,
        coverage_radius=15,
    )
    state = make_org(
        name="California Tenants",
        slug="ca-tenants",
        coverage="statewide",
        state="CA",
        causes=[cause],
    )
    national = make_org(
        name="National Labor Line", slug="national-labor", coverage="national", causes=[other]
    )
    hidden = make_org(name="Pending Group", slug="pending-group", status="pending", causes=[cause])
    return {"near": near, "far": far, "state": state, "national": national, "hidden": hidden}


def slugs(body):
    return [r["organization"]["slug"] for r in body["results"]]


def test_search_carries_the_place_radius_blocks_reasons_and_distances(client, groups):
    response, body = get(client, SEARCH, near="94704", cause="tenants")
    assert response.status_code == 200
    assert body["place"] == {
        "label": "Berkeley, CA 94704",
        "latitude": pytest.approx(37.8664, abs=0.01),
        "longitude": pytest.approx(-122.257, abs=0.01),
        "precision": "zip",
        "state": "CA",
        "country": "US",
        "postal_code": "94704",
    }
    assert body["radius"] == body["requested_radius"] == 25
    assert [b["key"] for b in body["blocks"]] == ["covering", "statewide"]
    first = body["results"][0]
    assert first["block"] == "covering"
    assert first["organization"]["slug"] == "berkeley-tenants"
    # Measured to the group's public point, rounded to about a kilometre: its address is private.
    assert 0 < first["distance_miles"] < 0.5
    assert "Local group covering 10 miles" in first["reason"]
    assert body["results"][1]["reason"] == "Works across CA"
    assert "pending-group" not in slugs(body)


def test_the_radius_is_widened_and_the_used_radius_reported(client, groups):
    _, body = get(client, SEARCH, near="Fresno, CA", cause="tenants", radius=5, coverage="local")
    # Nothing local within 5 miles of Fresno for tenants: widened until Berkeley's group is found.
    assert body["widened"] is True
    assert body["requested_radius"] == 5
    assert body["radius"] == 250
    assert "widened" in body["notice"]
    assert slugs(body) == ["berkeley-tenants"]
    assert body["results"][0]["distance_miles"] > 100


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"near": "94704", "cause": "labor"}, ["fresno-workers", "national-labor"]),
        ({"near": "94704", "q": "tenants union"}, ["berkeley-tenants"]),
        ({"near": "94704", "lang": "es"}, ["berkeley-tenants"]),
        (
            {"near": "94704", "coverage": ["statewide", "national"]},
            ["ca-tenants", "national-labor"],
        ),
        ({"near": "36.74,-119.79", "radius": 30, "coverage": "local"}, ["fresno-workers"]),
        (
            {"cause": ["labor", "tenants"]},
            ["ca-tenants", "berkeley-tenants", "fresno-workers", "national-labor"],
        ),
        ({"coverage": "national"}, ["national-labor"]),
    ],
)
def test_every_filter(client, groups, params, expected):
    response, body = get(client, SEARCH, **params)
    assert response.status_code == 200, body
    # A set: the block search may list a statewide group both as "nearest" and as statewide.
    assert sorted(set(slugs(body))) == sorted(expected)


def test_without_a_place_every_matching_group_is_listed_by_name_in_pages(client, groups):
    _, body = get(client, SEARCH, page_size=2)
    assert body["place"] is None and body["blocks"] == []
    assert body["count"] == 4 and body["pages"] == 2
    assert slugs(body) == ["berkeley-tenants", "ca-tenants"]
    assert body["previous"] is None
    assert body["next"].endswith("page=2") and "page_size=2" in body["next"]
    _, second = get(client, SEARCH, page_size=2, page=2)
    assert slugs(second) == ["fresno-workers", "national-labor"]
    assert second["next"] is None and "page=1" in second["previous"]
    _, beyond = get(client, SEARCH, page_size=2, page=9)
    assert beyond["results"] == [] and beyond["count"] == 4


def test_block_results_are_paged_too(client, groups):
    _, first = get(client, SEARCH, near="94704", page_size=1)
    _, second = get(client, SEARCH, near="94704", page_size=1, page=2)
    assert first["count"] == second["count"] == 3
    assert slugs(first) != slugs(second)
    assert first["blocks"] == second["blocks"]


def test_etag_cache_control_and_304(client, groups):
    response = client.get(SEARCH, {"near": "94704"})
    etag = response["ETag"]
    assert re.fullmatch(r'"[0-9a-f]+"', etag)
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    again = client.get(SEARCH, {"near": "94704"}, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Access-Control-Allow-Origin"] == "*"
    other = client.get(SEARCH, {"near": "94704"}, headers={"if-none-match": '"stale"'})
    assert other.status_code == 200
    groups["near"].name = "Renamed Tenants Union"
    groups["near"].save()
    assert client.get(SEARCH, {"near": "94704"})["ETag"] != etag


@pytest.mark.parametrize(
    "url",
    [
        SEARCH,
        "/api/v1/organizations/berkeley-tenants/",
        "/api/v1/categories/",
        "/api/v1/places/?q=oak",
        "/api/v1/schema/",
        SEARCH + "?radius=-5",
    ],
)
def test_cors_is_open_for_reads_without_credentials(client, groups, url):
    response = client.get(url, headers={"origin": "https://news.example.com"})
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    assert not response.cookies


def test_preflight_allows_revalidation_headers(client, groups):
    response = client.options(SEARCH, headers={"origin": "https://news.example.com"})
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in response["Access-Control-Allow-Headers"]
    assert "POST" not in response["Access-Control-Allow-Methods"]


def test_writes_are_refused(client, groups):
    for method in (client.post, client.put, client.delete, client.patch):
        assert method(SEARCH).status_code == 405


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"radius": "-5"}, {"radius"}),
        ({"radius": "abc", "page": "0"}, {"radius", "page"}),
        ({"radius": "99999999999999999999"}, {"radius"}),
        ({"near": "nowhere-at-all-zz"}, {"near"}),
        ({"near": "\x00"}, {"near"}),
        ({"near": "x" * 10_000}, {"near"}),
        ({"near": "<script>alert(1)</script>"}, {"near"}),
        ({"q": "a\x00b"}, {"q"}),
        ({"q": "w" * 10_000}, {"q"}),
        ({"cause": "<script>"}, {"cause"}),
        ({"cause": "no-such-cause"}, {"cause"}),
        ({"lang": "xx"}, {"lang"}),
        ({"coverage": "galactic"}, {"coverage"}),
        ({"page_size": "1000", "page": "-1"}, {"page_size", "page"}),
        ({"page_size": "ten"}, {"page_size"}),
    ],
)
def test_bad_parameters_get_a_400_listing_each_one(client, groups, params, bad):
    response, body = get(client, SEARCH, **params)
    assert response.status_code == 400
    assert set(body["errors"]) == bad
    for messages in body["errors"].values():
        assert messages and all(m["message"] and m["code"] for m in messages)
    assert body["detail"]
    assert "Traceback" not in response.content.decode()


def test_an_unknown_place_comes_with_suggestions(client, groups):
    _, body = get(client, SEARCH, near="Oaklnd, CA")
    assert body["errors"]["near"][0]["code"] == "unknown_place"
    assert any(s["label"].startswith("Oakland") for s in body.get("suggestions", []))


def test_one_group_and_unpublished_ones_are_not_found(client, groups):
    response, body = get(client, "/api/v1/organizations/berkeley-tenants/")
    assert response.status_code == 200
    assert body["causes"] == [{"slug": "tenants", "name": "Tenants"}]
    assert body["languages"] == ["en", "es"]
    assert body["url"].endswith("/groups/berkeley-tenants/")
    for slug in ("pending-group", "no-such-group", "a/b/c", "%00", "x" * 5000):
        response, body = get(client, f"/api/v1/organizations/{slug}/")
        assert response.status_code == 404
        assert body["detail"]


def test_other_api_addresses_are_json_404s(client, db):
    response = client.get("/api/v1/nothing/here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_points_are_rounded_unless_the_street_address_is_public(client, groups):
    _, body = get(client, "/api/v1/organizations/berkeley-tenants/")
    assert body["address"] is None
    assert (body["latitude"], body["longitude"]) == (37.87, -122.26)
    assert body["precision"] == "approximate"
    public = make_org(
        slug="public-hall",
        address="2 Union Hall",
        address_public=True,
        precision="exact",
        latitude=37.123456,
        longitude=-122.654321,
    )
    _, body = get(client, f"/api/v1/organizations/{public.slug}/")
    assert body["address"] == "2 Union Hall"
    assert (body["latitude"], body["longitude"]) == (37.123456, -122.654321)
    assert body["precision"] == "exact"


def test_no_private_field_in_any_response_for_any_seeded_group(client, seeded_db, db):
    orgs = list(Organization.objects.all())
    emails = {org.contact_email for org in orgs if org.contact_email}
    assert len(emails) > 200
    bodies = []
    for page in (1, 2, 3):
        bodies.append(client.get(SEARCH, {"page_size": 100, "page": page}).content.decode())
    for near in ("94704", "Chicago", "New York, NY", "Austin, TX", "Nome, AK", "Paris"):
        bodies.append(client.get(SEARCH, {"near": near, "page_size": 100}).content.decode())
    for org in orgs:
        response = client.get(f"/api/v1/organizations/{org.slug}/")
        assert response.status_code == (200 if org.status == "published" else 404)
        bodies.append(response.content.decode())
    listed = {s for text in bodies[:3] for s in slugs(json.loads(text))}
    assert listed == {org.slug for org in orgs if org.status == "published"}
    for text in bodies:
        assert not any(email in text for email in emails)
        assert not keys_anywhere(json.loads(text)) & PRIVATE_KEYS


def test_query_count_does_not_grow_with_the_page_size(client, seeded_db, db):
    def queries(**params):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(SEARCH, params).status_code == 200
        return len(captured)

    assert queries(page_size=1) == queries(page_size=100) <= 4
    assert queries(near="New York, NY", page_size=1) == queries(near="New York, NY", page_size=100)
    assert queries(cause="tenants", page_size=2) == queries(cause="tenants", page_size=100)


def test_categories_with_counts(client, groups):
    _, body = get(client, "/api/v1/categories/")
    counts = {c["slug"]: c["group_count"] for c in body["results"]}
    assert counts == {"tenants": 2, "labor": 2}
    assert body["count"] == 2


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"q": "oak"}, 200),
        ({"q": ""}, 200),
        ({"q": "\x00oak"}, 400),
        ({"q": "o" * 10_000}, 400),
        ({"q": "oak", "limit": "-1"}, 400),
        ({"q": "oak", "limit": "x"}, 400),
        ({"q": "oak", "limit": "1.0"}, 400),
    ],
)
def test_place_autocomplete(client, db, params, status):
    response, body = get(client, "/api/v1/places/", **params)
    assert response.status_code == status
    if status == 400:
        assert body["errors"]
    elif params["q"]:
        assert body["results"][0]["label"].startswith("Oak")


def test_place_autocomplete_limit(client, db):
    _, body = get(client, "/api/v1/places/", q="spring", limit=3)
    assert len(body["results"]) == 3


def test_the_openapi_document_describes_the_api(client, groups):
    response = client.get("/api/v1/schema/")
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/organizations/",
        "/api/v1/organizations/{slug}/",
        "/api/v1/categories/",
        "/api/v1/places/",
    }
    params = {p["name"]: p for p in schema["paths"]["/api/v1/organizations/"]["get"]["parameters"]}
    assert set(params) >= {"near", "cause", "q", "radius", "lang", "coverage", "page", "page_size"}
    # A cause slug's shape, not today's list (tests/test_api_schema.py).
    assert "enum" not in params["cause"]["schema"]["items"]
    organization = schema["components"]["schemas"]["Organization"]["properties"]
    assert "contact_email" not in organization and "first_step" in organization


def test_the_docs_page_is_ours_and_obeys_the_content_security_policy(client, groups):
    response = client.get("/api/docs/")
    html = response.content.decode()
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "/api/v1/organizations/" in html and "near" in html
    assert "style=" not in html and "<style" not in html
    for tag in re.findall(r"<script\b[^>]*>", html):
        # No inline code, nothing from elsewhere: our static files and our JavaScript catalog.
        assert re.search(r'src="/(static/|jsi18n/)', tag), tag
    assert not re.search(r'(src|href)="https?://(?!testserver)', html)


def test_the_search_box_autocomplete_is_the_api_endpoint_under_its_old_address(client, db):
    api = client.get("/api/v1/places/", {"q": "oak"})
    alias = client.get("/places/suggest/", {"q": "oak"})
    assert alias.json() == api.json() and api.json()["results"]
    assert alias["Access-Control-Allow-Origin"] == api["Access-Control-Allow-Origin"] == "*"
    # What a person types is never a 400 in the search box: cut and cleaned instead.
    assert client.get("/api/v1/places/", {"q": "oak" * 50}).status_code == 400
    assert client.get("/places/suggest/", {"q": "oak" * 50}).status_code == 200
