"""The Python mirror of Organization's check constraints refuses exactly what the database does.

directory/constraints.py gives the CSV import a message per row before it writes; if it drifted
from Organization.Meta.constraints, an import would either refuse good rows or fail part way on
the database. Each case is written to the real database (SQLite or PostgreSQL, as configured).
"""

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.constraints import constraint_errors
from directory.models import COVERAGE_RADIUS_MAX, Organization

pytestmark = pytest.mark.django_db

VALID = {
    "name": "A group",
    "status": "published",
    "coverage": "local",
    "state": "CA",
    "latitude": 37.87,
    "longitude": -122.26,
    "coverage_radius": 10,
}


def database_refuses(fields):
    """Whether the database refuses to store an organization with these fields."""
    org = Organization(**{**fields, "slug": f"case-{Organization.objects.count()}"})
    try:
        with transaction.atomic():
            org.save()
    except IntegrityError:
        return True
    return False


# One row at each edge of each constraint, on both sides of it.
CASES = [
    {},
    {"latitude": 90, "longitude": 180},
    {"latitude": -90, "longitude": -180},
    {"latitude": 90.01},
    {"latitude": -90.01},
    {"longitude": 180.01},
    {"longitude": -180.01},
    {"latitude": None},
    {"longitude": None},
    {"latitude": None, "longitude": None},
    {"latitude": None, "longitude": None, "status": "pending"},
    {"coverage_radius": 1},
    {"coverage_radius": COVERAGE_RADIUS_MAX},
    {"coverage_radius": 0},
    {"coverage_radius": COVERAGE_RADIUS_MAX + 1},
    {"coverage_radius": None},
    {"coverage_radius": None, "coverage": "regional"},
    {"coverage_radius": None, "status": "inactive"},
    {"coverage_radius": None, "coverage": "statewide"},
    {"coverage": "statewide", "state": ""},
    {"coverage": "statewide", "state": "", "status": "pending"},
    {"coverage": "national", "state": "", "latitude": None, "longitude": None},
    {"coverage": "online", "coverage_radius": None, "latitude": None, "longitude": None},
]


@pytest.mark.parametrize("change", CASES, ids=[str(case) or "valid" for case in CASES])
def test_each_edge_is_refused_by_both_or_neither(change):
    fields = {**VALID, **change}
    errors = constraint_errors(Organization(**fields))
    assert bool(errors) == database_refuses(fields), errors


coordinates = st.one_of(st.none(), st.floats(-200, 200, allow_nan=False))


@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    status=st.sampled_from(["pending", "published", "inactive", "archived"]),
    coverage=st.sampled_from(["local", "regional", "statewide", "national", "online"]),
    state=st.sampled_from(["", "CA"]),
    latitude=coordinates,
    longitude=coordinates,
    coverage_radius=st.one_of(st.none(), st.integers(-5, COVERAGE_RADIUS_MAX + 5)),
)
def test_any_combination_is_refused_by_both_or_neither(**fields):
    fields = {"name": "A group", **fields}
    errors = constraint_errors(Organization(**fields))
    assert bool(errors) == database_refuses(fields), (fields, errors)
