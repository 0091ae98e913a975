"""The ring search against a brute-force reference, and its cost against the directory's size.

The reference reads every published group and applies the rules of DESIGN.md literally: groups
whose area covers the place, then others within the radius, nearest first (ties by id), widened
step by step when nothing is near, the nearest at any distance last; totals counted up to the
cap. Hypothesis draws the groups and places, the antimeridian and the poles included.
"""

import math

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from directory import queries
from directory.geo import haversine_miles
from directory.geocoding import Place
from directory.models import Organization
from directory.search import NEAREST_FALLBACK, WIDENING_STEPS, RingSearch, who_covers
from tests.factories import make_category, make_org

CAP = 5
LIMIT = 3


@pytest.fixture
def small_blocks(settings):
    settings.SEARCH_COUNT_CAP = CAP
    settings.SEARCH_BLOCK_LIMIT = LIMIT


def reference(place, radius, published=None):
    """[(block key, [pk, ...] shown, total, capped)] computed from every row, the slow way."""
    published = list(Organization.objects.published() if published is None else published)
    placed = []
    for org in published:
        if org.coverage in ("local", "regional") and org.public_latitude is not None:
            distance = haversine_miles(
                place.latitude, place.longitude, org.public_latitude, org.public_longitude
            )
            placed.append((distance, org.pk, org.coverage_radius))
    placed.sort()
    covering = [row for row in placed if row[0] <= row[2]]

    def others(miles):
        return [row for row in placed if row[2] < row[0] <= miles]

    nearby = others(radius)
    if not covering and not nearby:
        for step in (s for s in WIDENING_STEPS if s > radius):
            if any(row[0] <= step for row in placed):
                nearby = others(step)
                break
    if not covering and not nearby:
        nearby = placed[:NEAREST_FALLBACK]

    def by_name(kind, **where):
        rows = [
            o
            for o in published
            if o.coverage == kind and all(getattr(o, k) == v for k, v in where.items())
        ]
        return [o.pk for o in sorted(rows, key=lambda o: (o.name, o.pk))]

    blocks = [("covering", [r[1] for r in covering]), ("nearby", [r[1] for r in nearby])]
    if place.state:
        blocks.append(("statewide", by_name("statewide", state=place.state, country="US")))
    if place.country:
        blocks.append(("national", by_name("national", country=place.country)))
    blocks.append(("online", by_name("online")))
    return [(key, pks[:LIMIT], min(len(pks), CAP), len(pks) > CAP) for key, pks in blocks if pks]


def shown(outcome):
    return [
        (b.key, [r.organization.pk for r in b.results], b.total, b.capped) for b in outcome.blocks
    ]


def wrap(longitude):
    return (longitude + 180) % 360 - 180


def drawn(n, offset, place, near_cluster):
    """The fields of the n-th drawn group, `offset` from the place."""
    dlat, dlng, kind, cover, exact = offset
    # Some groups crowd around the place, so the rings stop early.
    scale = 0.01 if n < near_cluster else 1
    point = kind not in ("national", "online")
    return {
        "name": f"Group {n % 4}",
        "slug": f"group-{n}",
        "status": "published",
        "coverage": kind,
        "state": "CA",
        "country": "US",
        "latitude": max(-90, min(90, place.latitude + dlat * scale)) if point else None,
        "longitude": wrap(place.longitude + dlng * scale) if point else None,
        "coverage_radius": cover if kind in ("local", "regional") else None,
        "precision": "exact" if exact else "approximate",
        "address_public": exact,
    }


offsets = st.tuples(
    st.floats(-4, 4),  # degrees of latitude from the place
    st.floats(-6, 6),  # degrees of longitude from the place
    st.sampled_from(["local", "local", "local", "regional", "statewide", "national", "online"]),
    st.integers(1, 250),  # coverage radius
    st.booleans(),  # exact public address
)
places = st.one_of(
    st.tuples(st.floats(-60, 60), st.floats(-180, 180)),
    st.tuples(st.floats(-60, 60), st.sampled_from([179.9, -179.95, 180.0, -180.0])),
    st.tuples(st.sampled_from([89.5, -89.7, 88.0]), st.floats(-180, 180)),
)


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    groups=st.lists(offsets, max_size=30),
    centre=places,
    radius=st.sampled_from([1, 5, 25, 60, 300]),
    near_cluster=st.integers(0, 12),
)
def test_the_ring_search_equals_the_brute_force_reference(
    db, small_blocks, groups, centre, radius, near_cluster
):
    latitude, longitude = centre
    place = Place("Here", latitude, longitude, "coordinates", state="CA", country="US")
    with transaction.atomic():
        rows = []
        for n, offset in enumerate(groups):
            rows.append(Organization(**drawn(n, offset, place, near_cluster)))
        Organization.objects.bulk_create(rows)
        expected = reference(place, radius)
        got = shown(who_covers(Organization.objects.published(), place, radius))
        assert got == expected
        transaction.set_rollback(True)


@hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    groups=st.lists(st.tuples(offsets, st.sets(st.sampled_from("ab"))), max_size=30),
    centre=places,
    radius=st.sampled_from([1, 5, 25, 300]),
    near_cluster=st.integers(0, 12),
    asked=st.sampled_from(["a", "b", "ab"]),
    kinds=st.sampled_from([(), ("local",), ("regional", "national")]),
)
def test_a_search_by_cause_equals_the_brute_force_reference(
    db, small_blocks, groups, centre, radius, near_cluster, asked, kinds
):
    """Through the search form's path: rings read from the cause points (CausePoint)."""
    latitude, longitude = centre
    place = Place("Here", latitude, longitude, "coordinates", state="CA", country="US")
    with transaction.atomic():
        causes = {name: make_category(slug=f"cause-{name}", name=name) for name in "ab"}
        for n, (offset, names) in enumerate(groups):
            org = Organization.objects.create(**drawn(n, offset, place, near_cluster))
            org.causes.set([causes[name] for name in names])
        wanted = [causes[name] for name in asked]
        groups = Organization.objects.published().for_causes(wanted).with_coverage(kinds)
        expected = reference(place, radius, groups)
        by_cause = ([cause.pk for cause in wanted], list(kinds))
        got = shown(who_covers(groups, place, radius, by_cause=by_cause))
        assert got == expected
        transaction.set_rollback(True)


@hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    groups=st.lists(
        st.tuples(offsets, st.sampled_from(["Tenant union", "Labor council", "Tenants' rights"])),
        max_size=30,
    ),
    centre=places,
    radius=st.sampled_from([1, 25, 300]),
    near_cluster=st.integers(0, 12),
    words=st.sampled_from(["tenant", "union", "council tenant", "labor"]),
)
@pytest.mark.parametrize("at_once", [queries.WORDS_AT_ONCE, 0])
def test_a_search_for_common_words_equals_the_brute_force_reference(
    db, small_blocks, monkeypatch, at_once, groups, centre, radius, near_cluster, words
):
    """Words more groups have than queries.WORDS_PROBE (here, any) are a test in each of the
    search's statements (queries.SearchSQL), not a list of ids: the same groups either way.
    Wide rings read every group with the words at once (SearchSQL.every_point), unless more
    than WORDS_AT_ONCE have them (here, with 0, any)."""
    latitude, longitude = centre
    place = Place("Here", latitude, longitude, "coordinates", state="CA", country="US")
    with transaction.atomic():
        Organization.objects.bulk_create(
            Organization(**drawn(n, offset, place, near_cluster), summary=summary)
            for n, (offset, summary) in enumerate(groups)
        )
        expected = reference(place, radius, Organization.objects.published().matching(words))
        with monkeypatch.context() as patch:
            patch.setattr(queries, "WORDS_PROBE", 0)
            patch.setattr(queries, "WORDS_AT_ONCE", at_once)
            common = Organization.objects.published().matching(words)
            if expected:  # any group with the words: a test in the SQL, not their ids
                sql = str(common.query)
                assert "MATCH" in sql or "to_tsquery" in sql, sql
            got = shown(who_covers(common, place, radius))
        assert got == expected
        transaction.set_rollback(True)


def test_a_search_for_common_words_sees_an_edit_at_once(db, monkeypatch):
    """On SQLite a common word's list of groups is kept by the connection (queries._kept_words):
    a group saved after it is found by the next search all the same."""
    place = Place("Berkeley", 37.87, -122.26, "coordinates", state="CA", country="US")
    monkeypatch.setattr(queries, "WORDS_PROBE", 0)

    def found():
        outcome = who_covers(Organization.objects.published().matching("tenant"), place, 25)
        return {r.organization.name for b in outcome.blocks for r in b.results}

    make_org(name="Tenant union one")
    assert found() == {"Tenant union one"}
    make_org(name="Tenant union two")
    assert found() == {"Tenant union one", "Tenant union two"}
    Organization.objects.filter(name="Tenant union one").get().delete()
    assert found() == {"Tenant union two"}


def test_a_ring_read_for_one_block_keeps_every_group_the_other_may_show(db, small_blocks):
    """Once the covering block is full, a ring reads only groups whose radius is less than the
    farthest corner of its box: those in a corner, past the ring but within their radius'
    reach, are still nearby groups. Here every nearby group lies on the diagonal, just beyond
    its own radius, at every half mile: whatever the rings, some fall in their corners."""
    here = Place("Here", 37.87, -122.26, "coordinates", state="CA", country="US")
    rows = [
        Organization(
            name=f"Covering {n}",
            slug=f"covering-{n}",
            status="published",
            latitude=37.87 + n * 0.001,
            longitude=-122.26,
            coverage_radius=25,
        )
        for n in range(CAP + 2)
    ]
    for n in range(40):
        miles = 3 + n * 0.5
        degrees = miles / math.sqrt(2) / 69.05
        rows.append(
            Organization(
                name=f"Diagonal {n}",
                slug=f"diagonal-{n}",
                status="published",
                latitude=37.87 + degrees,
                longitude=-122.26 + degrees / math.cos(math.radians(37.87)),
                coverage_radius=max(1, math.floor(miles - 0.3)),
                precision="exact",
                address_public=True,
            )
        )
    Organization.objects.bulk_create(rows)
    assert shown(who_covers(Organization.objects.published(), here, 25)) == reference(here, 25)
    # The rows themselves, past what the cap lets the page show.
    need = CAP + 1
    covering, nearby = RingSearch(Organization.objects.published(), here).around(25, need)
    everyone = sorted(
        (
            haversine_miles(here.latitude, here.longitude, o.public_latitude, o.public_longitude),
            o.pk,
            o.coverage_radius,
        )
        for o in Organization.objects.published()
    )
    assert [row.pk for row in nearby] == [pk for d, pk, r in everyone if r < d][:need]
    assert [row.pk for row in covering] == [pk for d, pk, r in everyone if r >= d][:need]


def cluster(count, spread_degrees, seed=0):
    """`count` local groups around Berkeley, spread over about `spread_degrees`."""
    import random

    rng = random.Random(seed)
    Organization.objects.bulk_create(
        Organization(
            name=f"Dense {seed}-{n}",
            slug=f"dense-{seed}-{n}",
            status="published",
            latitude=37.87 + rng.gauss(0, spread_degrees),
            longitude=-122.26 + rng.gauss(0, spread_degrees),
            coverage_radius=rng.choice([2, 5, 10, 25]),
        )
        for n in range(count)
    )


def rows_read(place):
    search = RingSearch(Organization.objects.published(), place)
    search.around(25, 51)
    return len(search.rows)


BERKELEY = Place("Berkeley, CA", 37.8664, -122.257, "zip", state="CA", country="US")


def test_rows_read_do_not_grow_with_the_directory(db, client):
    """Four times the groups in the same area: the rings stop sooner, so no more rows are read."""
    cluster(400, 0.3, seed=1)
    few = rows_read(BERKELEY)
    with CaptureQueriesContext(connection) as before:
        client.get("/api/v1/organizations/", {"near": "94704"})
    cluster(1200, 0.3, seed=2)
    many = rows_read(BERKELEY)
    with CaptureQueriesContext(connection) as after:
        client.get("/api/v1/organizations/", {"near": "94704"})
    # Far less than the groups: proportional growth would be 4x (measured: 197 and 307 rows,
    # as the first search reads its last, widest ring for covering groups alone).
    assert many <= few * 2, (few, many)
    assert len(after.captured_queries) <= len(before.captured_queries)
    assert few < 400 and many < 1600 / 4  # the first rings were enough, not the cluster whole


def test_a_dense_city_is_read_from_its_first_rings(db):
    cluster(2000, 0.5, seed=3)
    search = RingSearch(Organization.objects.published(), BERKELEY)
    search.around(25, 51)
    assert search.read < 25
    assert len(search.rows) < 2000 / 4


def test_a_far_search_reads_to_the_last_ring_but_only_what_is_there(db):
    cluster(50, 0.2, seed=4)
    montana = Place("Absarokee, MT", 45.52, -109.44, "zip", state="MT", country="US")
    search = RingSearch(Organization.objects.published(), montana)
    covering, nearby = search.around(25, 51)
    assert not covering and not nearby
    assert search.read == 250 and search.rows == []
    assert search.widen(25) == 1000
    assert math.isclose(min(r.distance for r in search.rows), 816, rel_tol=0.05)
