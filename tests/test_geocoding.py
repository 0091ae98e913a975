"""The offline geocoder: what a reader typing a place gets back, and the build command."""

import contextlib
import dataclasses
import io
import math
import os
import pickle
import shutil
import sys
import threading
import types

import pytest
from django.core.management import call_command
from django.test import override_settings

from directory import geo, geocoding, geocoding_build, geocoding_format
from directory.geocoding import (
    Place,
    PlaceNotFound,
    geocode,
    haversine_miles,
    reverse,
    state_at,
    suggest,
)

BERKELEY = (37.8716, -122.2727)
PARIS = (48.8566, 2.3522)
MID_PACIFIC = (0.0, -150.0)


def labels(places):
    return [place.label for place in places]


# --- ZIP codes. ---


@pytest.mark.parametrize("text", ["94704", "94704-1234", "94704 1234", "947041234", " 94704 "])
def test_zip_code_gives_its_town_and_centre(text):
    place = geocode(text)
    assert place.label == "Berkeley, CA 94704"
    assert (place.precision, place.state, place.country, place.postal_code) == (
        "zip",
        "CA",
        "US",
        "94704",
    )
    assert place.latitude == pytest.approx(37.87, abs=0.02)
    assert place.longitude == pytest.approx(-122.26, abs=0.02)


@pytest.mark.parametrize("text", ["00000", "99999", "00000-0000"])
def test_unknown_zip_code_says_so(text):
    with pytest.raises(PlaceNotFound) as caught:
        geocode(text)
    assert f"ZIP code {text[:5]}" in caught.value.message


@pytest.mark.parametrize("text", ["9470", "947", "123456"])
def test_wrong_number_of_digits_is_not_a_zip_code(text):
    with pytest.raises(PlaceNotFound) as caught:
        geocode(text)
    assert "five digits" in caught.value.message


def test_short_zip_code_suggests_the_zip_codes_it_starts():
    with pytest.raises(PlaceNotFound) as caught:
        geocode("9470")
    assert "Berkeley, CA 94704" in labels(caught.value.suggestions)


# --- Place names. ---


@pytest.mark.parametrize(
    "text, label",
    [
        ("Oakland, CA", "Oakland, CA"),
        ("oakland ca", "Oakland, CA"),
        ("OAKLAND,   ca", "Oakland, CA"),
        ("Oakland, California", "Oakland, CA"),
        ("Oakland California", "Oakland, CA"),
        ("Oakland, CA, USA", "Oakland, CA"),
        ("St. Louis, MO", "St. Louis, MO"),
        ("Saint Louis", "St. Louis, MO"),
        ("St Louis MO", "St. Louis, MO"),
        ("Ft Worth, TX", "Fort Worth, TX"),
        ("Ft. Worth", "Fort Worth, TX"),
        ("Mt Vernon, NY", "Mount Vernon, NY"),
        ("San José, CA", "San Jose, CA"),
        ("San Jose, CA", "San Jose, CA"),
        ("N. Las Vegas, NV", "North Las Vegas, NV"),
        ("Mc Lean, VA", "McLean, VA"),
        ("Washington, D.C.", "Washington, DC"),
        ("Washington", "Washington, DC"),
        ("New York", "New York City, NY"),
        ("Brooklyn, NY", "Brooklyn, NY"),
        ("Billings MT", "Billings, MT"),  # "MT" is Montana here, not "Mount"
        ("Columbia, South Carolina", "Columbia, SC"),
        ("San Juan, Puerto Rico", "San Juan, PR"),
    ],
)
def test_us_place_names(text, label):
    place = geocode(text)
    assert place.label == label
    assert (place.precision, place.country, place.postal_code) == ("city", "US", "")
    assert place.state == label.rsplit(", ", 1)[1]


@pytest.mark.parametrize(
    "text, state",
    [
        ("Springfield", "MO"),  # the most populous Springfield
        ("Springfield, IL", "IL"),
        ("Springfield, Illinois", "IL"),
        ("springfield il", "IL"),
        ("Springfield, MA", "MA"),
        ("Paris, TX", "TX"),
        ("Paris Texas", "TX"),
        ("Salem, IN", "IN"),  # Indiana, though "IN" is also India
    ],
)
def test_ambiguous_names_follow_the_state_or_population(text, state):
    assert geocode(text).state == state


@pytest.mark.parametrize(
    "text, label, country",
    [
        ("Paris", "Paris, France", "FR"),
        ("Paris, France", "Paris, France", "FR"),
        ("Paris, FR", "Paris, France", "FR"),
        ("paris france", "Paris, France", "FR"),
        ("Toronto, Canada", "Toronto, Canada", "CA"),
        ("Toronto, CA", "Toronto, Canada", "CA"),  # no Toronto in California
        ("Montréal", "Montréal, Canada", "CA"),
        ("Montreal", "Montréal, Canada", "CA"),
        ("München", "Munich, Germany", "DE"),
        ("Tromsø", "Tromsø, Norway", "NO"),
    ],
)
def test_world_place_names(text, label, country):
    place = geocode(text)
    assert (place.label, place.country, place.state, place.precision) == (
        label,
        country,
        "",
        "city",
    )


@pytest.mark.parametrize(
    "variants",
    [
        ("St. Louis, MO", "Saint Louis, Missouri", "st louis mo"),
        ("San José", "San Jose", "SAN JOSE"),
        ("Montréal, Canada", "Montreal, CA", "montreal canada"),
    ],
)
def test_spellings_of_one_place_agree(variants):
    assert len({geocode(text) for text in variants}) == 1


def test_a_town_known_only_by_its_zip_codes_is_at_their_centre():
    place = geocode("Young America, MN")
    assert (place.precision, place.state) == ("city", "MN")
    assert place.latitude == pytest.approx(44.78, abs=0.2)


@pytest.mark.parametrize("text, state", [("Texas", "TX"), ("California", "CA"), ("Nevada", "NV")])
def test_a_state_alone_asks_for_a_city(text, state):
    with pytest.raises(PlaceNotFound) as caught:
        geocode(text)
    assert "whole state" in caught.value.message
    assert any(place.state == state for place in caught.value.suggestions)


# --- Coordinates. ---


@pytest.mark.parametrize(
    "text", ["37.87,-122.27", "37.87, -122.27", " 37.87  -122.27 ", "+37.87,-122.27"]
)
def test_coordinates_are_kept_and_placed(text):
    place = geocode(text)
    assert (place.latitude, place.longitude) == (37.87, -122.27)
    assert (place.label, place.precision) == ("Berkeley, CA", "coordinates")
    assert (place.state, place.country) == ("CA", "US")


def test_coordinates_abroad_have_a_country_and_no_state():
    place = geocode("48.8566,2.3522")
    assert (place.state, place.country) == ("", "FR")


@pytest.mark.parametrize("text", ["91,0", "-90.5, 10", "0,181", "45, -180.01", "999,999"])
def test_coordinates_out_of_range_are_refused(text):
    with pytest.raises(PlaceNotFound) as caught:
        geocode(text)
    assert "Latitude must be between -90 and 90" in caught.value.message


# --- Input that names no place. ---


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\t\n",
        None,
        94704,
        "x" * 10_000,
        "Oakland" * 30,
        "Oak\x00land",
        "\x07\x1b",
        "Oakland\u200b",
        "🏠",
        "Oakland 🏠",
        "Москва",
        "<script>alert(1)</script>",
        ",",
        ", CA",
        "!!!",
        "Qwxzv Plkjh",
        "Berkeley, Califrnia",
        "Paris, Alaska",
    ],
)
def test_unusable_input_gives_a_message(text):
    with pytest.raises(PlaceNotFound) as caught:
        geocode(text)
    assert caught.value.message
    assert str(caught.value) == caught.value.message
    assert all(isinstance(place, Place) for place in caught.value.suggestions)


def test_not_found_is_a_value_error():
    assert issubclass(PlaceNotFound, ValueError)


@pytest.mark.parametrize(
    "text, meant",
    [
        ("Sprngfield", "Springfield, MO"),
        ("Berkly, CA", "Berkeley, CA"),
        ("Oaklnd", "Oakland, CA"),
        ("Cincinatti", "Cincinnati, OH"),
        ("Albuquerqe, NM", "Albuquerque, NM"),
        ("Pittsburg, PA", "Pittsburgh, PA"),  # Pittsburg exists, but not in Pennsylvania
        ("Paris, Alaska", "Paris, TX"),
        ("Berkeley, Califrnia", "Berkeley, CA"),
    ],
)
def test_misspellings_suggest_the_intended_place(text, meant):
    with pytest.raises(PlaceNotFound) as caught:
        geocode(text)
    assert meant in labels(caught.value.suggestions)
    assert text in caught.value.message


# --- Online fallback (faked: tests never use the network). ---


@pytest.fixture
def nominatim(monkeypatch, settings):
    """A stand-in for geopy's Nominatim; set .answer to a location or an exception."""
    settings.GEOCODER_ONLINE = "nominatim"
    fake = types.SimpleNamespace(answer=None, queries=[], options=[])

    class Nominatim:
        def __init__(self, **options):
            fake.options.append(options)

        def geocode(self, query, **kwargs):
            fake.queries.append(query)
            if isinstance(fake.answer, Exception):
                raise fake.answer
            return fake.answer

    monkeypatch.setitem(sys.modules, "geopy", types.ModuleType("geopy"))
    monkeypatch.setitem(sys.modules, "geopy.geocoders", types.SimpleNamespace(Nominatim=Nominatim))
    return fake


def test_online_geocoder_answers_what_the_offline_one_cannot(nominatim):
    nominatim.answer = types.SimpleNamespace(
        latitude=43.9,
        longitude=-72.6,
        address="Xyzzyville, Windsor County, Vermont, United States",
        raw={"address": {"village": "Xyzzyville", "ISO3166-2-lvl4": "US-VT", "country_code": "us"}},
    )
    place = geocode("Xyzzyville, VT")
    assert (place.label, place.state, place.country) == ("Xyzzyville, VT", "VT", "US")
    assert nominatim.queries == ["Xyzzyville, VT"]
    assert nominatim.options[0]["timeout"] == 3


@pytest.mark.parametrize("answer", [None, TimeoutError("slow"), RuntimeError("429")])
def test_online_failure_is_not_found(nominatim, answer):
    nominatim.answer = answer
    with pytest.raises(PlaceNotFound):
        geocode("Xyzzyville, VT")


@pytest.mark.parametrize("text", ["Oakland, CA", "94704", "", "x" * 500, "91,0"])
def test_online_geocoder_is_not_asked_needlessly(nominatim, text):
    with contextlib.suppress(PlaceNotFound):
        geocode(text)
    assert nominatim.queries == []


def test_online_geocoder_is_off_by_default(nominatim, settings):
    settings.GEOCODER_ONLINE = ""
    with pytest.raises(PlaceNotFound):
        geocode("Xyzzyville, VT")
    assert nominatim.queries == []


# --- Autocomplete. ---


def test_suggest_puts_the_big_place_first():
    assert "Oakland, CA" in labels(suggest("oak"))[:2]


def test_suggest_zip_prefix_gives_zip_codes_with_towns():
    places = suggest("947")
    assert places and all(p.precision == "zip" and p.postal_code[:3] == "947" for p in places)
    assert "Berkeley, CA 94704" in labels(places)


@pytest.mark.parametrize(
    "prefix, label",
    [
        ("Oakl", "Oakland, CA"),
        ("oakland ca", "Oakland, CA"),
        ("Oakland, Cal", "Oakland, CA"),
        ("St Lo", "St. Louis, MO"),
        ("san jos", "San Jose, CA"),
        ("Montre", "Montréal, Canada"),
        ("new y", "New York City, NY"),
        ("94704", "Berkeley, CA 94704"),
    ],
)
def test_suggest_finds_partly_typed_places(prefix, label):
    assert label in labels(suggest(prefix))


def test_suggest_filters_by_a_partly_typed_state():
    places = suggest("Springfield, I")
    assert places and {p.state for p in places} <= {"IL", "IN", "IA", "ID"}


@pytest.mark.parametrize(
    "prefix", ["", "o", " o ", None, "x" * 300, "🏠🏠", "\x00\x00", "37.8,", "zzzzzzqqq"]
)
def test_suggest_returns_nothing_for_too_little_or_nonsense(prefix):
    assert suggest(prefix) == []


@pytest.mark.parametrize("prefix, limit", [("spr", 3), ("sa", 1), ("947", 5), ("spr", 0)])
def test_suggest_respects_the_limit(prefix, limit):
    assert len(suggest(prefix, limit)) == limit


def test_suggest_offers_each_label_once():
    found = labels(suggest("san jose, c", 20))
    assert len(found) == len(set(found))


# --- Reverse geocoding. ---


def test_reverse_names_the_nearest_place_and_keeps_the_point():
    place = reverse(*BERKELEY)
    assert place.label == "Berkeley, CA"
    assert (place.state, place.country, place.precision) == ("CA", "US", "coordinates")
    assert (place.latitude, place.longitude) == BERKELEY


def test_reverse_abroad_has_a_country_and_no_state():
    place = reverse(*PARIS)
    assert (place.state, place.country) == ("", "FR")
    assert "Paris" in place.label


@pytest.mark.parametrize("point", [MID_PACIFIC, (90, 0), (-90, 180), (0, -180), (79.99, 10)])
def test_reverse_far_from_anything_keeps_just_the_point(point):
    place = reverse(*point)
    assert (place.state, place.country) == ("", "")
    assert (place.latitude, place.longitude) == point


@pytest.mark.parametrize("point", [(91, 0), (0, 181), ("north", 0), (None, 1), (math.nan, 0)])
def test_reverse_refuses_impossible_points(point):
    with pytest.raises(PlaceNotFound):
        reverse(*point)


@pytest.mark.parametrize(
    "latitude, longitude, state",
    [
        (*BERKELEY, "CA"),
        (40.7128, -74.0060, "NY"),
        (38.8977, -77.0365, "DC"),
        (61.2181, -149.9003, "AK"),
        (21.3069, -157.8583, "HI"),
        (18.4655, -66.1057, "PR"),
        (42.2900, -83.0000, ""),  # Windsor, Ontario, across the river from Detroit
        (45.5017, -73.5673, ""),  # Montréal
        (*PARIS, ""),
        (*MID_PACIFIC, ""),
    ],
)
def test_state_at(latitude, longitude, state):
    assert state_at(latitude, longitude) == state


# --- Distance. ---


def test_haversine_san_francisco_to_los_angeles():
    assert haversine_miles(37.7749, -122.4194, 34.0522, -118.2437) == pytest.approx(347, rel=0.02)


@pytest.mark.parametrize(
    "a, b, miles",
    [
        ((37.87, -122.27), (37.87, -122.27), 0),
        ((0, 0), (0, 180), math.pi * geo.EARTH_RADIUS_MILES),
        ((0, 179.5), (0, -179.5), 69.1),  # across the antimeridian, not around the world
    ],
)
def test_haversine_edges(a, b, miles):
    assert haversine_miles(*a, *b) == pytest.approx(miles, abs=0.5)
    assert haversine_miles(*a, *b) == pytest.approx(haversine_miles(*b, *a))


# --- The Place value. ---


def test_place_as_dict_has_every_field():
    assert geocode("94704").as_dict() == {
        "label": "Berkeley, CA 94704",
        "latitude": pytest.approx(37.87, abs=0.02),
        "longitude": pytest.approx(-122.26, abs=0.02),
        "precision": "zip",
        "state": "CA",
        "country": "US",
        "postal_code": "94704",
    }


def test_place_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        geocode("94704").label = "elsewhere"


# --- Building, loading, and the build command. ---


@pytest.fixture(scope="module")
def built_file(tmp_path_factory):
    """A lookup file built by the command into a temporary folder, once for this module."""
    path = tmp_path_factory.mktemp("geocoder") / "geocoder.pickle"
    out = io.StringIO()
    with override_settings(GEOCODER_DATA=path):
        call_command("build_geocoder", stdout=out)
    return path, out.getvalue()


@pytest.fixture
def data_copy(built_file, tmp_path, settings):
    """A private copy of the built file, used as settings.GEOCODER_DATA."""
    path = tmp_path / "geocoder.pickle"
    shutil.copy2(built_file[0], path)
    settings.GEOCODER_DATA = path
    return path


def run_command(*args, **options):
    out = io.StringIO()
    call_command("build_geocoder", *args, stdout=out, **options)
    return out.getvalue()


def test_command_builds_a_missing_file(built_file):
    path, output = built_file
    assert "Built" in output and "missing" in output
    assert 0 < path.stat().st_size < 15_000_000
    assert geocoding_build.stale_reason(path) == ""


def test_command_does_nothing_when_up_to_date(data_copy):
    before = data_copy.stat().st_mtime_ns
    assert "up to date" in run_command()
    assert run_command(verbosity=0) == ""
    assert data_copy.stat().st_mtime_ns == before


def test_command_force_rebuilds(data_copy):
    os.utime(data_copy, (1, 1))
    output = run_command("--force")
    assert "Built" in output
    assert data_copy.stat().st_mtime > 1
    assert geocoding_build.stale_reason(data_copy) == ""


def test_command_dry_run_writes_nothing(tmp_path, settings):
    settings.GEOCODER_DATA = tmp_path / "geocoder.pickle"
    assert "needs a build: missing" in run_command("--dry-run")
    assert not settings.GEOCODER_DATA.exists()


def test_built_file_answers_like_the_default_one(built_file, settings):
    def answers():
        found = [geocode(text) for text in ("94704", "Springfield", "Paris, TX", "Toronto, CA")]
        return [*found, reverse(*BERKELEY), *suggest("oak")]

    from_default = answers()
    settings.GEOCODER_DATA = built_file[0]
    assert answers() == from_default


@pytest.mark.parametrize(
    "setup, reason",
    [
        (lambda path: None, "missing"),
        (lambda path: path.write_bytes(b"not a pickle"), "unreadable"),
        (lambda path: path.write_bytes(pickle.dumps({"format": -1})), "format -1"),
        (lambda path: os.utime(path, (1, 1)), "newer"),
    ],
)
def test_stale_reasons(built_file, tmp_path, setup, reason):
    path = tmp_path / "geocoder.pickle"
    if reason != "missing":
        shutil.copy2(built_file[0], path)
    setup(path)
    assert reason in geocoding_build.stale_reason(path)


def test_lookup_file_cannot_run_code(tmp_path):
    path = tmp_path / "evil.pickle"
    path.write_bytes(pickle.dumps(os.system))
    with pytest.raises(pickle.UnpicklingError):
        geocoding_format.read(path)
    assert geocoding_format.read_meta(path) is None


@pytest.fixture
def fake_build(monkeypatch, built_file):
    """Make build-on-demand copy the module's built file instead of spending seconds."""
    built = []

    def build(path):
        built.append(path)
        shutil.copy2(built_file[0], path)
        return geocoding_format.read(path)

    monkeypatch.setattr(geocoding_build, "build", build)
    return built


@pytest.mark.parametrize("content", [None, b"", b"garbage", pickle.dumps({"format": -1})])
def test_missing_or_unusable_file_is_built_on_first_use(
    fake_build, tmp_path, settings, caplog, content
):
    path = tmp_path / "geocoder.pickle"
    if content is not None:
        path.write_bytes(content)
    settings.GEOCODER_DATA = path
    assert geocode("94704").state == "CA"
    assert fake_build == [path]
    assert str(path) in caplog.text


def test_warm_does_nothing_without_a_file(fake_build, tmp_path, settings):
    settings.GEOCODER_DATA = tmp_path / "geocoder.pickle"
    geocoding.warm()
    assert fake_build == []


def test_lookup_loads_once_across_threads(data_copy, monkeypatch):
    reads = []
    real_read = geocoding_format.read

    def counting_read(path):
        reads.append(path)
        return real_read(path)

    monkeypatch.setattr(geocoding_format, "read", counting_read)
    results = []
    threads = [threading.Thread(target=lambda: results.append(geocode("94704"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and len(set(results)) == 1
    assert reads == [data_copy]


def test_warm_loads_the_file(data_copy, monkeypatch):
    reads = []
    real_read = geocoding_format.read

    def counting_read(path):
        reads.append(path)
        return real_read(path)

    monkeypatch.setattr(geocoding_format, "read", counting_read)
    geocoding.warm()
    geocode("94704")
    assert reads == [data_copy]
