"""CausePoint, the search's index of groups by cause, is kept true by the database's triggers on
every write to a group or its causes, whatever makes it, and holds only the public point."""

import pytest
from django.db import connection, transaction

from directory.models import CausePoint, Organization
from tests.factories import make_category, make_org

pytestmark = pytest.mark.django_db

COLUMNS = ("status", "coverage", "coverage_radius", "cell", "public_latitude", "public_longitude")


def expected():
    """Every (group, cause) pair with the group's public point, read from the groups."""
    return {
        (org.pk, cause.pk, *(getattr(org, column) for column in COLUMNS))
        for org in Organization.objects.prefetch_related("causes")
        for cause in org.causes.all()
    }


def kept():
    return set(
        CausePoint.objects.values_list("organization_id", "category_id", *COLUMNS).order_by()
    )


def assert_in_step():
    assert kept() == expected()


@pytest.fixture
def causes():
    return make_category(slug="tenants"), make_category(slug="labor")


def test_every_write_to_a_group_or_its_causes_keeps_the_cause_points_in_step(causes):
    tenants, labor = causes
    org = make_org(causes=[tenants], name="Oakland Tenants", slug="oakland-tenants")
    other = make_org(causes=[tenants, labor], name="Berkeley Labor", slug="berkeley-labor")
    assert_in_step()
    assert len(kept()) == 3

    org.causes.add(labor)  # a cause added
    assert_in_step()
    org.causes.remove(tenants)  # and taken away
    assert_in_step()
    other.causes.set([labor])
    assert_in_step()

    org.status = "archived"  # a change of status, kind and radius through save
    org.coverage, org.coverage_radius = "regional", 120
    org.save()
    assert_in_step()

    org.latitude, org.longitude = 40.71, -74.0  # a new point: the public one follows
    org.save()
    assert_in_step()
    org.sensitive = True  # a sensitive entry: its public point is coarser
    org.save()
    assert_in_step()

    Organization.objects.filter(pk=other.pk).update(status="pending")  # a bulk update
    assert_in_step()
    with connection.cursor() as cursor:  # and raw SQL
        cursor.execute(
            "UPDATE directory_organization SET coverage_radius = 7 WHERE id = %s", [other.pk]
        )
    assert_in_step()

    through = Organization.causes.through
    through.objects.bulk_create([through(organization_id=org.pk, category_id=tenants.pk)])
    assert_in_step()

    tenants.delete()  # a cause removed from the site
    assert_in_step()
    other.delete()  # a group removed
    assert_in_step()
    org.causes.clear()
    assert_in_step()
    assert kept() == set()


def test_a_cause_linked_before_its_group_is_written_is_found(causes):
    """Constraints are checked at the end of a transaction, so a link may come first."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            "INSERT INTO directory_organization_causes (organization_id, category_id) "
            "VALUES (%s, %s)",
            [987654, causes[0].pk],
        )
        make_org(pk=987654)
    assert_in_step()
    assert len(kept()) == 1


def test_cause_points_hold_the_public_point_only(causes):
    org = make_org(
        causes=causes, latitude=37.871234, longitude=-122.259876, precision="exact"
    )  # not public: rounded
    org.refresh_from_db()
    points = set(CausePoint.objects.values_list("public_latitude", "public_longitude"))
    assert points == {(org.public_latitude, org.public_longitude)}
    assert (org.latitude, org.longitude) not in points


def test_a_write_that_fails_leaves_no_cause_point_behind(causes):
    org = make_org(causes=[causes[0]])
    with pytest.raises(RuntimeError), transaction.atomic():
        org.causes.add(causes[1])
        raise RuntimeError("the write fails half way")
    assert_in_step()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own list of triggers")
def test_sqlite_has_every_cause_point_trigger():
    """A migration that makes a table again drops its triggers on SQLite: it must put these
    back (migration 0011 says how)."""
    from importlib import import_module

    migration = import_module("directory.migrations.0011_cause_points")
    names = {sql.split()[2] for sql in migration.SQLITE_TRIGGERS}
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        assert names <= {name for (name,) in cursor.fetchall()}
