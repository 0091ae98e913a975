"""Read paths for organizations: every public page starts from `published()`."""

import hashlib
import re
import time

from django.core.exceptions import EmptyResultSet
from django.db import OperationalError, connections, models
from django.db.models import BooleanField, Count, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from directory.geo import bounding_box, cells, longitude_ranges

# Words are letters and digits; anything else separates them (and cannot reach the index's syntax).
WORD = re.compile(r"\w+")
MAX_WORDS = 12
# Words that fewer groups than this have are looked up first (see matching()).
WORDS_PROBE = 1000
# PostgreSQL: words its planner expects on more groups than this are common without the
# look-up, which would read WORDS_PROBE + 1 rows in vain. Its estimates of the words index are
# within a few percent for common words, so twice the limit leaves room for its error.
WORDS_SURELY_COMMON = 2 * WORDS_PROBE
# PostgreSQL's words of a group: a stored tsvector column with a GIN index (migration 0009),
# which the model does not declare (SQLite has its FTS5 table instead).
WORDS_VECTOR = "directory_organization.words"
# The test of a group's words, which the GIN index answers (a count, a list without a place).
WORDS_TEST = f"{WORDS_VECTOR} @@ to_tsquery('simple', %s)"
# The same test as a subquery (see SearchSQL): the GIN index cannot answer it, and the planner,
# which takes it for costly, runs it after every other test of a row.
WORDS_TEST_OF_ROWS = f"(SELECT {WORDS_VECTOR} @@ to_tsquery('simple', %s))"
ORGANIZATION_ID = '"directory_organization"."id"'
# SQLite's: an FTS5 table over the groups' own rows (migration 0004).
WORDS_TABLE = "directory_organization_words"
WORDS_LIST = f"SELECT rowid FROM {WORDS_TABLE} WHERE {WORDS_TABLE} MATCH %s"  # noqa: S608
# Common words that at most this many groups have: a search that would read wide rings reads
# them all at once from the words index instead (SearchSQL.every_point).
WORDS_AT_ONCE = 5000
# How many lists of common words a SQLite connection keeps (see _kept_words).
WORDS_KEPT = 8
# Past this many longitude bands a box is read by latitude alone (a continent-wide search).
MAX_CELLS = 400


class OrganizationQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status="published")

    def for_causes(self, categories):
        """Groups working on any of the given causes (no causes: all of them)."""
        if not categories:
            return self
        # A correlated EXISTS rather than a join: no DISTINCT, any ordering still works, and a
        # scan in index order (nearest, or by name) stops as soon as it has enough rows.
        links = self.model.causes.through.objects.filter(
            organization_id=OuterRef("pk"), category__in=[c.pk for c in categories]
        )
        return self.filter(Exists(links))

    def matching(self, words):
        """Groups with every word (or a word starting with it) in their name, summary,
        description or city, through the full-text index of migration 0004.

        Rare words are looked up first: when at most WORDS_PROBE groups have them, the search
        goes on among those few, by id. Common words are a test of the rows each of the
        search's reads picks by its own index (SearchSQL; on SQLite their list of groups is made
        once, see _kept_words), while a count or a list without a place may read the words
        index. Both ways match the same groups.
        """
        tokens = WORD.findall(words.lower())[:MAX_WORDS]
        if not tokens:
            return self
        if self.db_vendor() == "postgresql":
            query = " & ".join(f"{token}:*" for token in tokens)
            # The words travel as a parameter; the SQL around them is a constant.
            test = Q(RawSQL(WORDS_TEST, [query], BooleanField()))  # noqa: S611
            # Unordered, so the scan stops at the first WORDS_PROBE + 1 rows (by name, it would
            # read and sort every group with the words first).
            probe = (
                self.model.objects.using(self.db)
                .filter(test)
                .order_by()
                .values_list("pk", flat=True)
            )
            # A plan costs a fraction of a millisecond; the look-up of a common word 3 to 8 ms
            # at 100,000 groups and 26 ms at a million (the GIN index reads every match of a
            # prefix before the limit applies).
            if estimated_rows(connections[self.db], *probe.query.sql_with_params()) > (
                WORDS_SURELY_COMMON
            ):
                return self.filter(test)
        else:
            query = " ".join(f'"{token}"*' for token in tokens)
            words = WORDS_LIST
            # `+id`: a test of each row the query's own index picks (the ring's points, a
            # block's names). As `id IN`, SQLite would read every matching group by its id
            # first: at a million groups, 87,000 rows for "tenant" in each query of a search.
            test = Q(
                RawSQL(  # noqa: S611 (constants, with the words as a parameter)
                    f"+{ORGANIZATION_ID} IN ({words})", [query], BooleanField()
                )
            )
            with connections[self.db].cursor() as cursor:
                cursor.execute(f"{words} LIMIT {WORDS_PROBE + 1}", [query])
                probe = [pk for (pk,) in cursor.fetchall()]
        few = list(probe[: WORDS_PROBE + 1])
        if len(few) <= WORDS_PROBE:
            return self.filter(pk__in=few)
        return self.filter(test)

    def db_vendor(self):
        return connections[self.db].vendor

    def speaking(self, language):
        """Groups that meet in the given language (a validated ISO code)."""
        if not language:
            return self
        return self.filter(languages__regex=rf"(^|,){language}(,|$)")

    def with_coverage(self, kinds):
        return self.filter(coverage__in=kinds) if kinds else self

    def in_box(self, latitude, longitude, miles, inside=None):
        """Groups whose public point is in the bounding box of a circle (and, with `inside`, not
        in the box of that smaller circle: a ring). Reads the search index only.
        """
        ring = self.filter(_box_q(latitude, longitude, miles))
        return ring.exclude(_box_q(latitude, longitude, inside)) if inside else ring

    def placed(self):
        """Local and regional groups: the ones a distance and a coverage radius apply to."""
        return self.filter(_q(PLACED), public_latitude__isnull=False)

    def statewide(self, state, country):
        return self.filter(_q(statewide_conditions(state, country)))

    def national(self, country):
        return self.filter(_q(national_conditions(country)))

    def online(self):
        return self.filter(_q(ONLINE))


def _q(conditions):
    return Q(
        **{
            f"{column}__in" if isinstance(value, tuple) else column: value
            for column, value in conditions.items()
        }
    )


def _box(latitude, longitude, miles):
    """The search index's view of a circle's bounding box: (south, north, bands), each band a
    (west, east, cells) range of longitudes, its cells None when there are too many to list."""
    south, north, west, east = bounding_box(latitude, longitude, miles)
    bands = []
    for low, high in longitude_ranges(west, east):
        band_cells = cells(low, high)
        bands.append((low, high, list(band_cells) if len(band_cells) <= MAX_CELLS else None))
    return south, north, bands


def _box_q(latitude, longitude, miles):
    south, north, bands = _box(latitude, longitude, miles)
    area = Q()
    for low, high, band_cells in bands:
        band = Q(public_longitude__gte=low, public_longitude__lte=high)
        if band_cells is not None:
            band &= Q(cell__in=band_cells)
        area |= band
    return Q(public_latitude__gte=south, public_latitude__lte=north) & area


def _box_sql(latitude, longitude, miles):
    """The same test as `_box_q`, as SQL over the columns of SearchSQL's derived table."""
    south, north, bands = _box(latitude, longitude, miles)
    params = [south, north]
    area = []
    for low, high, band_cells in bands:
        band = "(public_longitude >= %s AND public_longitude <= %s"
        params += [low, high]
        if band_cells is not None:
            band += f" AND cell IN ({', '.join(['%s'] * len(band_cells))})"
            params += band_cells
        area.append(band + ")")
    return f"public_latitude >= %s AND public_latitude <= %s AND ({' OR '.join(area)})", params


def _ring_sql(latitude, longitude, miles, inside=None, radii=None):
    """SearchSQL.points' tests of the point and the coverage radius, as SQL."""
    where, params = _box_sql(latitude, longitude, miles)
    where = f"public_latitude IS NOT NULL AND {where}"
    if inside:
        hole, hole_params = _box_sql(latitude, longitude, inside)
        where, params = f"{where} AND NOT ({hole})", params + hole_params
    low, high = radii or (None, None)
    if low is not None:
        where, params = f"{where} AND COALESCE(coverage_radius, 0) >= %s", [*params, low]
    if high is not None:
        where, params = f"{where} AND COALESCE(coverage_radius, 0) < %s", [*params, high]
    return where, params


def _where(conditions, unindexed=False):
    """Column tests as SQL over SearchSQL's derived table: {column: value or tuple of values}.

    `unindexed` writes each column as `column || ''`, which no index can answer: a planner
    without statistics (SQLite before its first ANALYZE) cannot then take an index on these
    columns over the one the query is meant to read.
    """
    parts, params = [], []
    for column, value in conditions.items():
        column = f"({column} || '')" if unindexed else column
        if isinstance(value, tuple):
            parts.append(f"{column} IN ({', '.join(['%s'] * len(value))})")
            params += value
        else:
            parts.append(f"{column} = %s")
            params.append(value)
    return " AND ".join(parts) or "1 = 1", params


# The blocks' definitions, as column tests: the queryset methods and SearchSQL both read them.
PLACED = {"coverage": ("local", "regional")}


def statewide_conditions(state, country):
    return {"coverage": "statewide", "state": state, "country": country or "US"}


def national_conditions(country):
    return {"coverage": "national", "country": country}


ONLINE = {"coverage": "online"}


class SearchSQL:
    """One search's filters (causes, words, language, kind) compiled to SQL once.

    Each read of the search (up to MAX_RINGS rings around the place, then the statewide,
    national and online blocks) adds only its own conditions to that SQL, as a derived table
    that both databases merge into one indexed scan (tests/test_indexes.py reads the plans).
    Compiling the same filters through the ORM for every read was most of a search's cost.
    """

    COLUMNS = (
        "pk",
        "public_latitude",
        "public_longitude",
        "coverage_radius",
        "cell",
        "coverage",
        "state",
        "country",
        "name",
    )

    def __init__(self, queryset, by_cause=None):
        """`by_cause`: (cause ids, kinds) when `queryset` is the published groups with any of
        these causes (and, if kinds are given, of these kinds) and nothing else: the rings then
        read CausePoint's index, which holds only groups with the cause."""
        self.by_cause = by_cause
        self.connection = connections[queryset.db]
        try:
            sql, params = queryset.order_by().values_list(*self.COLUMNS).query.sql_with_params()
        except EmptyResultSet:  # a filter that can match nothing
            sql, params = None, ()
        else:
            # Common words (see matching) are a test of the rows each read's own index picks,
            # as on SQLite: PostgreSQL would read every group with them from the GIN index
            # for each block (3.4 ms for "tenant" at 100,000 groups, ten times that at a
            # million), where the block's index, read in order, stops at its limit. And it is
            # the last test of a row: a ring's other tests (the inner ring, the radius) are
            # cheap and drop most rows, where reading a group's words is not (at a million
            # groups, one ring of "Chicago, IL" + "tenant": 106 ms to 32 ms).
            by_index = sql
            sql = sql.replace(WORDS_TEST, WORDS_TEST_OF_ROWS)
            if WORDS_LIST in sql:
                sql, params, self.kept_words = _kept_words(self.connection, sql, list(params))
                # `+id IN` tests each row; without the `+` SQLite reads the kept list first.
                by_index = sql.replace(f"+{ORGANIZATION_ID} IN (", f"{ORGANIZATION_ID} IN (")
            if by_index != sql:
                self.by_words = by_index
        self.sql, self.params = sql, tuple(params)

    # The same SQL reading the groups with common words from the words index (or the kept list),
    # or None when the words are rare or not asked for (see every_point).
    by_words = None

    kept_words = None  # SQLite: the (table, words) of a common word's groups (_kept_words)

    def _fetch(self, sql, params):
        try:
            return self._run(sql, params)
        except OperationalError:
            if not self.kept_words:
                raise
            # The kept list is gone if WORDS_KEPT newer ones were made since, or if the
            # transaction that made it was rolled back: made again, and the read once more.
            _keep_words(self.connection, *self.kept_words)
            return self._run(sql, params)

    def _run(self, sql, params):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def points(self, latitude, longitude, miles, inside=None, radii=None):
        """(pk, latitude, longitude, coverage radius) of the local and regional groups whose
        public point is in the box of a circle (and, with `inside`, not in that smaller one's).

        `radii` (low, high) keeps only groups whose coverage radius is at least `low` and less
        than `high` (either None for no bound; a missing radius counts as 0).
        """
        if self.sql is None:
            return []
        ring, ring_params = _ring_sql(latitude, longitude, miles, inside, radii)
        if self.by_cause:
            return self._cause_points(ring, ring_params)
        # The point index, whatever the database knows of its rows: without statistics SQLite
        # would read the (status, coverage) prefix of another index, a hundred times slower.
        where, params = _where(PLACED, unindexed=True)
        # The ORM's own SQL with its parameters kept apart; the rest is constants and numbers.
        sql = (
            "SELECT pk, public_latitude, public_longitude, coverage_radius "  # noqa: S608
            f"FROM ({self.sql}) AS placed WHERE {where} AND {ring}"
        )
        return self._fetch(sql, (*self.params, *params, *ring_params))

    def _cause_points(self, ring, ring_params):
        """The same, from CausePoint's index: only the groups with one of the causes."""
        from directory.models import CausePoint  # the models read this module

        causes, kinds = self.by_cause
        kinds = tuple(kind for kind in PLACED["coverage"] if not kinds or kind in kinds)
        if not kinds:
            return []
        where, params = _where({"category_id": tuple(causes), "status": "published"})
        # The kind is tested where the index has it (after the point), not as its prefix.
        kind, kind_params = _where({"coverage": kinds}, unindexed=True)
        # A group with two of the causes asked for is there twice.
        distinct = "DISTINCT " if len(causes) > 1 else ""
        sql = (
            f"SELECT {distinct}organization_id, public_latitude, public_longitude, "  # noqa: S608
            f"coverage_radius FROM {CausePoint._meta.db_table} WHERE {where} AND {kind} AND {ring}"
        )
        return self._fetch(sql, [*params, *kind_params, *ring_params])

    def every_point(self):
        """points() of every group with the (common) words, or None when more than
        WORDS_AT_ONCE groups have them (and then it read no more than that).

        Testing each row of a ring for the words pays for every group in the ring. Where those
        words are on a few thousand groups far from the place (say "brooklyn" around Berkeley)
        the rings widen across the continent: half a second at 100,000 groups. Read from the
        words' own index, the cost is the number of groups with the words instead.
        """
        if self.by_words is None:
            return None
        where, params = _where(PLACED, unindexed=True)
        sql = (
            "SELECT pk, public_latitude, public_longitude, coverage_radius "  # noqa: S608
            f"FROM ({self.by_words}) AS placed WHERE {where} "
            f"AND public_latitude IS NOT NULL LIMIT {WORDS_AT_ONCE + 1}"
        )
        params = (*self.params, *params)
        if self.connection.vendor == "postgresql" and self._estimate(sql, params) > WORDS_AT_ONCE:
            # PostgreSQL's statistics of the words say they are too many: not read in vain
            # (5,000 rows cost 17 ms, where its plan costs a fraction of one).
            return None
        rows = self._fetch(sql, params)
        return rows if len(rows) <= WORDS_AT_ONCE else None

    def _estimate(self, sql, params):
        return estimated_rows(self.connection, sql, params)

    def listed(self, blocks):
        """[pk, …] of each block, in name order: `blocks` are (conditions, depth) pairs, read by
        one UNION ALL of index-ordered, limited scans."""
        found = [[] for _block in blocks]
        if self.sql is None or not blocks:
            return found
        parts, params = [], []
        for number, (conditions, depth) in enumerate(blocks):
            where, where_params = _where(conditions)
            parts.append(
                f"SELECT * FROM (SELECT {number} AS block, pk FROM ({self.sql}) AS listed "  # noqa: S608
                f"WHERE {where} ORDER BY name, pk LIMIT {int(depth)}) AS block{number}"
            )
            params += [*self.params, *where_params]
        for number, pk in self._fetch(" UNION ALL ".join(parts), params):
            found[number].append(pk)
        return found


def estimated_rows(connection, sql, params):
    """How many rows PostgreSQL's planner expects the statement to return."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        ((plan,),) = cursor.fetchall()
    return plan[0]["Plan"]["Plan Rows"]


def _kept_words(connection, sql, params):
    """SQLite: (sql, params) reading a common word's groups from a table of the connection's
    own, and that table's (name, words); or the same sql and params, and None.

    SQLite lists the groups with the words again for each statement that tests them: 16 ms for
    "tenant" at a million groups, in each of a search's five or so. Kept in a temporary table
    (the connection's own, never written to the database file), each statement reads it by id
    as it stands. The table is named by the words, the directory's generation read through this
    connection, and the minute: an edit makes a new one, and so does a write that bypassed the
    generation, a minute later at most. A connection keeps the last WORDS_KEPT.
    """
    from directory import caching  # caching reads the models, which read this module

    if sql.count("%s") != len(params):  # a literal "%s" in the SQL: the words cannot be found
        return sql, params, None
    at = sql.index(WORDS_LIST)
    number = sql[:at].count("%s")
    words = params[number]
    generation = caching.generation(connection)
    minute = int(time.time() // 60)
    digest = hashlib.sha256(f"{generation} {minute} {words}".encode()).hexdigest()[:32]
    kept = (f"words_{digest}", words)
    _keep_words(connection, *kept)
    table = f"SELECT id FROM temp.{kept[0]}"  # noqa: S608 (a name made here)
    sql = sql[:at] + table + sql[at + len(WORDS_LIST) :]
    return sql, params[:number] + params[number + 1 :], kept


def _keep_words(connection, name, words):
    """Make the temporary table `name` of the groups with `words`, unless it is there."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM temp.sqlite_master WHERE type = 'table' AND name GLOB 'words_*' "
            "ORDER BY rowid"
        )
        kept = [found for (found,) in cursor.fetchall()]
        if name in kept:
            return
        for old in kept[: max(0, len(kept) - WORDS_KEPT + 1)]:
            cursor.execute(f"DROP TABLE temp.{old}")
        cursor.execute(f"CREATE TEMP TABLE {name} (id INTEGER PRIMARY KEY)")
        cursor.execute(f"INSERT INTO temp.{name} {WORDS_LIST}", [words])  # noqa: S608


class CategoryQuerySet(models.QuerySet):
    def with_counts(self):
        """Each cause with `group_count`, the number of published groups working on it."""
        # A GROUP BY query drops Meta.ordering, so the curators' order is asked for again.
        return self.annotate(
            group_count=Count("organizations", filter=Q(organizations__status="published"))
        ).order_by(*self.model._meta.ordering)
