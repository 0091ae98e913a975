"""The "who covers me" search on hand-built groups with known distances."""

import pytest

from directory.geo import bounding_box
from directory.geocoding import Place
from directory.models import Organization
from directory.search import who_covers
from tests.factories import make_category, make_org

BERKELEY = Place("Berkeley, CA 94704", 37.8664, -122.2570, "zip", "CA", "US", "94704")
ABSAROKEE_MT = Place("Absarokee, MT 59001", 45.5205, -109.4429, "zip", "MT", "US", "59001")
PARIS = Place("Paris, France", 48.8534, 2.3488, "city", "", "FR")


def published():
    return Organization.objects.published()


@pytest.fixture
def bay_area(db):
    """Groups around Berkeley whose distances from it are known to a mile."""
    immigrant = make_category(slug="immigrant-rights", name="Immigrant rights")
    tenants = make_category(slug="tenants", name="Tenants")
    return {
        "immigrant": immigrant,
        "tenants": tenants,
        # ~4.4 miles away, covers 10: covering.
        "oakland": make_org(
            name="Oakland Local",
            latitude=37.8044,
            longitude=-122.2712,
            city="Oakland",
            coverage_radius=10,
            causes=[immigrant],
        ),
        # ~10.9 miles away, covers 5: only nearby.
        "sf": make_org(
            name="SF Local",
            latitude=37.7749,
            longitude=-122.4194,
            city="San Francisco",
            coverage_radius=5,
            causes=[immigrant],
        ),
        # ~64 miles away, covers 100: covering from beyond the 25-mile radius.
        "sacramento": make_org(
            name="Valley Regional",
            latitude=38.5816,
            longitude=-121.4944,
            city="Sacramento",
            coverage="regional",
            coverage_radius=100,
            causes=[immigrant],
        ),
        # ~42 miles away, covers 10: outside the 25-mile radius, not shown.
        "san_jose": make_org(
            name="San Jose Local",
            latitude=37.3382,
            longitude=-121.8863,
            city="San Jose",
            coverage_radius=10,
            causes=[immigrant],
        ),
        "statewide": make_org(
            name="California Statewide",
            coverage="statewide",
            state="CA",
            latitude=38.5816,
            longitude=-121.4944,
            causes=[immigrant],
        ),
        "texas": make_org(
            name="Texas Statewide",
            coverage="statewide",
            state="TX",
            latitude=30.2672,
            longitude=-97.7431,
            causes=[immigrant],
        ),
        "national": make_org(name="National Network", coverage="national", causes=[immigrant]),
        "online": make_org(name="Online Circle", coverage="online", causes=[immigrant]),
        "tenant_union": make_org(name="Berkeley Tenants", causes=[tenants]),
        "pending": make_org(name="Pending Group", status="pending", causes=[immigrant]),
        "archived": make_org(name="Archived Group", status="archived", causes=[immigrant]),
    }


def names(block):
    return [result.organization.name for result in block.results]


def blocks_by_key(outcome):
    return {block.key: block for block in outcome.blocks}


def test_blocks_come_in_order_with_reasons_and_distances(bay_area):
    qs = published().for_causes([bay_area["immigrant"]])
    outcome = who_covers(qs, BERKELEY, 25)

    assert [block.key for block in outcome.blocks] == [
        "covering",
        "nearby",
        "statewide",
        "national",
        "online",
    ]
    blocks = blocks_by_key(outcome)
    assert names(blocks["covering"]) == ["Oakland Local", "Valley Regional"]
    assert names(blocks["nearby"]) == ["SF Local"]
    assert names(blocks["statewide"]) == ["California Statewide"]
    assert names(blocks["national"]) == ["National Network"]
    assert names(blocks["online"]) == ["Online Circle"]

    oakland, sacramento = blocks["covering"].results
    assert 4.0 < oakland.distance < 4.8
    assert 60 < sacramento.distance < 68
    assert 10.5 < blocks["nearby"].results[0].distance < 11.5
    assert "Local group covering 10 miles" in str(oakland.reason)
    assert "Regional group covering 100 miles" in str(sacramento.reason)
    assert "Within 25 miles" in str(blocks["nearby"].results[0].reason)
    assert "California Statewide" not in names(blocks["covering"])
    assert blocks["national"].results[0].distance is None
    assert not outcome.widened and outcome.notice == ""


def test_unpublished_and_other_causes_never_appear(bay_area):
    outcome = who_covers(published().for_causes([bay_area["immigrant"]]), BERKELEY, 25)
    shown = {result.organization.name for result in outcome.results}
    assert not shown & {"Pending Group", "Archived Group", "Berkeley Tenants", "Texas Statewide"}


def test_no_causes_means_every_cause(bay_area):
    outcome = who_covers(published(), BERKELEY, 25)
    assert "Berkeley Tenants" in names(blocks_by_key(outcome)["covering"])


def test_a_larger_radius_brings_farther_groups(bay_area):
    qs = published().for_causes([bay_area["immigrant"]])
    assert "San Jose Local" in names(blocks_by_key(who_covers(qs, BERKELEY, 50))["nearby"])


def test_far_from_everything_the_search_widens_and_says_so(bay_area):
    outcome = who_covers(published().for_causes([bay_area["immigrant"]]), ABSAROKEE_MT, 25)
    assert outcome.widened
    assert outcome.radius == 1000
    assert outcome.requested_radius == 25
    assert "widened the search to 1000 miles" in str(outcome.notice)
    nearby = blocks_by_key(outcome)["nearby"]
    distances = [result.distance for result in nearby.results]
    assert distances == sorted(distances) and distances[0] > 500
    # Montana has no statewide group; national and online still show.
    assert [b.key for b in outcome.blocks][-2:] == ["national", "online"]


def test_beyond_every_step_the_nearest_groups_still_show(bay_area):
    outcome = who_covers(published().for_causes([bay_area["tenants"]]), PARIS, 25)
    assert outcome.nearest_only and not outcome.widened
    assert names(blocks_by_key(outcome)["nearby"]) == ["Berkeley Tenants"]
    assert "These are the nearest ones" in str(outcome.notice)
    assert blocks_by_key(outcome)["nearby"].results[0].distance > 5000


def test_only_groups_elsewhere_match_shows_them_rather_than_nothing(db):
    cause = make_category()
    make_org(
        name="Texas Only",
        coverage="statewide",
        state="TX",
        latitude=30.27,
        longitude=-97.74,
        causes=[cause],
    )
    # The statewide group has a point, so it is the nearest match.
    outcome = who_covers(published().for_causes([cause]), BERKELEY, 25)
    assert [r.organization.name for r in outcome.results] == ["Texas Only"]

    other = make_category()
    make_org(name="Online Elsewhere", coverage="online", causes=[other])
    outcome = who_covers(published().for_causes([other]), BERKELEY, 25)
    assert [r.organization.name for r in outcome.results] == ["Online Elsewhere"]


def test_nothing_matching_gives_no_blocks(bay_area):
    empty = make_category()
    assert who_covers(published().for_causes([empty]), BERKELEY, 25).blocks == []


def test_block_limit_caps_results_but_keeps_the_total(db, settings):
    settings.SEARCH_BLOCK_LIMIT = 3
    for i in range(5):
        make_org(name=f"Near {i}", latitude=37.8664 + i / 1000)
    covering = blocks_by_key(who_covers(published(), BERKELEY, 25))["covering"]
    assert covering.total == 5 and len(covering.results) == 3


@pytest.mark.parametrize(
    ("latitude", "longitude", "miles"),
    [(37.8, -122.2, 25), (0, 0, 100), (64.8, -147.7, 250), (-33.9, 151.2, 3000)],
)
def test_bounding_box_contains_the_circle(latitude, longitude, miles):
    from directory.geo import haversine_miles

    south, north, west, east = bounding_box(latitude, longitude, miles)
    # The four compass points at exactly `miles` lie inside the box.
    assert haversine_miles(latitude, longitude, north, longitude) == pytest.approx(miles, rel=0.01)
    assert haversine_miles(latitude, longitude, latitude, east) >= miles * 0.99
    assert west < longitude < east and south < latitude < north


def test_box_across_the_antimeridian_finds_groups_on_both_sides(db):
    make_org(name="West of the line", latitude=-17.7, longitude=179.9, city="Fiji")
    make_org(name="East of the line", latitude=-17.7, longitude=-179.9, city="Fiji")
    found = set(published().in_box(-17.7, 179.95, 50).values_list("name", flat=True))
    assert found == {"West of the line", "East of the line"}


def test_distances_never_reveal_a_private_point(db):
    """Searching from a group's exact spot must not tell where it is to the metre."""
    exact = {"latitude": 37.86641, "longitude": -122.25703, "precision": "exact"}
    private = make_org(name="Private", address_public=False, **exact)
    public = make_org(name="Public", address_public=True, **exact)
    spot = Place("spot", 37.86641, -122.25703, "coordinates", "CA", "US")
    found = {r.organization.name: r.distance for r in who_covers(published(), spot, 25).results}
    assert found["Public"] == pytest.approx(0, abs=0.01)
    assert found["Private"] == pytest.approx(0.28, abs=0.05)  # to (37.87, -122.26)
    assert {private.pk, public.pk} == set(published().values_list("pk", flat=True))
