import pytest
from django.core.management import call_command


@pytest.fixture
def seeded(db):
    """The seed data set: causes and the fictional sample groups."""
    call_command("loadseeds", verbosity=0)


@pytest.fixture(scope="session")
def seeded_db(django_db_setup, django_db_blocker):
    """Seeds loaded once for the whole session, for read-only tests (use with `db`)."""
    with django_db_blocker.unblock():
        call_command("loadseeds", verbosity=0)
