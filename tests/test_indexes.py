"""Every query of the search reads an index, not the whole table, on SQLite and on PostgreSQL."""

import random
import re

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from directory import caching, queries
from directory.models import Category, Organization
from directory.queries import ONLINE, SearchSQL, national_conditions, statewide_conditions
from directory.views import cause_page_groups

ROWS = 3000


@pytest.fixture
def many_groups(db):
    rng = random.Random(7)
    kinds = ["local"] * 6 + ["regional", "statewide", "national", "online"]
    Organization.objects.bulk_create(
        Organization(
            name=f"Group {i}",
            slug=f"group-{i}",
            status="published" if i % 10 else "pending",
            coverage=kinds[i % len(kinds)],
            state=rng.choice(["CA", "NY", "TX", "IL"]),
            city=f"Town {i % 50}",
            latitude=rng.uniform(25, 49),
            longitude=rng.uniform(-124, -67),
            coverage_radius=10,
        )
        for i in range(ROWS)
    )
    cause = Category.objects.create(slug="labor", name="Labor")
    through = Organization.causes.through
    through.objects.bulk_create(
        through(organization_id=pk, category_id=cause.pk)
        for pk in Organization.objects.values_list("pk", flat=True)[::3]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return cause


def plan(queryset):
    return plan_of(*queryset.query.sql_with_params())


class Statements(SearchSQL):
    """The search's own SQL, kept instead of run."""

    def _fetch(self, sql, params):
        self.kept = (sql, params)
        return []


def plan_of(sql, params):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test table is small: forbid the sequential scan a planner may prefer on it,
            # so the plan shows what it would do at size.
            cursor.execute("SET enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        text = "\n".join(str(row) for row in cursor.fetchall())
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = on")
        return text


def assert_indexed(text, *indexes):
    assert any(index in text for index in indexes), text
    assert "Seq Scan on directory_organization" not in text, text
    assert not re.search(r"SCAN directory_organization\b(?! USING)", text), text


def published():
    return Organization.objects.published()


@pytest.mark.parametrize("with_cause", [False, True])
def test_the_search_reads_each_ring_from_the_point_index(many_groups, with_cause):
    groups = published().for_causes([many_groups] if with_cause else None)
    for inside in (None, 4):
        statements = Statements(groups)
        statements.points(37.87, -122.26, 16, inside=inside)
        assert_indexed(plan_of(*statements.kept), "org_search_point")
    statements.points(51.9, 179.9, 64)  # across the antimeridian
    assert_indexed(plan_of(*statements.kept), "org_search_point")


# SQLite's statistics of the synthetic directory of a million groups (`make bench`), so the
# planner chooses as it would at that size.
MILLION_GROUPS_STATISTICS = [
    ("directory_organization", "org_statewide", "1000000 250000 50000 50000 1158 2"),
    ("directory_organization", "org_search_point", "1000000 250000 454 4 2 2 2"),
    ("directory_organization", "org_status_slug", "1000000 250000 1"),
    ("directory_organization", "org_status_name", "1000000 250000 3 1"),
    ("directory_organization", "org_state_city", "1000000 250000 4808 51 2"),
    ("directory_organization", "org_coverage_name", "1000000 250000 50000 2"),
    ("directory_organization", "org_national", "1000000 250000 50000 50000 2"),
    (
        "directory_organization_causes",
        "directory_organization_causes_category_id_122d1a3f",
        "1506251 94141",
    ),
    (
        "directory_organization_causes",
        "directory_organization_causes_organization_id_cf75cd07",
        "1506251 2",
    ),
]


@pytest.fixture
def at_a_million_groups(many_groups):
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl LIKE 'directory_organization%%'")
            cursor.executemany(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)",
                MILLION_GROUPS_STATISTICS,
            )
            cursor.execute("ANALYZE sqlite_schema")  # the planner reloads the statistics
    return many_groups


def test_a_search_for_common_words_still_reads_each_ring_from_the_point_index(
    at_a_million_groups,
):
    """Every group is named "Group …": too many to look up first (queries.WORDS_PROBE), so
    the words are a test of the ring's candidates, not a list of groups read by id (at a
    million groups, SQLite read each of the 87,000 with "tenant" by id for every ring, and
    PostgreSQL every one from its words index for each block)."""
    for groups in (published(), published().for_causes([at_a_million_groups])):
        statements = Statements(groups.matching("group"))
        statements.points(37.87, -122.26, 16, inside=4)
        assert_indexed(plan_of(*statements.kept), "org_search_point")
        statements.listed([(statewide_conditions("CA", "US"), 51)])
        assert_indexed(plan_of(*statements.kept), "org_statewide")


def kept_words_tables():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM temp.sqlite_master WHERE name LIKE 'words%%'")
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's list of a word's groups")
def test_sqlite_lists_a_common_words_groups_once_for_every_statement(many_groups, monkeypatch):
    """SQLite listed the groups with common words again for each statement testing them (16 ms
    for "tenant" at a million groups, five times a search). The connection keeps the list in a
    table of its own, which each statement reads by id; an edit makes a new one."""
    statements = Statements(published().matching("group"))
    statements.points(37.87, -122.26, 16, inside=4)
    text = plan_of(*statements.kept)
    assert "USING ROWID SEARCH ON TABLE words_" in text, text
    assert "directory_organization_words" not in text, text
    (kept,) = kept_words_tables()
    Statements(published().matching("group")).listed([(ONLINE, 51)])  # the same list
    assert kept_words_tables() == {kept}
    caching.bump()  # an edit: the list is made again
    Statements(published().matching("group"))
    assert len(kept_words_tables()) == 2
    monkeypatch.setattr(queries, "WORDS_PROBE", 0)  # every word common
    for word in ("town", "1", "2", "3", "4", "5", "6", "7", "8", "9"):
        Statements(published().matching(f"group {word}"))
    assert len(kept_words_tables()) == queries.WORDS_KEPT
    assert caching.generation(connection) == caching.generation()  # one number, one read


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's list of a word's groups")
def test_a_kept_list_of_a_words_groups_gone_with_its_transaction_is_made_again(many_groups):
    with transaction.atomic():
        search = SearchSQL(published().matching("group"))  # its list made in this savepoint
        transaction.set_rollback(True)
    assert not kept_words_tables()
    assert search.points(37.87, -122.26, 600)
    assert search.listed([(ONLINE, 5)]) != [[]]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's words index")
def test_the_search_tests_common_words_on_its_own_rows_without_the_words_index(many_groups):
    """PostgreSQL preferred its words index for the listed blocks (3.4 ms for "tenant" at
    100,000 groups, each block) over the block's own index read in order. With no other index
    left (dropped in this test's transaction) the search's statements still do not read it;
    the queryset itself, which counts and lists without a place, still may."""
    groups = published().matching("group")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'directory_organization' "
            "AND indexname LIKE 'org%%' AND indexname <> 'org_words_stored'"
        )
        for (index,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX {index}")
    assert "org_words_stored" in plan(groups)
    statements = Statements(groups)
    statements.points(37.87, -122.26, 16, inside=4)
    assert "org_words_stored" not in plan_of(*statements.kept)
    statements.listed([(statewide_conditions("CA", "US"), 51), (ONLINE, 51)])
    assert "org_words_stored" not in plan_of(*statements.kept)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's look-up has no order")
def test_the_look_up_of_words_stops_at_its_limit_unsorted(many_groups, monkeypatch):
    """The first look-up of the words (queries.WORDS_PROBE) stops at its limit: sorted by name,
    PostgreSQL read and sorted every group with the words first (8,700 for "tenant" at
    100,000 groups: 21 ms, now 6 ms)."""
    monkeypatch.setattr(queries, "WORDS_SURELY_COMMON", ROWS)  # looked up despite the estimate
    with CaptureQueriesContext(connection) as captured:
        published().matching("group")
    _estimate, probe = captured.captured_queries
    text = plan_of(probe["sql"], ())
    assert "Sort" not in text, text
    assert "TEMP B-TREE" not in text, text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's words have no estimate")
def test_words_the_planner_expects_on_many_groups_are_not_looked_up(many_groups, monkeypatch):
    """ "group" is on all 3,000 groups: PostgreSQL's estimate says so from a plan, and the
    look-up that would read WORDS_PROBE + 1 of them is not run. Rare words are looked up, and
    both ways find the same groups."""
    with CaptureQueriesContext(connection) as captured:
        common = published().matching("group")
    (estimate,) = captured.captured_queries
    assert estimate["sql"].startswith("EXPLAIN"), estimate
    assert common.count() == published().count()

    with CaptureQueriesContext(connection) as captured:
        rare = published().matching("group 7")
    estimate, probe = captured.captured_queries
    assert estimate["sql"].startswith("EXPLAIN"), estimate
    assert f"LIMIT {queries.WORDS_PROBE + 1}" in probe["sql"], probe
    monkeypatch.setattr(queries, "WORDS_SURELY_COMMON", 0)  # "group 7" taken for common
    tested = published().matching("group 7")
    assert 0 < rare.count() == tested.count() < published().count()
    assert set(rare.values_list("pk", flat=True)) == set(tested.values_list("pk", flat=True))


@pytest.mark.parametrize("radii", [None, (None, 22.7), (16, None)])
def test_a_ring_of_a_search_by_cause_reads_only_the_cause_points_index(many_groups, radii):
    groups = published().for_causes([many_groups])
    statements = Statements(groups, by_cause=([many_groups.pk], []))
    statements.points(37.87, -122.26, 16, inside=4, radii=radii)
    text = plan_of(*statements.kept)
    assert "causepoint_search" in text, text
    assert "directory_organization" not in text, text
    if connection.vendor == "sqlite":  # no row read besides the index's own
        assert "COVERING INDEX causepoint_search" in text, text


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite plans without statistics")
def test_the_search_reads_the_point_index_before_any_analyze(many_groups):
    """A new SQLite database has no statistics until ANALYZE runs: its rings must still read
    the point index (they once read another index's (status, coverage) prefix, 100x slower)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sqlite_stat1")
        cursor.execute("ANALYZE sqlite_schema")  # the planner reloads the (now no) statistics
    statements = Statements(published().for_causes([many_groups]))
    statements.points(37.87, -122.26, 16, inside=4)
    assert_indexed(plan_of(*statements.kept), "org_search_point")


@pytest.mark.parametrize(
    ("conditions", "index"),
    [
        (statewide_conditions("CA", "US"), ("org_statewide",)),
        (national_conditions("US"), ("org_national", "org_statewide", "org_coverage_name")),
        (ONLINE, ("org_coverage_name", "org_national", "org_statewide")),
    ],
)
def test_the_search_reads_each_listed_block_from_its_index(many_groups, conditions, index):
    for groups in (published(), published().for_causes([many_groups])):
        statements = Statements(groups)
        statements.listed([(conditions, 51)])
        text = plan_of(*statements.kept)
        assert_indexed(text, *index)
        if connection.vendor == "sqlite":  # read in the index's order, not sorted afterwards
            assert "USE TEMP B-TREE FOR ORDER BY" not in text, text
    # In their exact order (name, id): PostgreSQL sorted each name's groups when its indexes
    # ended with the name. (With the cause, its planner may join and sort a table this small.)
    statements = Statements(published())
    statements.listed([(conditions, 51)])
    text = plan_of(*statements.kept)
    assert "Sort" not in text, text


def test_a_ring_of_the_search_reads_the_point_index(many_groups):
    ring = published().placed().in_box(37.87, -122.26, 16, inside=4)
    assert_indexed(plan(ring), "org_search_point")


def test_a_ring_with_a_cause_reads_the_point_index(many_groups):
    ring = published().for_causes([many_groups]).placed().in_box(37.87, -122.26, 16)
    assert_indexed(plan(ring), "org_search_point")


def test_a_ring_across_the_antimeridian_reads_the_point_index(many_groups):
    ring = published().placed().in_box(51.9, 179.9, 64)
    assert_indexed(plan(ring), "org_search_point")


@pytest.mark.parametrize(
    ("blocks", "index"),
    [
        (lambda qs: qs.statewide("CA", "US"), ("org_statewide",)),
        # PostgreSQL may read a national block through the (status, coverage) prefix of another.
        (lambda qs: qs.national("US"), ("org_national", "org_statewide", "org_coverage_name")),
        (lambda qs: qs.online(), ("org_coverage_name", "org_national", "org_statewide")),
    ],
)
def test_statewide_national_and_online_blocks_read_their_index_in_order(many_groups, blocks, index):
    assert_indexed(plan(blocks(published()).order_by("name", "pk")[:51]), *index)


def test_a_cause_page_reads_one_state_from_its_index(many_groups):
    (groups,) = cause_page_groups(many_groups, "CA")
    assert_indexed(plan(groups[:26]), "org_state_city")


def test_a_cause_page_reads_its_national_and_online_groups_in_index_order(many_groups):
    # Not the (status, name) index, which would walk every published group in name order, nor
    # the (status, coverage, name) one from its start, through every local group.
    for groups in cause_page_groups(many_groups):
        text = plan(groups[:26])
        assert_indexed(text, "org_coverage_name", "org_national", "org_statewide")
        assert "org_status_name" not in text, text
        # Read in name order (PostgreSQL may still order ties by id, an incremental sort).
        assert (
            not re.search(r"(?<!Incremental )Sort  \(cost", text) and "TEMP B-TREE" not in text
        ), text
        if connection.vendor == "postgresql":  # the kind bounds the scan, not a filter on it
            assert re.search(r"Index Cond: [^\n]*coverage", text), text


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's statistics")
@pytest.mark.django_db(transaction=True)
def test_a_migration_that_makes_indexes_leaves_sqlite_statistics_for_them():
    """SQLite's planner takes an index it has no statistics for as a very selective one: after
    migration 0012 made three without them, it listed five HSDS services by slug through the
    online block's index and sorted every published group (100,000 groups: 8 ms to 250 ms)."""
    Organization.objects.bulk_create(
        Organization(name=f"Group {i}", slug=f"group-{i}", status="published", coverage="online")
        for i in range(500)
    )
    made = {"org_statewide", "org_national", "org_coverage_name"}
    executor = MigrationExecutor(connection)
    executor.migrate([("directory", "0011_cause_points")])
    try:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # a database in use has statistics for its indexes
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'directory_organization'")
        assert made <= {idx for (idx,) in cursor.fetchall()}
    text = plan(published().order_by("slug")[:5])
    assert "org_status_slug" in text, text


class EveryPoint(Statements):
    def _estimate(self, sql, params):
        return 0  # PostgreSQL's estimate of the words' groups: few


def test_every_group_with_common_words_is_read_from_the_words_index(many_groups, monkeypatch):
    """A search for common words that would read wide rings reads every group with them instead
    (queries.SearchSQL.every_point): from the words index, not from the point index."""
    monkeypatch.setattr(queries, "WORDS_PROBE", 0)  # "group 7": 111 groups, but common here
    for cause in (None, many_groups):
        statements = EveryPoint(
            published().for_causes([cause] if cause else None).matching("group 7")
        )
        assert statements.every_point() == []  # nothing run: the statements keep it
        text = plan_of(*statements.kept)
        if connection.vendor == "postgresql":
            # With the cause too, this small table's estimates make another plan (at 100,000
            # groups it reads the words index all the same).
            assert cause or "org_words_stored" in text, text
        else:
            # The kept list's ids, each group read by its id.
            assert "USING ROWID SEARCH ON TABLE words_" in text, text
            assert "USING INTEGER PRIMARY KEY" in text, text
        assert "org_search_point" not in text, text


def test_rare_words_have_no_read_of_every_group(many_groups):
    assert EveryPoint(published().matching("group 7")).every_point() is None
    assert EveryPoint(published()).every_point() is None
    assert EveryPoint(published()).by_words is None
