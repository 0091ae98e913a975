""" "Who covers me": turn a place, a radius and a filtered queryset into labelled result blocks.

Every block is read by SQL with its own limit, so a search costs the same in a directory of a
thousand groups and of a million:

- groups with a point are read ring by ring from the search index, as light rows (id, public
  point, coverage radius), each ring as wide as the density seen so far says is needed; exact
  distances are computed on those few rows and the rings stop as soon as the nearest `need` of
  each block are known. A dense city stops
  at a small ring, an empty county at a large one, and neither reads the rest of the country;
- statewide, national and online groups are read in name order from their own indexes, `need`
  rows each, in one query;
- then one query fetches the rows shown, and one their causes.

Totals are exact up to `SEARCH_COUNT_CAP` and shown as "50+" beyond it. Distances are measured to
each group's public point only, so no answer depends on a private address.
"""

import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from directory.geo import box_reach, haversine_miles
from directory.models import COVERAGE_RADIUS_MAX, Category, Organization
from directory.queries import ONLINE, SearchSQL, national_conditions, statewide_conditions

# When nothing is within the radius, try these in turn (miles), then fall back to the nearest.
WIDENING_STEPS = (50, 100, 250, 500, 1000, 3000)
NEAREST_FALLBACK = 10
# The rings read around a place: the first one's radius in miles, then how much each may grow on
# the last (see RingSearch._next_ring). Each reads only what the previous ones did not.
FIRST_RING = 1
RING_GROWTH = (1.5, 4)
RING_BUDGET = 4
# At most this many rings per search (then the radius grows faster): a bound on its queries.
MAX_RINGS = 6
EVERYWHERE = 20_000  # miles: more than half the earth's circumference
# A ring wider than this (miles), of a search for common words, is read as every group with the
# words instead, when they are few enough (queries.SearchSQL.every_point).
WIDE_RING = 50
BLOCK_KEYS = ("covering", "nearby", "statewide", "national", "online")


@dataclass(slots=True)
class Result:
    """One group in a block, with why it is shown and how far it is."""

    organization: object
    reason: str
    distance: float | None = None


@dataclass(slots=True)
class Block:
    key: str
    title: str
    results: list = field(default_factory=list)
    # How many groups the block holds, counted up to the cap; `capped` means "at least".
    total: int = 0
    capped: bool = False

    @property
    def more(self):
        """Whether the block holds groups beyond those shown."""
        return self.total > len(self.results)


@dataclass(slots=True)
class Outcome:
    """Everything a page, the API or the widget needs to show a search."""

    place: object = None
    radius: int = 0
    requested_radius: int = 0
    widened: bool = False
    nearest_only: bool = False
    blocks: list = field(default_factory=list)

    @property
    def total(self):
        return sum(block.total for block in self.blocks)

    @property
    def capped(self):
        return any(block.capped for block in self.blocks)

    @property
    def results(self):
        return [result for block in self.blocks for result in block.results]

    @property
    def notice(self):
        """The sentence that explains a widened search, or ""."""
        if self.nearest_only:
            return _(
                "No groups for this search within %(radius)s miles of %(place)s. "
                "These are the nearest ones."
            ) % {"radius": self.requested_radius, "place": self.place.label}
        if self.widened:
            return _(
                "No groups within %(requested)s miles of %(place)s, so we widened the search "
                "to %(radius)s miles."
            ) % {
                "requested": self.requested_radius,
                "radius": self.radius,
                "place": self.place.label,
            }
        return ""


@dataclass(slots=True, order=True)
class Nearby:
    """A light row of the ring search: enough to rank and to test coverage."""

    distance: float
    pk: int
    coverage_radius: int = field(compare=False, default=0)

    @property
    def covers(self):
        return self.distance <= self.coverage_radius


def limits(limit=None, show=None):
    """{block key: how many rows to show}: `limit` each, and more of the block asked for."""
    limit = limit or settings.SEARCH_BLOCK_LIMIT
    return {key: settings.SEARCH_BLOCK_MAX if key == show else limit for key in BLOCK_KEYS}


def who_covers(queryset, place, radius, shown=None, window=None, by_cause=None):
    """Search `queryset` (already filtered by cause, words, language) around `place`.

    `by_cause` (cause ids, kinds) says that those are the queryset's only filters, so its rings
    can read the index of groups by cause (queries.SearchSQL)."""
    shown = shown or limits()
    cap = settings.SEARCH_COUNT_CAP
    need = max(cap, *shown.values()) + 1
    outcome = Outcome(place=place, radius=radius, requested_radius=radius)

    sql = SearchSQL(queryset, by_cause)
    ring = RingSearch(queryset, place, sql)
    covering, nearby = ring.around(radius, need)
    if not covering and not nearby:
        step = ring.widen(radius)
        if step:
            outcome.radius, outcome.widened = step, True
            covering, nearby = ring.around(step, need)
    nearest_only = not covering and not nearby
    if nearest_only:
        nearby = ring.nearest(NEAREST_FALLBACK)
        outcome.nearest_only = bool(nearby)

    blocks = [
        _ring_block(
            "covering",
            _("Groups that cover %(place)s") % {"place": place.label},
            covering,
            shown["covering"],
            cap,
            _covers_reason,
        ),
        _ring_block(
            "nearby",
            _("Nearest groups")
            if nearest_only
            else _("Other groups within %(radius)s miles") % {"radius": outcome.radius},
            nearby,
            shown["nearby"],
            cap,
            lambda org, row: (
                _("Nearest match")
                if nearest_only
                else _("Within %(radius)s miles") % {"radius": outcome.radius}
            ),
        ),
    ]
    beyond = []
    if place.state:
        beyond.append(
            (
                "statewide",
                _("Statewide groups"),
                statewide_conditions(place.state, place.country),
                lambda org: _("Works across %(state)s") % {"state": org.state},
            )
        )
    if place.country:
        beyond.append(
            (
                "national",
                _("National groups"),
                national_conditions(place.country),
                lambda org: _("Works nationwide"),
            )
        )
    beyond.append(("online", _("Online groups"), ONLINE, lambda org: _("Meets online")))
    blocks += _listed_blocks(sql, beyond, shown, cap)
    outcome.blocks = [block for block in blocks if block.total]
    if not outcome.blocks:
        # Only groups elsewhere match (say, a national group of another country): show them
        # rather than an empty page.
        outcome.blocks = without_place(queryset, True, shown, window).blocks
        return outcome
    _fill(outcome.blocks, place, window)
    return outcome


def without_place(queryset, everywhere=False, shown=None, window=None):
    """No place given: the groups that can be joined from anywhere (or, last, any group at all)."""
    shown = shown or limits()
    specs = [
        (
            "national",
            _("National groups"),
            {"coverage": "national"},
            lambda org: _("Works nationwide"),
        ),
        ("online", _("Online groups"), ONLINE, lambda org: _("Meets online")),
    ]
    if everywhere:
        specs.append(
            (
                "elsewhere",
                _("Other groups"),
                {"coverage": ("statewide", "regional", "local")},
                lambda org: _("The only groups that match"),
            )
        )
    blocks = _listed_blocks(SearchSQL(queryset), specs, shown, settings.SEARCH_COUNT_CAP)
    outcome = Outcome(blocks=[block for block in blocks if block.total])
    _fill(outcome.blocks, None, window)
    return outcome


class RingSearch:
    """The groups with a point around a place, read ring by ring and remembered.

    After reading out to `r` miles every group within `r` miles is known with its exact
    distance, so a block is complete once it has enough rows closer than the rings read, or the
    rings have reached every group it could hold.
    """

    def __init__(self, queryset, place, sql=None):
        self.sql = sql or SearchSQL(queryset)
        self.place = place
        self.read = 0  # miles: every group within this distance is in self.rows
        self.rows = []  # Nearby, unsorted
        self.rings = 0
        self.exact = True  # whether self.rows holds every group read (see around)
        self.everything = None  # None: not tried; True: self.rows holds every group it could

    def _read_to(self, miles, radii=None):
        lat, lng = self.place.latitude, self.place.longitude
        if self.everything:
            return
        if miles > WIDE_RING and self.everything is None:
            rows = self.sql.every_point()
            self.everything = rows is not None
            if self.everything:
                self.rows, self.read, self.exact = [], EVERYWHERE, True
                miles = EVERYWHERE
        if not self.everything:
            rows = self.sql.points(lat, lng, miles, inside=self.read or None, radii=radii)
        self.rows += [
            Nearby(haversine_miles(lat, lng, plat, plng), pk, radius or 0)
            for pk, plat, plng, radius in rows
        ]
        self.read = miles
        self.rings += 1

    def around(self, radius, need):
        """(covering, nearby): rows covering the place, and the others within `radius`, each
        nearest first and complete up to `need` rows."""
        farthest = max(radius, COVERAGE_RADIUS_MAX)
        while self.read < farthest:
            known = [row for row in self.rows if row.distance <= self.read]
            covering = sum(1 for row in known if row.covers)
            nearby = len(known) - covering
            # (rows found, how far they can be) of each block still short of `need`.
            wanted = []
            if self.read < COVERAGE_RADIUS_MAX and covering < need:
                wanted.append((covering, COVERAGE_RADIUS_MAX))
            if self.read < radius and nearby < need:
                wanted.append((nearby, radius))
            if not wanted:
                break
            found, stops = min(wanted)[0], [stop for _found, stop in wanted]
            ring = self._next_ring(found, need, *stops)
            # A block with `need` rows nearer than the rings read shows and counts none beyond
            # them: the next ring reads only the groups the other block may hold. Nearby ones
            # are farther than their radius, so it is less than the ring box's reach; covering
            # ones are farther than the rings read, so their radius is more. (self.rows is then
            # no longer every group read, and `around` the only use this search may have.)
            reach = covering >= need and box_reach(self.place.latitude, self.place.longitude, ring)
            if reach:
                self._read_to(ring, radii=(None, reach))
                self.exact = False
            elif nearby >= need or self.read >= radius:
                self._read_to(ring, radii=(self.read, None))
                self.exact = False
            else:
                self._read_to(ring)
        covering = sorted(row for row in self.rows if row.covers)
        nearby = sorted(row for row in self.rows if not row.covers and row.distance <= radius)
        if need == math.inf:
            return covering, nearby
        return covering[:need], nearby[:need]

    def _next_ring(self, found, need, *stops):
        """How far to read next: as far as the density seen so far says `need` rows lie.

        Rows grow with the area, so the radius grows with the square root of what is missing,
        by a factor between RING_GROWTH's bounds. A dense city stops within a ring or two of
        its first, so the rows read stay near `need` whatever the size of the directory.
        """
        stops = [stop for stop in stops if stop > self.read]
        if not self.read:
            return min(FIRST_RING, *stops)
        low, high = RING_GROWTH
        farthest = max(stops)
        left = MAX_RINGS - self.rings
        if left <= 1:
            return farthest
        # Fast enough to reach the farthest stop within the rings left.
        low = max(low, (farthest / self.read) ** (1 / left))
        if need == math.inf:
            wish = high
        else:
            # Never much more than RING_BUDGET times `need` new rows, by the density so far:
            # the block may be rare among them (nearby groups, where the nearest all cover).
            wish = math.sqrt(1 + RING_BUDGET * need / max(len(self.rows), 1))
            if found:
                wish = min(wish, math.sqrt(need / found) * 1.25)
        ring = self.read * min(max(wish, low), max(high, low))
        return min(ring, *stops)

    def within(self, miles):
        """Every group within `miles`, nearest first."""
        self._every_row_read()
        if miles > self.read:
            self._read_to(miles)
        return sorted(row for row in self.rows if row.distance <= miles)

    def widen(self, radius):
        """The first widening step with a group in it, or None."""
        self._every_row_read()
        for step in (s for s in WIDENING_STEPS if s > radius):
            if step > self.read:
                self._read_to(step)
            if any(row.distance <= step for row in self.rows):
                return step
        return None

    def nearest(self, count):
        """The nearest groups at any distance: the last resort, so never an empty page."""
        self._every_row_read()
        if self.read < EVERYWHERE:
            self._read_to(EVERYWHERE)
        return sorted(self.rows)[:count]

    def _every_row_read(self):
        """After an `around` that read only what its blocks needed, start again from nothing
        (a search that found nothing near: the rare case, and its rings were cheap)."""
        if not self.exact and not self.everything:
            self.rows, self.read, self.exact = [], 0, True


def _ring_block(key, title, rows, limit, cap, reason):
    block = Block(key, title, total=min(len(rows), cap), capped=len(rows) > cap)
    # The reason needs the row and the organization: kept until _fill has both.
    block.results = [_Pending(row, reason) for row in rows[:limit]]
    return block


def _listed_blocks(sql, specs, shown, cap):
    """Blocks read in name order, each `max(cap, shown) + 1` rows deep, in one query.

    `specs` are (key, title, conditions, reason) tuples; SearchSQL.listed reads each block from
    its own limited, index-ordered scan.
    """
    found_lists = sql.listed(
        [
            (conditions, max(cap, shown.get(key, settings.SEARCH_BLOCK_LIMIT)) + 1)
            for key, _title, conditions, _reason in specs
        ]
    )
    blocks = []
    for (key, title, _conditions, reason), found in zip(specs, found_lists, strict=True):
        block = Block(key, title, total=min(len(found), cap), capped=len(found) > cap)
        limit = shown.get(key, settings.SEARCH_BLOCK_LIMIT)
        block.results = [
            _Pending(Nearby(None, pk), lambda org, row, r=reason: r(org)) for pk in found[:limit]
        ]
        blocks.append(block)
    return blocks


@dataclass(slots=True)
class _Pending:
    row: Nearby
    reason: object


def _fill(blocks, place, window=None):
    """Replace each block's pending rows with Results: one query for the rows, one for causes.

    With a `window` (start, stop) over the rows of all blocks in order, only those are fetched
    (the API's page); the blocks keep their totals.
    """
    if window is not None:
        start, stop = window
        offset = 0
        for block in blocks:
            block.results = [
                pending
                for index, pending in enumerate(block.results, offset)
                if start <= index < stop
            ]
            offset += block.total
    pks = {pending.row.pk for block in blocks for pending in block.results}
    # Each next event from a group's own calendar comes in the same query (a join).
    orgs = Organization.objects.select_related("next_event").in_bulk(pks)
    attach_causes(orgs.values())
    for block in blocks:
        results = []
        for pending in block.results:
            org = orgs[pending.row.pk]
            distance = pending.row.distance
            if distance is None and place is not None and org.is_placed:
                distance = haversine_miles(
                    place.latitude, place.longitude, org.public_latitude, org.public_longitude
                )
            results.append(Result(org, pending.reason(org, pending.row), distance))
        block.results = results


def _covers_reason(org, row):
    if org.coverage == "regional":
        return ngettext(
            "Regional group covering %(radius)s mile around its base",
            "Regional group covering %(radius)s miles around its base",
            org.coverage_radius,
        ) % {"radius": org.coverage_radius}
    return ngettext(
        "Local group covering %(radius)s mile around its base",
        "Local group covering %(radius)s miles around its base",
        org.coverage_radius,
    ) % {"radius": org.coverage_radius}


def attach_causes(orgs):
    """Give each group its causes, as `prefetch_related("causes")` would (so `org.causes.all()`
    reads no more), in one query and one object per cause however many groups share it."""
    orgs = list(orgs)
    links = {org.pk: [] for org in orgs}
    causes = {}
    rows = Category.objects.filter(organizations__in=list(links)).annotate(
        linked=F("organizations__id")
    )
    for cause in rows:  # in the curators' order (Category.Meta.ordering)
        links[cause.linked].append(causes.setdefault(cause.pk, cause))
    for org in orgs:
        # A plain QuerySet: the translating manager's own costs more than the rest of this.
        kept = QuerySet(Category)
        kept._result_cache, kept._prefetch_done = links[org.pk], True
        org._prefetched_objects_cache = {
            **getattr(org, "_prefetched_objects_cache", {}),
            "causes": kept,
        }
