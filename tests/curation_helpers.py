"""Shared helpers for the curation tests."""

import time

import pytest

from curation.forms import PublicForm
from tests.factories import make_category


def aged_token(subject, seconds=60):
    """A form stamp issued `seconds` ago, as if a person had filled the form in."""
    return PublicForm.stamp(subject, issued=time.time() - seconds)


def empty_directory():
    """Remove entries left by other tests' session-wide seeds, so counts here mean something.

    Inside the test's transaction, so the seeds come back afterwards.
    """
    from django.test import override_settings

    from directory.models import Category, Organization

    if Organization.objects.exists() or Category.objects.exists():
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            Organization.objects.all().delete()
            Category.objects.all().delete()


# Fixtures the curation test modules import by name. `cause_fixture` is named apart from the
# fixture it provides, so test arguments called `cause` do not shadow the import.


@pytest.fixture(autouse=True)
def only_these_entries(db):
    empty_directory()


@pytest.fixture(name="cause")
def cause_fixture(db):
    return make_category(slug="cur-tenants", name="Tenants")
