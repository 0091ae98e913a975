"""The distance search reads an index, not the whole table, on SQLite and on PostgreSQL."""

import random
import re

import pytest
from django.db import connection

from directory.models import Organization

ROWS = 3000


@pytest.fixture
def many_groups(db):
    rng = random.Random(7)
    Organization.objects.bulk_create(
        Organization(
            name=f"Group {i}",
            slug=f"group-{i}",
            status="published" if i % 10 else "pending",
            latitude=rng.uniform(25, 49),
            longitude=rng.uniform(-124, -67),
            coverage_radius=10,
        )
        for i in range(ROWS)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


def assert_indexed(text, index):
    assert index in text, text
    assert "Seq Scan" not in text, text
    assert not re.search(r"SCAN directory_organization\b(?! USING)", text), text


def test_bounding_box_query_uses_the_coordinate_index(many_groups):
    queryset = Organization.objects.published().placed().in_box(37.87, -122.26, 25)
    assert_indexed(plan(queryset), "org_status_lat_lng")


def test_statewide_national_online_query_uses_an_index(many_groups):
    assert_indexed(plan(Organization.objects.published().beyond_place("CA", "US")), "org_status")
