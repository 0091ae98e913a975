"""No private point influences any public answer, so none can be read back from searches.

Two proofs: moving a group's private point within its rounding cell changes no byte of any
public answer (site search, API, widget, HSDS proximity, map markers, group page distances);
and the bisection attack that once recovered private points to six decimals now converges on
the public, rounded point.
"""

import re

import pytest

from directory.models import Organization
from tests.factories import make_category, make_org

# A private point and another in the same rounding cell (both round to 37.87, -122.26).
PRIVATE = (37.871234, -122.258765)
MOVED = (37.866001, -122.263999)
PUBLIC = (37.87, -122.26)


@pytest.fixture
def hidden(db):
    cause = make_category(slug="immigrant-rights")
    org = make_org(
        name="Sanctuary Network",
        slug="sanctuary-network",
        latitude=PRIVATE[0],
        longitude=PRIVATE[1],
        precision="exact",
        address="12 Hidden Lane",
        address_public=False,
        coverage_radius=5,
        causes=[cause],
    )
    org.refresh_from_db()
    assert (org.public_latitude, org.public_longitude) == PUBLIC
    return org


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
    hsds = client.get("/api/hsds/service_at_locations", {"postcode": "94704", "proximity": 4000})
    out.append(hsds.content)
    return out


def _without_form_tokens(content):
    """A page's contact form carries fresh CSRF and form-age tokens on every request."""
    return re.sub(rb'name="(csrfmiddlewaretoken|token)" value="[^"]*"', b"", content)


def test_moving_the_private_point_within_its_cell_changes_no_public_answer(client, hidden):
    before = answers(client)
    # update(): the private columns change and nothing else (not even `updated`).
    Organization.objects.filter(pk=hidden.pk).update(latitude=MOVED[0], longitude=MOVED[1])
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


def test_the_bisection_attack_finds_only_the_public_point(client, hidden):
    latitude = PRIVATE[0]
    assert listed(client, latitude, PRIVATE[1])
    east = edge(client, latitude, PRIVATE[1], PRIVATE[1] + 0.5)
    west = edge(client, latitude, PRIVATE[1], PRIVATE[1] - 0.5)
    guess = (east + west) / 2
    assert abs(guess - PUBLIC[1]) < 1e-4  # the centre found is the public one...
    assert abs(guess - PRIVATE[1]) > 1e-3  # ...which is not where the organizer is


def test_the_database_keeps_the_public_point_apart_from_the_private_one(hidden):
    """Exact public addresses keep their point; every other point is rounded by the database."""
    Organization.objects.filter(pk=hidden.pk).update(address_public=True)
    hidden.refresh_from_db()
    assert (hidden.public_latitude, hidden.public_longitude) == PRIVATE
    Organization.objects.filter(pk=hidden.pk).update(precision="approximate")
    hidden.refresh_from_db()
    assert (hidden.public_latitude, hidden.public_longitude) == PUBLIC
