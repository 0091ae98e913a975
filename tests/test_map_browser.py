"""Leaflet is fetched only when a map is wanted: on a group page when the reader asks for it, on
the search page when the map scrolls into view. Real Chromium against a live server."""

import pytest

from tests.browser import Reader
from tests.factories import make_category, make_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, transactional_db):
    cause = make_category(slug="immigrant-rights", name="Immigrant rights")
    for n in range(12):
        make_org(causes=[cause], name=f"Group {n}", slug=f"group-{n}", latitude=37.86 + n / 100)
    return live_server.url


def _leaflet_requests(reader):
    requests = []
    reader.page.on("request", lambda r: "/leaflet/" in r.url and requests.append(r.url))
    return requests


def test_a_group_page_loads_leaflet_only_when_asked_for_the_map(site, browser):
    reader = Reader(browser.new_context())
    requests = _leaflet_requests(reader)
    reader.page.goto(site + "/groups/group-3/")
    reader.page.wait_for_load_state("networkidle")
    assert requests == []
    reader.page.get_by_role("button", name="Show on a map").click()
    reader.page.wait_for_selector("#map.map--ready")
    assert reader.page.locator("#map").get_attribute("data-markers") == "1"
    assert sorted(url.rsplit("/", 1)[1].split(".")[-1] for url in requests) == ["css", "js"]
    reader.assert_clean()
    reader.context.close()


def test_the_search_page_loads_leaflet_when_the_map_scrolls_into_view(site, browser):
    # On a phone the map comes after the results, well below the fold.
    reader = Reader(browser.new_context(viewport={"width": 360, "height": 640}))
    requests = _leaflet_requests(reader)
    reader.page.goto(site + "/search/?near=94704&cause=immigrant-rights")
    reader.page.wait_for_load_state("networkidle")
    assert requests == []
    reader.page.locator("#map").scroll_into_view_if_needed()
    reader.page.wait_for_selector("#map.map--ready")
    markers = int(reader.page.locator("#map").get_attribute("data-markers"))
    assert markers == reader.page.locator(".card").count() > 5
    assert len(requests) == 2
    reader.assert_clean()
    reader.context.close()
