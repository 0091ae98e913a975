"""Schemathesis against the live OpenAPI document, in-process through the WSGI app.

All built-in checks run on every generated request (server errors, documented status codes,
content types, response schemas and headers, acceptance of valid data, rejection of invalid
data), for valid and invalid input alike, and the test requires zero failures.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from directory.fields import MAX_CAUSES
from orgsite.wsgi import application

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "120"))  # per mode, all operations
# Whether a string names a place is known to the geocoder, not to a schema: valid requests take
# their `near` from real places. Random text in `near` is checked to get a 400 in test_api.py.
PLACES = ["94704", "Oakland, CA", "Chicago", "37.87,-122.27", "Nome, AK", "10001", "Paris"]
# Likewise which slugs name a cause is in the database, not the schema (which describes a slug's
# shape, so that clients can ask for causes added later): valid requests use the seeded ones.
CAUSES = ["tenants", "labor", "immigrant-rights", "climate", "mutual-aid", "voting-rights"]


def _with_real_place(values):
    case, place, causes = values
    if case.query and "near" in case.query:
        case.query["near"] = place
    if case.query and "cause" in case.query:
        asked = case.query["cause"]
        case.query["cause"] = causes[: len(asked)] if isinstance(asked, list) else causes[0]
    return case


@pytest.fixture
def keep_the_test_connection():
    """Calling the WSGI app directly would close the test's database connection after each
    request (and with it the test's transaction, on PostgreSQL); Django's test client avoids
    that the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_every_promise_of_its_schema(seeded_db, db, keep_the_test_connection, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    assert len(list(schema.get_all_operations())) == 4  # search, one group, causes, places
    cases = schema.as_strategy(generation_mode=mode)
    if mode == GenerationMode.POSITIVE:
        causes = st.lists(st.sampled_from(CAUSES), min_size=MAX_CAUSES, max_size=MAX_CAUSES)
        cases = st.tuples(cases, st.sampled_from(PLACES), causes).map(_with_real_place)

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        # The same examples on every run, so CI is repeatable. To explore further, run with
        # SCHEMATHESIS_RANDOM=1 and a larger SCHEMATHESIS_EXAMPLES.
        derandomize=not os.environ.get("SCHEMATHESIS_RANDOM"),
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        case.call_and_validate()

    call()
