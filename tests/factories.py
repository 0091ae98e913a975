"""Plain factory functions with overridable defaults; each returns a saved object (or a stamp)."""

import itertools
import time

from curation.forms import PublicForm
from directory.models import Category, Organization

_counter = itertools.count(1)


def make_category(**overrides):
    n = next(_counter)
    fields = {"slug": f"cause-{n}", "name": f"Cause {n}", "colour": "#336699", "order": n}
    fields.update(overrides)
    return Category.objects.create(**fields)


def make_org(causes=(), **overrides):
    """A published local group in Berkeley, CA unless told otherwise."""
    n = next(_counter)
    fields = {
        "name": f"Group {n}",
        "slug": f"group-{n}",
        "summary": "A fictional group for tests.",
        "city": "Berkeley",
        "state": "CA",
        "postal_code": "94704",
        "country": "US",
        "latitude": 37.8664,
        "longitude": -122.2570,
        "coverage": Organization.Coverage.LOCAL,
        "coverage_radius": 10,
        "status": Organization.Status.PUBLISHED,
        "first_step": "Come to a meeting.",
        "contact_email": f"organizer-{n}@example.net",
    }
    if overrides.get("coverage") in ("national", "online"):
        fields.update(
            city="", state="", postal_code="", latitude=None, longitude=None, coverage_radius=None
        )
    if overrides.get("coverage") == "statewide":
        fields.update(coverage_radius=None)
    fields.update(overrides)
    org = Organization.objects.create(**fields)
    if causes:
        org.causes.set(causes)
    return org


def aged_token(subject, seconds=60, form=PublicForm):
    """A form's stamp issued `seconds` ago, as if a person had spent that long filling it in."""
    return form.stamp(subject, issued=time.time() - seconds)
