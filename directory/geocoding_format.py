"""The offline geocoder's lookup file: its layout, its text-folding rules, reading and writing it.

Both sides use this module: directory.geocoding_build makes the keys with these rules and writes
the file; directory.geocoding reads it and folds queries with the same rules. Changing the rules
or the layout means bumping FORMAT_VERSION, which makes every older file stale.
"""

from __future__ import annotations

import os
import pickle
import re
import tempfile
import unicodedata
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field, fields
from pathlib import Path

FORMAT_VERSION = 1

# Coordinates are stored as integers of 1e-5 degree (GeoNames' own precision, about a metre).
COORD_SCALE = 100_000
# The reverse-geocoding grid: cells of 0.1 degree (7 miles of latitude), keyed by one integer.
GRID_CELL = COORD_SCALE // 10
GRID_COLUMNS = 360 * COORD_SCALE // GRID_CELL
STATE, COUNTRY = 0, 1  # the kinds of region a qualifier ("CA", "France") can name

# region_tops keeps at most this many places per state or country, best first.
REGION_TOP = 5


# Letters NFKD doesn't split into a base letter and an accent.
_TRANSLITERATE = str.maketrans("øØłŁđĐðıħ", "oOlLdDdih") | str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th"}
)
_APOSTROPHES = re.compile(r"['`]")
_INITIALS = re.compile(r"\b([a-z])\.(?=[a-z]\b)")  # "d.c." -> "dc.", "u.s.a." -> "usa."
_WORDS = re.compile(r"[a-z0-9]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount", "pt": "point"}
_DIRECTIONS = {"n": "north", "s": "south", "e": "east", "w": "west"}


def fold_tokens(text: str) -> list[str]:
    """Split text into lower-case ASCII words, with accents, case and punctuation folded away."""
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    # Dropping what is not ASCII removes the combining accents NFKD split off ("é" -> "e").
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    text = _INITIALS.sub(r"\1", _APOSTROPHES.sub("", text))
    return _WORDS.findall(text)


def _without_article(words: list[str]) -> list[str]:
    # "The Bronx" (GeoNames) is "Bronx" (USPS); "The Hague" is typed both ways.
    return words[1:] if len(words) > 1 and words[0] == "the" else words


def city_key(tokens: list[str], *, expand_last: bool = True) -> str:
    """The lookup key of a place name: abbreviations expanded, words joined without spaces.

    Joining makes "Mc Lean" (USPS) and "McLean" (GeoNames) one key. Autocomplete passes
    expand_last=False because the last word may still be half-typed ("St" of "Stockton").
    """
    words = [_ABBREVIATIONS.get(word, word) for word in tokens]
    if tokens and not expand_last:
        words[-1] = tokens[-1]
    if len(words) > 1 and words[0] in _DIRECTIONS:
        words[0] = _DIRECTIONS[words[0]]
    return "".join(_without_article(words))


def qualifier_key(tokens: list[str]) -> str:
    """The lookup key of a state or country; never abbreviation-expanded ("MT" is Montana)."""
    return "".join(_without_article(tokens))


# --- The lookup's layout. ---


@dataclass(frozen=True, slots=True)
class Lookup:
    """Everything the geocoder needs, read-only once loaded. Place ids rank by population."""

    states: tuple[str, ...]  # index 0 is "": not in a US state
    countries: tuple[str, ...]  # index 0 is "": unknown
    country_names: tuple[str, ...]
    state_words: tuple[tuple[str, ...], ...]  # qualifier keys naming each state ("ca", ...)
    country_words: tuple[tuple[str, ...], ...]
    qualifiers: dict[str, tuple[tuple[int, int], ...]]  # key -> ((kind, index), ...), state first
    names: tuple[str, ...]
    latitudes: array  # "i", COORD_SCALE units
    longitudes: array
    state: array  # "H", index into states
    country: array  # "H", index into countries
    population: array  # "I"
    keys: tuple[str, ...]  # sorted primary names
    key_offsets: array  # "I": ids of keys[k] are key_ids[key_offsets[k]:key_offsets[k + 1]]
    key_ids: array  # "I"
    alternate_names: dict[str, int]  # "bombay" -> Mumbai's id; not offered by autocomplete
    prefix_tops: dict[str, tuple[int, ...]]
    region_tops: dict[tuple[int, int], tuple[int, ...]]
    fuzzy_pools: dict[str | tuple[int, int], tuple[str, ...]]  # first letter or region -> keys
    grid: dict[int, tuple[int, ...]]  # grid cell -> place ids
    zips: tuple[str, ...]  # sorted 5-digit codes
    zip_latitudes: array
    zip_longitudes: array
    zip_city: array  # "H", index into zip_city_names
    zip_city_names: tuple[str, ...]
    zip_state: array
    zip_country: array
    zip_standard: bytes  # 1 for a STANDARD (street delivery) ZIP code, 0 for PO box or unique
    meta: dict = field(default_factory=dict)

    def ids_for(self, key: str) -> array:
        """Ids of the places named key, most populous first; else of a big city also so named."""
        k = bisect_left(self.keys, key)
        if k < len(self.keys) and self.keys[k] == key:
            return self.key_ids[self.key_offsets[k] : self.key_offsets[k + 1]]
        alternate = self.alternate_names.get(key)
        return self.key_ids[0:0] if alternate is None else array("I", (alternate,))

    def key_range(self, prefix: str) -> tuple[int, int]:
        """The slice of keys starting with prefix."""
        lo = bisect_left(self.keys, prefix)
        return lo, bisect_left(self.keys, prefix + "\x7f", lo)


def grid_cell(latitude: int, longitude: int) -> tuple[int, int]:
    """Row and column of the grid cell holding a point given in COORD_SCALE units."""
    row = (latitude + 90 * COORD_SCALE) // GRID_CELL
    column = (longitude + 180 * COORD_SCALE) // GRID_CELL % GRID_COLUMNS
    return row, column


def grid_code(row: int, column: int) -> int:
    """The grid dict's key for a cell; columns wrap around the antimeridian."""
    return row * GRID_COLUMNS + column % GRID_COLUMNS


# --- Reading and writing the file. ---


class _LookupUnpickler(pickle.Unpickler):
    """Unpickle builtin containers and arrays only: the file is data, so it may never run code."""

    _ALLOWED = {("array", "_array_reconstructor"), ("array", "array")}

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a geocoder file")


class StaleLookup(Exception):
    """The file was written by another FORMAT_VERSION."""


def read_meta(path: Path) -> dict | None:
    """The header of a lookup file (format, source versions), or None if it can't be read."""
    try:
        with open(path, "rb") as f:
            meta = _LookupUnpickler(f).load()
    except Exception:  # unpickling garbage can raise almost anything; all mean "unreadable"
        return None
    return meta if isinstance(meta, dict) else None


def read(path: Path) -> Lookup:
    """Load a lookup file; raises StaleLookup if from another format, OSError and the like."""
    with open(path, "rb") as f:
        meta = _LookupUnpickler(f).load()
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
            raise StaleLookup(f"{path} is not in geocoder format {FORMAT_VERSION}")
        # The data is a second pickle, with its own memo: a fresh unpickler reads it.
        return Lookup(**_LookupUnpickler(f).load(), meta=meta)


def write(path: Path, lookup: Lookup) -> None:
    """Write a lookup atomically: readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {f.name: getattr(lookup, f.name) for f in fields(lookup) if f.name != "meta"}
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            # The header comes first and alone, so read_meta() needn't load the whole file.
            pickle.dump(lookup.meta, f, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes it private; the web server's user must read it
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
