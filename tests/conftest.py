import pytest
from django.core.management import call_command
from django.db import transaction

# One headless Chromium per browser test module, found by name wherever a test asks for it.
from tests.browser import browser  # noqa: F401


@pytest.fixture
def seeded(db):
    """The seed data set: causes and the fictional sample groups."""
    call_command("loadseeds", verbosity=0)


@pytest.fixture(scope="module")
def seeded_db(django_db_setup, django_db_blocker):
    """Seeds loaded once per module for read-only tests (which also take `db`).

    Like TestCase.setUpTestData: loaded inside a transaction that is rolled back when the
    module is done, so no other module ever sees them.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("loadseeds", verbosity=0)
        yield
        transaction.set_rollback(True)
