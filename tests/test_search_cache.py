"""Cached searches: the same search typed two ways is answered once, and no edit is missed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curation.csv_format import read_csv
from curation.importing import import_organizations
from curation.services import organizations_merge
from directory import caching
from directory.models import Category, Generation, Organization
from tests.factories import make_category, make_org

API = "/api/v1/organizations/"


@pytest.fixture
def labor(db):
    return make_category(slug="labor", name="Labor")


def names(client, **params):
    body = client.get(API, {"near": "94704", **params}).json()
    return [r["organization"]["name"] for r in body["results"]]


def queries(client, url, params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_a_repeated_search_is_answered_from_the_cache(client, answers_cached, labor):
    make_org(name="Berkeley Labor", causes=[labor])
    first = queries(client, API, {"near": "94704", "cause": "labor", "q": "Labor"})
    # The same search, typed differently: spaces, case.
    again = queries(client, API, {"near": " 94704 ", "cause": "labor", "q": " labor "})
    # Validating the cause and reading the generation: nothing of the search itself.
    assert again == 2 < first


def test_the_cache_is_off_when_its_time_is_zero(client, settings, labor):
    settings.SEARCH_CACHE_SECONDS = 0
    make_org(causes=[labor])
    first = queries(client, API, {"near": "94704"})
    assert queries(client, API, {"near": "94704"}) == first


def test_a_cache_that_is_down_is_a_miss_not_an_error(client, dead_cache, labor):
    make_org(name="Still Found", causes=[labor])
    assert names(client) == ["Still Found"]
    assert client.get("/search/", {"near": "94704"}).status_code == 200


def edit_save(org, labor):
    org.name = "Renamed"
    org.save()


def edit_causes(org, labor):
    org.causes.set([make_category(slug="housing")])


def edit_delete(org, labor):
    org.delete()


def edit_archive(org, labor):
    from curation.services import organizations_archive

    organizations_archive(Organization.objects.filter(pk=org.pk), None)


def edit_category(org, labor):
    Category.objects.filter(pk=labor.pk).update(name="x")  # no signal: the next edit must bump
    labor.name = "Workers"
    labor.save()


def edit_merge(org, labor):
    other = make_org(name="Aaa First", causes=[labor])
    before = Generation.objects.get(pk=1).value
    organizations_merge([other, org], None, keep=other)
    assert Generation.objects.get(pk=1).value > before


def edit_revert(org, labor):
    org.name = "Renamed"
    org.save()
    previous = org.history.order_by("history_date")[0]
    previous.instance.save()  # what the admin's "revert" does


def edit_import(org, labor):
    import csv
    import io

    from curation.exporting import write_csv

    out = io.StringIO()
    write_csv(Organization.objects.filter(pk=org.pk), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    rows[0]["name"] = "Imported Name"
    edited = io.StringIO()
    writer = csv.DictWriter(edited, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    import_organizations(*read_csv(edited.getvalue().encode()), commit=True)


@pytest.mark.parametrize(
    "edit",
    [
        edit_save,
        edit_causes,
        edit_delete,
        edit_archive,
        edit_category,
        edit_merge,
        edit_revert,
        edit_import,
    ],
)
def test_every_kind_of_write_makes_cached_searches_stale(client, answers_cached, labor, edit):
    org = make_org(name="Berkeley Labor", causes=[labor])
    before = client.get(API, {"near": "94704", "cause": "labor"}).json()
    assert client.get(API, {"near": "94704", "cause": "labor"}).json() == before  # cached
    generation = caching.generation()
    edit(org, labor)
    assert caching.generation() > generation
    after = client.get(API, {"near": "94704", "cause": "labor"}).json()
    assert after != before


def counts(client, url, params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return sum("COUNT(" in query["sql"].upper() for query in ctx.captured_queries)


@pytest.mark.parametrize(
    ("url", "size", "total"),
    [(API, "page_size", "count"), ("/api/hsds/services", "per_page", "total_items")],
)
def test_a_list_counts_its_groups_once_per_generation(
    client, answers_cached, labor, url, size, total
):
    """Each page of a list needs its count, which reads every row it counts: it is kept under
    the generation, so a reader paging through counts once, and any edit counts again."""
    for _ in range(3):
        make_org(causes=[labor])
    assert counts(client, url, {size: 1, "page": 1}) == 1
    assert counts(client, url, {size: 1, "page": 2}) == 0
    assert client.get(url, {size: 1, "page": 3}).json()[total] == 3
    make_org(status="pending")  # a write, which shows in no list: counted again all the same
    assert counts(client, url, {size: 1, "page": 2}) == 1
    make_org()
    assert client.get(url, {size: 1, "page": 4}).json()[total] == 4


def test_a_list_is_counted_when_the_cache_is_down(client, dead_cache, labor):
    make_org(causes=[labor])
    assert client.get(API).json()["count"] == 1
    assert client.get("/api/hsds/services").json()["total_items"] == 1
