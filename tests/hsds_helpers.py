"""Shared pieces of the HSDS tests: the official-schema gate, validators and small documents.

The documents are written for these tests in the shapes HSDS 3.0 documents take (a full service,
a list page, a taxonomy list, a service at a location); none is copied from Open Referral.
"""

import json
import os

import pytest
from django.test import override_settings
from jsonschema import Draft202012Validator

from hsds import schemas

REQUIRE = "ORGSITE_REQUIRE_HSDS_SCHEMAS"


@pytest.fixture
def official():
    """The official HSDS 3.0 schemas: the test is skipped without them, unless CI requires them."""
    if not schemas.available():
        reason = (
            "the official HSDS 3.0 schemas are not here: set HSDS_SCHEMA_DIR to a copy of the "
            "schema/ folder of openreferral/specification at the v3.0 tag (see docs/hsds.md)"
        )
        if os.environ.get(REQUIRE):
            pytest.fail(f"{REQUIRE} is set but {reason}")
        pytest.skip(reason)


@pytest.fixture
def without_schemas():
    """Work as on a fresh clone: no official schema configured."""
    with override_settings(HSDS_SCHEMA_DIR=""):
        yield


def valid(name, document, strict=True):
    """Assert the document fits the named official schema, strictly unless told otherwise."""
    error = schemas.first_error(schemas.validator(name, strict=strict), document)
    assert error is None, error


def page_valid(body, item_schema, strict=True):
    """An HSDS page: the Page fields, exactly, and every item valid against `item_schema`."""
    page = schemas.load("openapi.json")["components"]["schemas"]["Page"]
    Draft202012Validator(page, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(body)
    assert set(body) == {*page["properties"], "contents"}
    for item in body["contents"]:
        valid(item_schema, item, strict)


def get(client, url, **params):
    response = client.get(url, params)
    assert response["Access-Control-Allow-Origin"] == "*"
    return response, json.loads(response.content)


def write(tmp_path, data, name="doc.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


ORG_ID = "7c4b1c5e-5e4e-4d5c-9a43-0b0e8e2c1a02"
SERVICE_ID = "7c4b1c5e-5e4e-4d5c-9a43-0b0e8e2c1a01"


def service_doc(**overrides):
    """A small, valid foreign HSDS service with an organization and a location."""
    doc = {
        "id": SERVICE_ID,
        "name": "Tenant Hotline",
        "status": "active",
        "description": "Help for renters.",
        "organization": {
            "id": ORG_ID,
            "name": "Renters United",
            "description": "A tenants union.",
        },
        "service_at_locations": [
            {
                "id": "7c4b1c5e-5e4e-4d5c-9a43-0b0e8e2c1a03",
                "location": {
                    "id": "7c4b1c5e-5e4e-4d5c-9a43-0b0e8e2c1a04",
                    "location_type": "physical",
                    "latitude": 37.8,
                    "longitude": -122.27,
                    "addresses": [
                        {
                            "id": "7c4b1c5e-5e4e-4d5c-9a43-0b0e8e2c1a05",
                            "address_1": "1 Main St",
                            "city": "Oakland",
                            "state_province": "CA",
                            "postal_code": "94612",
                            "country": "US",
                            "address_type": "physical",
                        }
                    ],
                },
            }
        ],
        "attributes": [
            {
                "id": "7c4b1c5e-5e4e-4d5c-9a43-0b0e8e2c1a06",
                "taxonomy_term": {
                    "id": "7c4b1c5e-5e4e-4d5c-9a43-0b0e8e2c1a07",
                    "name": "Housing & tenants",
                    "description": "Open Eligibility-like term",
                },
            }
        ],
    }
    doc.update(overrides)
    return doc


def location_with(**fields):
    base = service_doc()["service_at_locations"][0]["location"]
    return [{"id": "7c4b1c5e-5e4e-4d5c-9a43-0b0e8e2c1a03", "location": {**base, **fields}}]


def full_service(**overrides):
    """A fully nested service, as `/services/{id}` gives it: phones, languages, accessibility."""
    doc = service_doc(
        url="https://renters.example.org/join",
        application_process="Call the hotline.",
        last_modified="2025-03-01T10:00:00Z",
        phones=[{"id": "5d1e4c59-8c1b-4b8e-9c6f-1a2b3c4d5e01", "number": "(510) 555-0142"}],
        languages=[
            {"id": "5d1e4c59-8c1b-4b8e-9c6f-1a2b3c4d5e02", "code": "en", "name": "English"},
            {"id": "5d1e4c59-8c1b-4b8e-9c6f-1a2b3c4d5e03", "code": "es", "name": "Spanish"},
        ],
        schedules=[
            {
                "id": "5d1e4c59-8c1b-4b8e-9c6f-1a2b3c4d5e04",
                "freq": "WEEKLY",
                "byday": "TU",
                "opens_at": "18:30",
                "description": "Tuesdays at 6:30pm",
            }
        ],
    )
    location = doc["service_at_locations"][0]["location"]
    location["accessibility"] = [
        {"id": "5d1e4c59-8c1b-4b8e-9c6f-1a2b3c4d5e05", "description": "Step-free entrance."}
    ]
    doc.update(overrides)
    return doc


def summary(doc):
    """The same service as a list gives it: one-to-one fields and its organization only."""
    nested = ("phones", "schedules", "service_areas", "service_at_locations", "languages")
    return {k: v for k, v in doc.items() if k not in (*nested, "attributes")}


def page(items):
    """An HSDS API page holding these items."""
    return {
        "total_items": len(items),
        "total_pages": 1,
        "page_number": 1,
        "size": len(items),
        "first_page": True,
        "last_page": True,
        "empty": not items,
        "contents": items,
    }
