"""The OpenAPI document: served to any JSON client, and open to causes added later."""

import json
import re

import pytest

from tests.factories import make_category, make_org

SCHEMA = "/api/v1/schema/"


@pytest.fixture
def causes(db):
    tenants = make_category(slug="tenants", name="Tenants")
    make_org(causes=[tenants], slug="tenants-union")
    return tenants


@pytest.mark.parametrize(
    "accept, media_type",
    [
        ("application/json", "application/json"),
        ("application/json; charset=utf-8", "application/json"),
        ("application/vnd.oai.openapi+json", "application/vnd.oai.openapi+json"),
        ("text/html,application/json;q=0.9", "application/json"),
        ("*/*", "application/vnd.oai.openapi+json"),
        (None, "application/vnd.oai.openapi+json"),
    ],
)
def test_the_schema_answers_json_clients(client, causes, accept, media_type):
    headers = {"accept": accept} if accept else {}
    response = client.get(SCHEMA, headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == media_type
    assert json.loads(response.content)["openapi"].startswith("3.")
    assert "Accept" in response["Vary"]  # one URL, two media types: caches keep them apart
    assert response["Access-Control-Allow-Origin"] == "*"


def test_both_media_types_carry_the_same_document(client, causes):
    plain = client.get(SCHEMA, headers={"accept": "application/json"})
    openapi = client.get(SCHEMA)
    assert plain.content == openapi.content


def test_a_type_the_schema_does_not_come_in_is_a_json_406(client, causes):
    response = client.get(SCHEMA, headers={"accept": "application/xml"})
    assert response.status_code == 406
    assert response["Access-Control-Allow-Origin"] == "*"


def cause_parameter(client):
    schema = json.loads(client.get(SCHEMA).content)
    parameters = schema["paths"]["/api/v1/organizations/"]["get"]["parameters"]
    return next(p for p in parameters if p["name"] == "cause")


def test_causes_are_described_not_enumerated(client, causes):
    cause = cause_parameter(client)
    items = cause["schema"]["items"]
    assert "enum" not in items and "tenants" not in json.dumps(cause)
    assert items == {"type": "string", "maxLength": 60, "pattern": "^[-a-zA-Z0-9_]+$"}
    assert cause["schema"]["maxItems"] == 20
    assert "/api/v1/categories/" in cause["description"]
    assert "added over time" in cause["description"]


def test_a_cause_added_later_fits_the_document_a_client_was_built_from(client, causes):
    """A client generated from yesterday's document can ask for today's new cause."""
    before = client.get(SCHEMA).content
    make_category(slug="food-sovereignty", name="Food sovereignty")
    assert client.get(SCHEMA).content == before  # the document does not change with the data
    item = cause_parameter(client)["schema"]["items"]
    assert re.fullmatch(item["pattern"], "food-sovereignty")
    response = client.get("/api/v1/organizations/", {"cause": "food-sovereignty"})
    assert response.status_code == 200
    unknown = client.get("/api/v1/organizations/", {"cause": "no-such-cause"})
    assert unknown.status_code == 400 and "no-such-cause" in unknown.content.decode()


def test_every_category_slug_has_the_documented_shape(client, seeded_db, db):
    item = cause_parameter(client)["schema"]["items"]
    slugs = [c["slug"] for c in json.loads(client.get("/api/v1/categories/").content)["results"]]
    assert slugs
    for slug in slugs:
        assert re.fullmatch(item["pattern"], slug) and len(slug) <= item["maxLength"], slug
