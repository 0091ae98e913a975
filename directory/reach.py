"""How a search reads when the nearest local group is beyond reach: joinable groups first.

The block search (directory/search.py) answers "who is nearest"; this decides what a reader can
actually join. When no group covers the place and the nearest local one is farther than
SEARCH_FAR_MILES, the page says so plainly, leads with the groups joinable from anywhere
(statewide, national, online), then the far local ones, and invites the reader to suggest a
group or to be told when one is listed. Presentation only: the outcome's blocks are reordered
in a copy, never in the (cached) outcome itself.
"""

import dataclasses
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings

# Blocks a reader can join from anywhere in the place's state or country, in the order shown.
JOINABLE = ("statewide", "national", "online")


@dataclass(frozen=True, slots=True)
class Far:
    """A search whose nearest local group is beyond reach."""

    place: object
    # Miles to the nearest local group shown, or None when no local group matches at all.
    nearest: float | None

    @property
    def town(self):
        """The place's own name, for "No local group near Absarokee yet"."""
        return _town(self.place)

    @property
    def suggest_query(self):
        """The suggest form's query string, prefilled with the place."""
        return urlencode(suggest_prefill(self.place))


def far_from_everyone(outcome, miles=None):
    """A Far when the outcome has a place, nothing covers it and nothing local is within
    `miles` (SEARCH_FAR_MILES); else None."""
    if outcome is None or outcome.place is None:
        return None
    miles = settings.SEARCH_FAR_MILES if miles is None else miles
    blocks = {block.key: block for block in outcome.blocks}
    if "covering" in blocks:
        return None
    distances = [
        result.distance
        for key in ("nearby", "elsewhere")
        for result in getattr(blocks.get(key), "results", ())
        if result.distance is not None
    ]
    nearest = min(distances) if distances else None
    if nearest is not None and nearest <= miles:
        return None
    return Far(outcome.place, nearest)


def joinable_first(outcome):
    """A copy of the outcome with the blocks joinable from anywhere first, then the others,
    each block keeping its own order (nearest first, or by name)."""
    first = [block for block in outcome.blocks if block.key in JOINABLE]
    rest = [block for block in outcome.blocks if block.key not in JOINABLE]
    return dataclasses.replace(outcome, blocks=first + rest)


def suggest_prefill(place):
    """The suggest form's fields for a place: its town, state, ZIP and country."""
    query = {"city": _town(place) if place.country else "", "country": place.country}
    if place.state:
        query["state"] = place.state
    if place.postal_code:
        query["postal_code"] = place.postal_code
    return {key: value for key, value in query.items() if value}


def _town(place):
    # "Absarokee, MT 59001" and "Berkeley, CA" name their town first; a bare point far from
    # any known place is labelled by its coordinates, which have no town to name.
    if not place.country:
        return place.label
    return place.label.split(",")[0].strip()
