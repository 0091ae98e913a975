"""Whole answers kept for anonymous readers: the same bytes as computed afresh, for one read of the
generation number, and never an answer that belongs to one reader or to before an edit."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import make_category, make_org

KEPT = [
    "/api/v1/organizations/?near=94704&cause=labor",
    "/search/?near=94704&cause=labor",
    "/es/search/?near=94704&cause=labor",
    "/embed/?near=94704&cause=labor",
    "/causes/labor/?state=CA",
    "/causes/",
]


@pytest.fixture
def labor(db):
    cause = make_category(slug="labor", name="Labor")
    make_org(name="Berkeley Labor", causes=[cause])
    return cause


def fetch(client, url, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    return response, len(ctx.captured_queries)


def comparable(response):
    return response.status_code, response.content, sorted(response.items())


@pytest.mark.parametrize("url", KEPT)
def test_a_kept_answer_is_the_computed_one_for_one_query(
    client, answers_cached, labor, url, settings
):
    first, computed = fetch(client, url)
    again, queries = fetch(client, url)
    assert first.status_code == 200 and "public" in first["Cache-Control"]
    assert queries == 1 < computed  # the generation number, nothing else
    assert comparable(again) == comparable(first)
    settings.SEARCH_CACHE_SECONDS = 0
    assert comparable(fetch(client, url)[0]) == comparable(first)


def test_an_edit_is_seen_at_once(client, answers_cached, labor):
    url = "/api/v1/organizations/?near=94704&cause=labor"
    fetch(client, url)
    group = labor.organizations.get()
    group.name = "Renamed Labor"
    group.save()
    response, queries = fetch(client, url)
    assert queries > 1
    assert "Renamed Labor" in response.content.decode()


def test_languages_are_kept_apart(client, answers_cached, labor):
    url = "/api/v1/organizations/?near=nowhere-at-all"
    english, _ = fetch(client, url)
    spanish, _ = fetch(client, url, accept_language="es")
    assert english.status_code == spanish.status_code == 400
    page_en, _ = fetch(client, "/search/?near=94704")
    page_es, _ = fetch(client, "/es/search/?near=94704")
    assert 'lang="en"' in page_en.content.decode() and 'lang="es"' in page_es.content.decode()
    # A first visit from a Spanish browser is still sent to the Spanish page, not served English.
    redirect, _ = fetch(Client(), "/search/?near=94704", accept_language="es")
    assert redirect.status_code == 302 and redirect["Location"].startswith("/es/")


def test_a_reader_with_a_session_is_answered_afresh(client, answers_cached, labor):
    url = "/search/?near=94704&cause=labor"
    fetch(client, url)
    client.cookies["sessionid"] = "anything"
    assert fetch(client, url)[1] > 1


def test_a_page_with_a_form_is_never_kept_nor_shared(client, answers_cached, labor):
    url = labor.organizations.get().get_absolute_url()
    first, _ = fetch(client, url)
    assert "csrfmiddlewaretoken" in first.content.decode()
    assert "private" in first["Cache-Control"]
    again, queries = fetch(client, url)
    assert queries > 1


def test_head_is_answered_from_a_kept_get(client, answers_cached, labor):
    url = "/search/?near=94704&cause=labor"
    got, _ = fetch(client, url)
    with CaptureQueriesContext(connection) as ctx:
        head = client.head(url)
    assert len(ctx.captured_queries) == 1
    assert head.status_code == 200 and head.content == b""
    assert head["Cache-Control"] == got["Cache-Control"]


def test_a_cache_that_is_down_is_a_miss(client, dead_cache, labor):
    for _ in range(2):
        response, _ = fetch(client, "/search/?near=94704&cause=labor")
        assert response.status_code == 200 and "Berkeley Labor" in response.content.decode()
