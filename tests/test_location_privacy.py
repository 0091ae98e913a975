"""No private point influences any public answer, so none can be read back from searches.

Two proofs: moving a group's private point within its rounding cell changes no byte of any
public answer (site search, API, widget, HSDS proximity, map markers, group page distances);
and the bisection attack that once recovered private points to six decimals now converges on
the public, rounded point. Both hold for an entry with a private address (a cell of two decimals)
and for a sensitive entry, even one whose exact address is marked public (a cell of one decimal,
about city level).
"""

import re

import pytest

from directory.models import Organization
from tests.factories import make_category, make_org

# A private point and another in the same rounding cell (both round to 37.87, -122.26).
PRIVATE = (37.871234, -122.258765)
MOVED = (37.866001, -122.263999)
PUBLIC = (37.87, -122.26)
# A sensitive entry's cell is ten times wider: the same private point and one about 8 km away
# both round to 37.9, -122.3.
MOVED_SENSITIVE = (37.944001, -122.345999)
PUBLIC_SENSITIVE = (37.9, -122.3)
CASES = {
    # name: (fields, the point moved within its cell, the public point, the cell's width)
    "private address": ({"address_public": False}, MOVED, PUBLIC, 0.01),
    "sensitive": (
        {"address_public": True, "sensitive": True},
        MOVED_SENSITIVE,
        PUBLIC_SENSITIVE,
        0.1,
    ),
}


@pytest.fixture(params=list(CASES))
def case(request, db):
    fields, moved, public, width = CASES[request.param]
    cause = make_category(slug="immigrant-rights")
    org = make_org(
        name="Sanctuary Network",
        slug="sanctuary-network",
        latitude=PRIVATE[0],
        longitude=PRIVATE[1],
        precision="exact",
        address="12 Hidden Lane",
        coverage_radius=5,
        causes=[cause],
        **fields,
    )
    org.refresh_from_db()
    assert (org.public_latitude, org.public_longitude) == public
    return org, moved, public, width


@pytest.fixture
def hidden(case):
    return case[0]


def probes():
    """Places around the group, near enough that it is listed, covering or not."""
    for dlat in (-0.09, -0.03, 0.0, 0.02, 0.07):
        for dlng in (-0.1, -0.02, 0.0, 0.05, 0.11):
            yield f"{PRIVATE[0] + dlat:.5f},{PRIVATE[1] + dlng:.5f}"


def answers(client):
    out = []
    for near in probes():
        for url, params in [
            ("/api/v1/organizations/", {"near": near, "radius": 10}),
            ("/search/", {"near": near, "radius": 10}),
            ("/embed/", {"near": near, "radius": 10}),
            ("/groups/sanctuary-network/", {"near": near}),
        ]:
            response = client.get(url, params)
            assert response.status_code == 200, (url, near)
            out.append(_without_form_tokens(response.content))
    hsds = client.get("/api/hsds/service_at_locations", {"postcode": "94704", "proximity": 9000})
    assert b"Sanctuary Network" in hsds.content
    out.append(hsds.content)
    return out


def _without_form_tokens(content):
    """A page's contact form carries fresh CSRF and form-age tokens on every request."""
    return re.sub(rb'name="(csrfmiddlewaretoken|token)" value="[^"]*"', b"", content)


def test_moving_the_private_point_within_its_cell_changes_no_public_answer(client, case):
    hidden, moved, _public, _width = case
    before = answers(client)
    # update(): the private columns change and nothing else (not even `updated`).
    Organization.objects.filter(pk=hidden.pk).update(latitude=moved[0], longitude=moved[1])
    assert answers(client) == before


def listed(client, latitude, longitude):
    """The attacker's oracle: is the group among those covering this point?"""
    body = client.get(
        "/api/v1/organizations/", {"near": f"{latitude:.7f},{longitude:.7f}", "radius": 1}
    ).json()
    return any(
        r["block"] == "covering" and r["organization"]["slug"] == "sanctuary-network"
        for r in body["results"]
    )


def edge(client, latitude, inside, outside, steps=30):
    """Bisect along a parallel for where the group stops being listed."""
    for _ in range(steps):
        middle = (inside + outside) / 2
        if listed(client, latitude, middle):
            inside = middle
        else:
            outside = middle
    return (inside + outside) / 2


def test_the_bisection_attack_finds_only_the_public_point(client, case):
    _hidden, _moved, public, width = case
    latitude = PRIVATE[0]
    assert listed(client, latitude, PRIVATE[1])
    east = edge(client, latitude, PRIVATE[1], PRIVATE[1] + 0.5)
    west = edge(client, latitude, PRIVATE[1], PRIVATE[1] - 0.5)
    guess = (east + west) / 2
    assert abs(guess - public[1]) < 1e-4  # the centre found is the public one...
    # ...which is not where the organizer is: as far off as a cell of its kind allows.
    assert abs(guess - PRIVATE[1]) > width / 10


def test_the_database_keeps_the_public_point_apart_from_the_private_one(hidden):
    """Exact public addresses keep their point; every other point is rounded by the database."""
    Organization.objects.filter(pk=hidden.pk).update(address_public=True, sensitive=False)
    hidden.refresh_from_db()
    assert (hidden.public_latitude, hidden.public_longitude) == PRIVATE
    Organization.objects.filter(pk=hidden.pk).update(precision="approximate")
    hidden.refresh_from_db()
    assert (hidden.public_latitude, hidden.public_longitude) == PUBLIC
    # A sensitive entry is coarse whatever its address says, and its search band follows.
    Organization.objects.filter(pk=hidden.pk).update(precision="exact", sensitive=True)
    hidden.refresh_from_db()
    assert (hidden.public_latitude, hidden.public_longitude) == PUBLIC_SENSITIVE
    assert hidden.cell == -1223
