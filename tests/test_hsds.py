"""HSDS 3.0: every response and export validates against the official schemas; import round trip.

Tests that need the official schema files take the `official` fixture: they skip with the reason
when the files are absent (a fresh clone), and fail instead where ORGSITE_REQUIRE_HSDS_SCHEMAS is
set (CI). The rest run either way; those marked `without_schemas` run as on a fresh clone.
"""

import json
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from jsonschema import Draft202012Validator

from directory.models import Category, Organization
from hsds import exporting, ids, importing, schemas, spec, tabular
from hsds.models import ExternalRecord, ImportRun
from tests.hsds_helpers import (
    get,
    location_with,
    page_valid,
    service_doc,
    valid,
    write,
)

HSDS = "/api/hsds"


def test_the_schemas_are_optional_and_a_wrong_folder_is_named_clearly(tmp_path):
    def hsds_errors():
        return [check.id for check in checks.run_checks() if check.id.startswith("hsds.")]

    with override_settings(HSDS_SCHEMA_DIR=""):
        assert schemas.schema_dir() is None and not schemas.available()
        assert hsds_errors() == []
        with pytest.raises(ImproperlyConfigured, match="HSDS_SCHEMA_DIR"):
            schemas.load("datapackage.json")
    with override_settings(HSDS_SCHEMA_DIR=str(tmp_path / "missing")):
        with pytest.raises(ImproperlyConfigured, match="HSDS_SCHEMA_DIR"):
            schemas.available()
        assert hsds_errors() == ["hsds.E001"]


def test_the_configured_schema_folder_is_used(official):
    assert (schemas.schema_dir() / "compiled" / "service.json").is_file()


def test_the_schema_folder_of_a_clone_of_the_specification_will_do(tmp_path, official):
    """In Open Referral's repository, datapackage.json sits beside schema/, not in it."""
    source = schemas.schema_dir()
    repository = tmp_path / "specification"
    shutil.copytree(source, repository / "schema", ignore=shutil.ignore_patterns("datapackage*"))
    shutil.copy(schemas._datapackage(source), repository / "datapackage.json")
    with override_settings(HSDS_SCHEMA_DIR=str(repository / "schema")):
        assert schemas.load("datapackage.json")["resources"][0]["name"] == "organization"
        valid("taxonomy.json", {"id": str(ids.taxonomy("x")), "name": "x", "description": "x"})
    (repository / "datapackage.json").unlink()
    with (
        override_settings(HSDS_SCHEMA_DIR=str(repository / "schema")),
        pytest.raises(ImproperlyConfigured, match="datapackage.json"),
    ):
        schemas.available()


def test_the_root_says_which_hsds(client, db, official):
    _, body = get(client, f"{HSDS}/")
    assert body["version"] == "3.0"
    root = schemas.load("openapi.json")["paths"]["/"]["get"]["responses"]["200"]
    shape = root["content"]["application/json"]["schema"]
    Draft202012Validator(shape, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(body)
    assert set(body) == set(shape["properties"])


def test_every_response_validates_strictly(client, seeded_db, db, official):
    """Every endpoint and variant, against its official schema with no property left undefined.

    Strict as Open Referral's own CI checks its examples; `full` answers with the fully nested
    kind the OpenAPI file describes for the detail endpoint.
    """
    published = Organization.objects.published().count()
    _, body = get(client, f"{HSDS}/services", per_page=500)
    page_valid(body, "compiled/service_list.json")
    assert body["total_items"] == len(body["contents"]) == published
    _, minimal = get(client, f"{HSDS}/services", per_page=500, minimal="true")
    page_valid(minimal, "compiled/service_list.json")
    _, full = get(client, f"{HSDS}/services", per_page=500, full="true")
    page_valid(full, "compiled/service.json")
    for service in body["contents"]:
        _, one = get(client, f"{HSDS}/services/{service['id']}")
        valid("compiled/service.json", one)
        assert one["organization"]["id"] == one["organization_id"]
    _, body = get(client, f"{HSDS}/organizations", per_page=500)
    page_valid(body, "compiled/organization_list.json")
    for params in ({"full": "true"}, {"full": "true", "full_service": "true"}):
        _, full = get(client, f"{HSDS}/organizations", per_page=500, **params)
        page_valid(full, "compiled/organization.json")
    for org in body["contents"][:40]:
        for params in ({}, {"full_service": "true"}):
            _, one = get(client, f"{HSDS}/organizations/{org['id']}", **params)
            valid("compiled/organization.json", one)
    _, body = get(client, f"{HSDS}/service_at_locations", per_page=500)
    page_valid(body, "compiled/service_at_location_list.json")
    assert body["total_items"] == published
    _, full = get(client, f"{HSDS}/service_at_locations", per_page=500, full="true")
    page_valid(full, "compiled/service_at_location.json")
    for params in ({"postcode": "94704"}, {"postcode": "94704", "proximity": "20000"}):
        _, near = get(client, f"{HSDS}/service_at_locations", per_page=500, **params)
        assert near["total_items"] > 0
        page_valid(near, "compiled/service_at_location_list.json")
        _, near = get(client, f"{HSDS}/service_at_locations", per_page=500, full="true", **params)
        page_valid(near, "compiled/service_at_location.json")
    for item in body["contents"]:
        _, one = get(client, f"{HSDS}/service_at_locations/{item['id']}")
        valid("compiled/service_at_location.json", one)
    _, taxonomies = get(client, f"{HSDS}/taxonomies")
    page_valid(taxonomies, "taxonomy.json")
    _, terms = get(client, f"{HSDS}/taxonomy_terms", per_page=500)
    page_valid(terms, "taxonomy_term.json")
    for term in terms["contents"]:
        _, one = get(client, f"{HSDS}/taxonomy_terms/{term['id']}")
        valid("taxonomy_term.json", one)
    for taxonomy in taxonomies["contents"]:
        _, one = get(client, f"{HSDS}/taxonomies/{taxonomy['id']}")
        valid("taxonomy.json", one)


def test_the_two_responses_that_broke_strict_schemas(client, seeded_db, db, official):
    """A service nested in a service at a location has no list of them; a list's location has
    only its one-to-one fields (the published schemas allow extras, the strict ones do not)."""
    _, body = get(client, f"{HSDS}/service_at_locations", per_page=500)
    assert not any({"addresses", "accessibility"} & set(i["location"]) for i in body["contents"])
    _, one = get(client, f"{HSDS}/service_at_locations/{body['contents'][0]['id']}")
    assert "service_at_locations" not in one["service"]
    allowed = schemas.load("compiled/service_at_location_list.json")["properties"]["location"]
    for item in body["contents"]:
        assert set(item["location"]) <= set(allowed["properties"])


def test_the_mapping_carries_causes_schedule_languages_and_no_private_data(client, seeded_db, db):
    org = Organization.objects.get(slug="east-bay-immigrant-solidarity-network")
    service_id = ids.child(ids.from_slug(org.slug), "service")
    response, doc = get(client, f"{HSDS}/services/{service_id}")
    text = response.content.decode()
    assert org.contact_email not in text and "email" not in doc
    causes = {a["taxonomy_term"]["code"] for a in doc["attributes"] if a["link_type"] == "cause"}
    assert causes == {"immigrant-rights", "racial-justice"}
    assert doc["schedules"][0] | {"id": None, "service_id": None} == {
        "id": None,
        "service_id": None,
        "freq": "MONTHLY",
        "byday": "1TH",
        "opens_at": "18:00:00",
        "description": "First Thursday of the month, 6pm",
    }
    assert [lang["code"] for lang in doc["languages"]] == ["en", "es"]
    assert doc["phones"][0]["number"] == "(510) 555-0107"
    location = doc["service_at_locations"][0]["location"]
    assert location["addresses"][0]["address_1"] == org.address  # its address is public
    assert location["accessibility"][0]["description"] == org.accessibility
    assert doc["application_process"] == org.first_step


def test_lists_filter_and_page_like_hsds(client, seeded_db, db):
    _, first = get(client, f"{HSDS}/services", per_page=7)
    _, second = get(client, f"{HSDS}/services", per_page=7, page=2)
    assert first["first_page"] and not first["last_page"] and first["size"] == 7
    assert first["total_pages"] == -(-first["total_items"] // 7)
    assert not {s["id"] for s in first["contents"]} & {s["id"] for s in second["contents"]}
    term = ids.term("orgsite", "tenants")
    _, tenants = get(client, f"{HSDS}/services", taxonomy_term_id=str(term), per_page=500)
    expected = Organization.objects.published().filter(causes__slug="tenants").count()
    assert tenants["total_items"] == expected > 0
    org_id = first["contents"][0]["organization_id"]
    _, one = get(client, f"{HSDS}/services", organization_id=org_id)
    assert [s["organization_id"] for s in one["contents"]] == [org_id]
    _, later = get(client, f"{HSDS}/services", modified_after="2999-01-01")
    assert later["empty"] and later["contents"] == []
    _, words = get(client, f"{HSDS}/organizations", search="tenants", per_page=500)
    assert 0 < words["total_items"] < first["total_items"]
    _, near = get(client, f"{HSDS}/service_at_locations", postcode="94704", per_page=500)
    _, close = get(
        client, f"{HSDS}/service_at_locations", postcode="94704", proximity=5000, per_page=500
    )
    assert 0 < close["total_items"] < near["total_items"]


@pytest.mark.parametrize(
    "params",
    [
        {"per_page": "0"},
        {"per_page": "100000"},
        {"page": "abc"},
        {"page": "-3"},
        {"modified_after": "yesterday"},
        {"modified_after": "9999-12-31T23:59:59"},
        {"modified_after": "0001-01-01T00:00:00+05:00"},
        {"format": "xml"},
        {"search": "x" * 10_000},
        {"organization_id": "\x00" * 100},
        {"full": "abc"},
        {"minimal": "yes please"},
        {"full_service": "2"},
        {"top_only": "maybe"},
    ],
)
def test_bad_parameters_get_a_400(client, db, params):
    response = client.get(f"{HSDS}/services", params)
    assert response.status_code == 400
    assert set(json.loads(response.content)["errors"]) == set(params)


@pytest.mark.parametrize(
    ("text", "full"),
    [("true", True), ("TRUE", True), ("1", True), ("0", False), ("false", False), ("", False)],
)
def test_boolean_parameters_read_true_and_false(client, db, text, full):
    from tests.factories import make_org

    make_org()
    _, body = get(client, f"{HSDS}/services", full=text)
    assert ("service_at_locations" in body["contents"][0]) is full


def test_bad_postcode_gets_a_400(client, db):
    response = client.get(f"{HSDS}/service_at_locations", {"postcode": "<script>"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "kind", ["services", "organizations", "service_at_locations", "taxonomies", "taxonomy_terms"]
)
@pytest.mark.parametrize("ident", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "%00"])
def test_unknown_ids_are_json_404s(client, db, kind, ident):
    response = client.get(f"{HSDS}/{kind}/{ident}")
    assert response.status_code == 404
    assert json.loads(response.content)["detail"]


def test_unpublished_groups_are_not_served(client, db):
    from tests.factories import make_org

    org = make_org(status="pending")
    service_id = ids.child(ids.from_slug(org.slug), "service")
    assert client.get(f"{HSDS}/services/{service_id}").status_code == 404


def test_etag_and_304(client, db):
    response = client.get(f"{HSDS}/taxonomies")
    again = client.get(f"{HSDS}/taxonomies", headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304


def test_list_query_count_does_not_grow_with_the_page(client, seeded_db, db):
    def queries(**params):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{HSDS}/services", params).status_code == 200
        return len(captured)

    assert queries(per_page=1, full="true") == queries(per_page=200, full="true")
    assert queries(per_page=1) == queries(per_page=200)


# --- Export and import. ---


def _tabular_document(folder):
    """The package's tables as HSDS tabular JSON (empty cells left out)."""
    tables, invalid = tabular.read(folder)
    assert invalid == []
    return {
        name: [{k: v for k, v in row.items() if v is not None} for row in rows]
        for name, rows in tables.items()
    }


def test_the_export_is_a_valid_tabular_package(seeded_db, db, tmp_path, official):
    call_command("export_hsds", str(tmp_path), verbosity=0)
    descriptor = json.loads((tmp_path / "datapackage.json").read_text())
    definitions = schemas.load("datapackage.json")
    assert descriptor["resources"] == definitions["resources"]
    assert descriptor["profile"] == "tabular-data-package"
    tables = _tabular_document(tmp_path)
    valid("compiled/tabular.json", tables)
    assert len(tables["organization"]) == Organization.objects.published().count()
    everything = "".join(p.read_text() for p in tmp_path.glob("*.csv"))
    for email in Organization.objects.values_list("contact_email", flat=True):
        assert not email or email not in everything


def test_the_tables_the_directory_declares_are_the_official_ones(official):
    """hsds/spec.py names each table's file, columns, order, types and links as HSDS 3.0 does."""
    definitions = {r["name"]: r for r in schemas.load("datapackage.json")["resources"]}
    for mine in spec.resources():
        theirs = definitions[mine["name"]]
        assert mine["path"] == theirs["path"]
        fields = [(f["name"], f["type"]) for f in theirs["schema"]["fields"]]
        assert [(f["name"], f["type"]) for f in mine["schema"]["fields"]] == fields
        links = {fk["fields"]: fk["reference"] for fk in theirs["schema"].get("foreignKeys", [])}
        for link in mine["schema"].get("foreignKeys", []):
            assert links.get(link["fields"], link["reference"]) == link["reference"]
    compiled = ("organization", "service", "service_at_location")
    for kind, keys in spec.KEYS.items():
        source = f"compiled/{kind}.json" if kind in compiled else f"{kind}.json"
        assert keys == set(schemas.load(source)["properties"]), kind


def test_the_own_checks_never_ask_more_than_the_official_schemas(official):
    """Each field the importer checks exists in HSDS, with the same allowed values, and is only
    required where HSDS requires it: a document the official schema accepts is never refused."""
    compiled = ("organization", "service", "service_at_location")
    for kind, fields in spec.FIELDS.items():
        definition = schemas.load(f"compiled/{kind}.json" if kind in compiled else f"{kind}.json")
        for name, field in fields.items():
            theirs = definition["properties"][name]
            if field.choices:
                assert list(field.choices) == theirs["enum"], (kind, name)
            if field.required:
                assert name in definition["required"], (kind, name)
            if field.type in ("uuid", "uri", "email"):
                assert theirs.get("format") == field.type, (kind, name)


def test_the_export_without_the_official_files_has_the_same_tables(
    seeded_db, db, tmp_path, official
):
    with_schemas, without = tmp_path / "with", tmp_path / "without"
    exporting.export_package(with_schemas)
    with override_settings(HSDS_SCHEMA_DIR=""):
        exporting.export_package(without)
    descriptor = json.loads((without / "datapackage.json").read_text())
    assert descriptor["resources"] == spec.resources()
    assert "unmodified" not in descriptor["description"]
    written = {path.name for path in without.iterdir()}
    assert written == {table.path for table in spec.TABLES.values()} | {"datapackage.json"}
    for name in written - {"datapackage.json"}:
        assert (without / name).read_bytes() == (with_schemas / name).read_bytes(), name
    # The official package has every table; those the directory does not use are empty.
    for path in set(with_schemas.iterdir()) - {with_schemas / name for name in written}:
        assert path.read_text().count("\n") == 1, path.name


def test_export_import_export_gives_the_same_documents(client, seeded, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    exporting.export_package(first)
    before = {
        org.slug: json.loads(client.get(f"/api/v1/organizations/{org.slug}/").content)
        for org in Organization.objects.published()
    }
    hsds_before = json.loads(
        client.get(f"{HSDS}/services", {"per_page": 500, "full": "true"}).content
    )
    Organization.objects.all().delete()
    Category.objects.all().delete()

    report = importing.import_hsds(first)
    assert report.count("created") == len(before) and report.count("invalid") == 0
    assert report.pending == 0
    exporting.export_package(second)
    for path in sorted(first.iterdir()):
        assert (second / path.name).read_bytes() == path.read_bytes(), path.name
    after = {
        slug: json.loads(client.get(f"/api/v1/organizations/{slug}/").content) for slug in before
    }
    # A cause's place in the site's order is not something HSDS carries: compare causes as sets.
    for document in [*before.values(), *after.values()]:
        document["causes"].sort(key=lambda cause: cause["slug"])
    for slug, document in before.items():
        changed = {
            k: (v, after[slug].get(k)) for k, v in document.items() if after[slug].get(k) != v
        }
        assert not changed, (slug, changed)  # every public field survived the trip
    hsds_after = json.loads(
        client.get(f"{HSDS}/services", {"per_page": 500, "full": "true"}).content
    )
    assert hsds_after == hsds_before
    assert ImportRun.objects.get().created == len(before)


def test_import_is_idempotent_previews_and_keeps_curators_edits(seeded, tmp_path):
    exporting.export_package(tmp_path)
    Organization.objects.all().delete()
    preview = importing.import_hsds(tmp_path, dry_run=True)
    assert preview.count("created") > 200 and preview.dry_run
    assert Organization.objects.count() == 0 and not ImportRun.objects.exists()
    importing.import_hsds(tmp_path)
    count = Organization.objects.count()
    again = importing.import_hsds(tmp_path)
    assert again.count("unchanged") == count and again.count("created") == 0
    assert Organization.objects.count() == count == ExternalRecord.objects.count()
    org = Organization.objects.order_by("slug").first()
    history = list(org.history.all())
    assert len(history) == 1 and history[0].history_change_reason.startswith("HSDS import: ")
    org.first_step = "Edited by a curator."
    org.save()
    importing.import_hsds(tmp_path)
    org.refresh_from_db()
    assert org.first_step == "Edited by a curator."
    assert ImportRun.objects.count() == 3


def test_a_clean_foreign_service_is_imported_and_matched_to_a_cause(seeded, tmp_path):
    report = importing.import_hsds(write(tmp_path, service_doc()))
    assert report.count("created") == 1, report.outcomes
    org = Organization.objects.get(name="Renters United")
    assert org.status == "published"
    assert [c.slug for c in org.causes.all()] == ["tenants"]
    assert (org.latitude, org.city, org.address_public) == (37.8, "Oakland", True)
    record = org.hsds_record
    assert str(record.hsds_id) == service_doc()["organization"]["id"]
    assert "coverage not stated" in record.problems


def test_a_source_update_does_not_bring_back_an_archived_entry(seeded, tmp_path):
    importing.import_hsds(write(tmp_path, service_doc()))
    Organization.objects.filter(name="Renters United").update(status="archived")
    changed = service_doc(description="Help for renters, now on Saturdays too.")
    report = importing.import_hsds(write(tmp_path, changed))
    assert report.count("updated") == 1, report.outcomes
    assert Organization.objects.get(name="Renters United").status == "archived"


@pytest.mark.parametrize(
    ("location", "problem"),
    [
        ({"latitude": 0, "longitude": 0}, "0,0"),
        ({"latitude": 123.0, "longitude": -500.0}, "impossible coordinates"),
        ({"latitude": 37.8, "longitude": None}, "only one"),
    ],
)
def test_messy_points_are_never_placed_and_leave_the_entry_pending(
    seeded, tmp_path, location, problem
):
    doc = service_doc(service_at_locations=location_with(**location))
    if location.get("longitude", 0) is None:
        del doc["service_at_locations"][0]["location"]["longitude"]
    report = importing.import_hsds(write(tmp_path, doc))
    outcome = report.outcomes[0]
    assert outcome.action == "created" and any(problem in p for p in outcome.problems)
    org = Organization.objects.get(name="Renters United")
    assert org.status == "pending"
    # Placed from the postal code instead, never at 0,0 or an impossible point.
    assert org.latitude == pytest.approx(37.8, abs=0.2) and org.precision == "approximate"


def test_no_location_at_all_is_pending_with_the_reason(seeded, tmp_path):
    doc = service_doc(service_at_locations=[])
    report = importing.import_hsds(write(tmp_path, doc))
    assert report.outcomes[0].problems == ["no usable location (coordinates, postal code or city)"]
    assert Organization.objects.get(name="Renters United").latitude is None


@pytest.mark.parametrize("name", ["TBD", "test", "N/A", "???", "  "])
def test_placeholder_names_are_rejected_with_a_reason(seeded, tmp_path, name):
    doc = service_doc(organization={**service_doc()["organization"], "name": name}, name=name)
    report = importing.import_hsds(write(tmp_path, doc))
    assert report.outcomes[0].action == "rejected"
    assert "placeholder" in report.outcomes[0].reason
    assert not Organization.objects.filter(hsds_record__isnull=False).exists()


def test_hostile_text_is_stored_as_text_and_cut_to_size(seeded, tmp_path):
    org = {
        **service_doc()["organization"],
        "name": "<script>alert(1)</script>\x00 Union" + "x" * 300,
    }
    report = importing.import_hsds(write(tmp_path, service_doc(organization=org)))
    created = Organization.objects.get(hsds_record__isnull=False)
    assert created.name.startswith("<script>alert(1)</script> Union") and len(created.name) == 200
    assert (
        created.status == "pending" and "name cut to 200 characters" in report.outcomes[0].problems
    )


@pytest.mark.parametrize("configured", [True, False], ids=["official schemas", "own checks"])
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"id": "not-a-uuid", "name": "X", "status": "active"}, "id: 'not-a-uuid' is not a UUID"),
        ({**service_doc(), "status": "open"}, "status: 'open' is not one of active"),
        ({**service_doc(), "url": "not a url"}, "url: 'not a url' is not an absolute URI"),
        ({"name": "no id", "description": "x"}, "id: missing (HSDS requires it)"),
        (
            service_doc(service_at_locations=location_with(latitude="37.8")),
            "service_at_locations/0/location/latitude: '37.8' is not a number",
        ),
        ([1, "two", None], "a int 1, not an HSDS object"),
    ],
)
def test_invalid_records_are_reported_with_id_and_the_reason(
    request, seeded, tmp_path, data, expected, configured
):
    if configured:
        request.getfixturevalue("official")
    with override_settings(HSDS_SCHEMA_DIR=settings.HSDS_SCHEMA_DIR if configured else ""):
        report = importing.import_hsds(write(tmp_path, data))
    assert report.count("invalid") >= 1
    assert all(o.action == "invalid" for o in report.outcomes)
    # The importer's own checks come first, so the message is the same with or without schemas.
    assert any(expected in str(o) for o in report.outcomes), [str(o) for o in report.outcomes]
    assert not ExternalRecord.objects.exists()


def test_what_only_the_official_schema_refuses_is_refused_with_its_words(
    seeded, tmp_path, official
):
    # The importer does not use a service's email, so only the official layer checks it.
    report = importing.import_hsds(write(tmp_path, {**service_doc(), "minimum_age": "ten"}))
    assert [o.action for o in report.outcomes] == ["invalid"]
    assert (
        "official schema: minimum_age: 'ten' is not of type 'number'" in report.outcomes[0].reason
    )
    with override_settings(HSDS_SCHEMA_DIR=""):
        report = importing.import_hsds(write(tmp_path, {**service_doc(), "minimum_age": "ten"}))
    assert report.count("created") == 1


def test_a_page_of_services_and_one_organization_at_two_locations(seeded, tmp_path):
    second = service_doc(
        id="7c4b1c5e-5e4e-4d5c-9a43-0b0e8e2c1b01",
        service_at_locations=[
            {
                "id": "7c4b1c5e-5e4e-4d5c-9a43-0b0e8e2c1b03",
                "location": {
                    "id": "7c4b1c5e-5e4e-4d5c-9a43-0b0e8e2c1b04",
                    "location_type": "physical",
                    "latitude": 34.05,
                    "longitude": -118.24,
                },
            }
        ],
    )
    report = importing.import_hsds(write(tmp_path, {"contents": [service_doc(), second]}))
    assert report.count("created") == 2
    records = ExternalRecord.objects.order_by("source_location_id")
    assert {r.source_organization_id for r in records} == {service_doc()["organization"]["id"]}
    assert len({r.hsds_id for r in records}) == 2


@pytest.mark.parametrize(
    "content",
    ["", "{not json", "\x00\x01\x02", json.dumps("just a string"), "[]" * 3],
)
def test_unreadable_files_fail_with_a_clear_message(seeded, tmp_path, content):
    path = write(tmp_path, content)
    try:
        report = importing.import_hsds(path)
    except importing.ImportFailed as error:
        assert str(path) in str(error)
    else:
        assert report.count("created") == 0


def test_the_commands_preview_write_and_refuse_garbage(seeded, tmp_path, capsys):
    path = write(tmp_path, service_doc())
    call_command("import_hsds", str(path), "--dry-run")
    assert "1 created" in capsys.readouterr().out
    assert not ExternalRecord.objects.exists()
    call_command("import_hsds", str(path))
    assert ExternalRecord.objects.count() == 1
    with pytest.raises(CommandError, match="not a file"):
        call_command("import_hsds", str(tmp_path / "missing.json"))
    with pytest.raises(CommandError, match="not a folder"):
        call_command("export_hsds", str(path))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CommandError, match="no datapackage.json"):
        call_command("import_hsds", str(empty))


def test_a_package_with_bad_rows_reports_them_and_imports_the_rest(seeded, tmp_path):
    exporting.export_package(tmp_path)
    Organization.objects.all().delete()
    locations = (tmp_path / "locations.csv").read_text().splitlines()
    header, first, *rest = locations
    columns = header.split(",")
    cells = first.split(",")
    cells[columns.index("location_type")] = "underwater"
    (tmp_path / "locations.csv").write_text("\n".join([header, ",".join(cells), *rest]) + "\n")
    report = importing.import_hsds(tmp_path)
    bad = [o for o in report.outcomes if o.action == "invalid"]
    assert len(bad) == 1 and bad[0].record.startswith("location ") and "underwater" in bad[0].reason
    assert (
        report.count("created") == Path(tmp_path / "organizations.csv").read_text().count("\n") - 1
    )
