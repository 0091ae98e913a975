"""Finding an entry by its HSDS id: one indexed query on stored ids, whatever the directory's size.

The ids are stored in hsds.EntryIds by every save (hsds/apps.py); bulk writes, which send no
signal, and renames made behind the ORM's back are caught up on the first lookup that misses.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curation.importing import import_organizations
from directory.models import Organization
from hsds import ids, importing
from hsds.models import EntryIds, ExternalRecord
from tests.factories import make_category, make_org
from tests.hsds_helpers import service_doc, write

HSDS = "/api/hsds"
DETAILS = {
    "services": "service",
    "organizations": "organization",
    "service_at_locations": "service_at_location",
}


def detail_queries(client, org):
    """{endpoint: number of queries} for the detail of each kind of one entry."""
    counts = {}
    for endpoint, kind in DETAILS.items():
        wanted = str(ids.of(org, kind))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"{HSDS}/{endpoint}/{wanted}")
        assert response.status_code == 200, (endpoint, response.content[:200])
        assert json.loads(response.content)["id"] == wanted
        counts[endpoint] = len(captured)
    return counts


def test_a_detail_lookup_costs_the_same_at_two_sizes_and_hashes_no_slug(client, db):
    cause = make_category()
    wanted = make_org(causes=[cause], slug="the-one")
    for n in range(4):
        make_org(causes=[cause], slug=f"few-{n}")
    wanted = Organization.objects.select_related("hsds_record").get(pk=wanted.pk)
    few = detail_queries(client, wanted)
    for n in range(80):
        make_org(causes=[cause], slug=f"many-{n}")
    ids.from_slug.cache_clear()
    many = detail_queries(client, wanted)
    assert many == few == {"services": 2, "organizations": 2, "service_at_locations": 2}
    # The lookups made the ids of no other entry: only those of the one they answer with.
    assert ids.from_slug.cache_info().misses == 1


def test_every_save_keeps_the_stored_ids(client, db):
    org = make_org(causes=[make_category()], slug="before")
    stored = EntryIds.objects.get(organization=org)
    assert stored.organization_uuid == ids.from_slug("before")
    assert stored.service_uuid == ids.child(ids.from_slug("before"), "service")
    org.slug = "after"
    org.save()
    stored.refresh_from_db()
    assert (stored.slug, stored.organization_uuid) == ("after", ids.from_slug("after"))
    old = ids.child(ids.from_slug("before"), "service")
    assert client.get(f"{HSDS}/services/{old}").status_code == 404
    new = ids.child(ids.from_slug("after"), "service")
    assert client.get(f"{HSDS}/services/{new}").status_code == 200


def test_entries_the_curators_csv_import_writes_are_found_on_the_first_miss(client, db):
    """The CSV import writes in bulk (no save, no signal): its entries and renames are caught up
    by the first lookup that misses, as it bumps the directory's generation."""
    cause = make_category()
    make_org(causes=[cause], slug="renamed-in-bulk", external_id="ext-1")
    new = [
        {
            "slug": f"bulk-{n}",
            "name": f"Bulk {n}",
            "status": "published",
            "coverage": "online",
            "causes": cause.slug,
        }
        for n in range(3)
    ]
    rename = {"external_id": "ext-1", "slug": "renamed-by-csv", "name": "Renamed"}
    for headers, rows in ((list(new[0]), new), (list(rename), [rename])):
        report = import_organizations(headers, rows, commit=True)
        assert report.committed and not report.errors, [str(e) for e in report.errors]
    bulk = Organization.objects.filter(slug__startswith="bulk-")
    assert bulk.count() == 3 and not EntryIds.objects.filter(organization__in=bulk).exists()
    wanted = ids.child(ids.from_slug("bulk-1"), "service")
    assert client.get(f"{HSDS}/services/{wanted}").status_code == 200
    assert EntryIds.objects.filter(organization__in=bulk).count() == 3
    renamed = ids.child(ids.from_slug("renamed-by-csv"), "service")
    assert client.get(f"{HSDS}/services/{renamed}").status_code == 200
    stale = ids.child(ids.from_slug("renamed-in-bulk"), "service")
    assert client.get(f"{HSDS}/services/{stale}").status_code == 404


def test_a_miss_costs_one_more_query_once_the_ids_are_caught_up(client, db):
    make_org(causes=[make_category()], slug="present")
    unknown = "00000000-0000-4000-8000-000000000000"
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"{HSDS}/services/{unknown}").status_code == 404
    # The lookup, the directory's generation, and (something was written) the catching up.
    assert len(captured) == 3
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"{HSDS}/services/{unknown}").status_code == 404
    assert len(captured) == 2  # nothing written since: the lookup and the generation only
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"{HSDS}/services/not-a-uuid").status_code == 404
    assert len(captured) == 0


def test_imported_entries_answer_to_their_source_id_and_lose_it_with_their_record(
    client, seeded, tmp_path
):
    importing.import_hsds(write(tmp_path, service_doc()))
    record = ExternalRecord.objects.get()
    source = service_doc()["organization"]["id"]
    assert str(record.hsds_id) == source
    response = client.get(f"{HSDS}/organizations/{source}")
    assert response.status_code == 200 and json.loads(response.content)["id"] == source
    listed = json.loads(client.get(f"{HSDS}/services", {"organization_id": source}).content)
    assert [s["organization_id"] for s in listed["contents"]] == [source]
    slug = record.organization.slug
    record.delete()  # the entry is the directory's own now: its id is made from its slug
    assert client.get(f"{HSDS}/organizations/{source}").status_code == 404
    assert client.get(f"{HSDS}/organizations/{ids.from_slug(slug)}").status_code == 200


def test_an_imported_id_is_never_one_another_entry_answers_to(db, seeded, tmp_path):
    cause = make_category()
    local = make_org(causes=[cause], slug="taken-elsewhere")
    organization = {**service_doc()["organization"], "id": str(ids.from_slug(local.slug))}
    doc = service_doc(organization=organization)
    importing.import_hsds(write(tmp_path, doc))
    record = ExternalRecord.objects.get()
    assert record.hsds_id != ids.from_slug(local.slug)
    assert EntryIds.objects.filter(organization_uuid=ids.from_slug(local.slug)).count() == 1


@pytest.mark.parametrize("kind", ["services", "organizations", "service_at_locations"])
def test_an_id_of_another_kind_is_not_found(client, db, kind):
    org = make_org(causes=[make_category()])
    other = "location" if kind != "services" else "organization"
    assert client.get(f"{HSDS}/{kind}/{ids.of(org, other)}").status_code == 404
