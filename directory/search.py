""" "Who covers me": turn a place, a radius and a filtered queryset into labelled result blocks.

The candidates come from indexed bounding-box queries; exact distances are then computed in Python
on those few rows, the way a "nearest" lookup is cheapest: a coarse query, then an exact sort.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F, prefetch_related_objects
from django.db.models.functions import Abs
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from directory.maps import distance_miles
from directory.models import COVERAGE_RADIUS_MAX, Organization

# When nothing is within the radius, try these in turn (miles), then fall back to the nearest.
WIDENING_STEPS = (50, 100, 250, 500, 1000, 3000)
NEAREST_FALLBACK = 10


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
    total: int = 0


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


def who_covers(queryset, place, radius):
    """Search `queryset` (already filtered by cause, words, language) around `place`."""
    limit = settings.SEARCH_BLOCK_LIMIT
    outcome = Outcome(place=place, radius=radius, requested_radius=radius)
    covering, nearby = _placed_around(queryset, place, radius)
    for step in (s for s in WIDENING_STEPS if s > radius):
        if covering or nearby:
            break
        outcome.radius, outcome.widened = step, True
        covering, nearby = _placed_around(queryset, place, step)
    if not covering and not nearby:
        outcome.radius, outcome.widened = radius, False
        nearby = _nearest(queryset, place)
        outcome.nearest_only = bool(nearby)

    statewide, national, online = _beyond(queryset, place)
    blocks = [
        Block("covering", _("Groups that cover %(place)s") % {"place": place.label}, covering),
        Block(
            "nearby",
            _("Nearest groups")
            if outcome.nearest_only
            else _("Other groups within %(radius)s miles") % {"radius": outcome.radius},
            nearby,
        ),
        Block("statewide", _("Statewide groups"), statewide),
        Block("national", _("National groups"), national),
        Block("online", _("Online groups"), online),
    ]
    for block in blocks:
        block.total = len(block.results)
        del block.results[limit:]
    outcome.blocks = [block for block in blocks if block.results]
    if not outcome.blocks:
        # Only groups elsewhere match (say, a national group of another country): show them
        # rather than an empty page.
        outcome.blocks = without_place(queryset, everywhere=True).blocks
        return outcome
    prefetch_related_objects([r.organization for r in outcome.results], "causes")
    return outcome


def without_place(queryset, everywhere=False):
    """No place given: the groups that can be joined from anywhere (or, last, any group at all)."""
    limit = settings.SEARCH_BLOCK_LIMIT
    kinds = ["national", "online"] + (["statewide", "regional", "local"] if everywhere else [])
    blocks = {
        "national": Block("national", _("National groups")),
        "online": Block("online", _("Online groups")),
        "elsewhere": Block("elsewhere", _("Other groups")),
    }
    # Bounded: this is a fallback, and a page shows `limit` a block anyway.
    for org in queryset.filter(coverage__in=kinds).order_by(Organization.staleness(), "name")[
        : limit * 10
    ]:
        if org.coverage == "national":
            blocks["national"].results.append(Result(org, _("Works nationwide")))
        elif org.coverage == "online":
            blocks["online"].results.append(Result(org, _("Meets online")))
        else:
            blocks["elsewhere"].results.append(Result(org, _("The only groups that match")))
    blocks = list(blocks.values())
    for block in blocks:
        block.total = len(block.results)
        del block.results[limit:]
    outcome = Outcome(blocks=[block for block in blocks if block.results])
    prefetch_related_objects([r.organization for r in outcome.results], "causes")
    return outcome


def _placed_around(queryset, place, radius):
    """Local and regional groups whose area covers the place, then the others within `radius`."""
    placed = queryset.placed()
    candidates = {org.pk: org for org in placed.in_box(place.latitude, place.longitude, radius)}
    if radius < COVERAGE_RADIUS_MAX:
        # A regional group's area can reach the place from farther away than the radius.
        wide = placed.filter(coverage_radius__gt=radius).in_box(
            place.latitude, place.longitude, COVERAGE_RADIUS_MAX
        )
        candidates.update((org.pk, org) for org in wide)

    covering, nearby = [], []
    for org in candidates.values():
        distance = distance_miles(place, org)
        if distance <= org.coverage_radius:
            covering.append(Result(org, _covers_reason(org, distance), distance))
        elif distance <= radius:
            nearby.append(Result(org, _("Within %(radius)s miles") % {"radius": radius}, distance))
    return _by_distance(covering), _by_distance(nearby)


def _nearest(queryset, place):
    """The nearest placed groups at any distance: the last resort, so never an empty page."""
    # A distance in degrees needs no trigonometry in SQL and ranks candidates well enough to
    # pick a few times more than needed; the exact distance then sorts those alone.
    orgs = queryset.placed().order_by(
        Abs(F("latitude") - place.latitude) + Abs(F("longitude") - place.longitude)
    )[: NEAREST_FALLBACK * 3]
    results = [
        Result(
            org,
            _("Nearest match"),
            distance_miles(place, org),
        )
        for org in orgs
    ]
    return _by_distance(results)[:NEAREST_FALLBACK]


def _beyond(queryset, place):
    """Statewide, national and online groups for the place, in one query."""
    statewide, national, online = [], [], []
    for org in queryset.beyond_place(place.state, place.country).order_by(
        Organization.staleness(), "name"
    ):
        if org.coverage == "statewide":
            distance = distance_miles(place, org) if org.has_point else None
            statewide.append(
                Result(org, _("Works across %(state)s") % {"state": org.state}, distance)
            )
        elif org.coverage == "national":
            national.append(Result(org, _("Works nationwide")))
        else:
            online.append(Result(org, _("Meets online")))
    return statewide, national, online


def _covers_reason(org, distance):
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


def _by_distance(results):
    # Entries unconfirmed past the stale threshold come after the confirmed ones of their block.
    return sorted(results, key=lambda r: (r.organization.is_stale, r.distance, r.organization.name))
