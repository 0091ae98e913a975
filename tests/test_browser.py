"""Real headless Chromium against a live server with the seed data: what a reader does."""

import pytest
from django.core.management import call_command

from tests.browser import Reader

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, transactional_db):
    call_command("loadseeds", verbosity=0)
    return live_server.url


@pytest.fixture
def reader(browser):
    context = browser.new_context()
    yield Reader(context)
    context.close()


def test_search_by_zip_with_javascript(site, reader):
    page = reader.page
    page.goto(site + "/")
    page.get_by_label("ZIP code or city").fill("94704")
    page.get_by_text("Immigrant rights", exact=True).first.click()
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/search/?*near=94704*")
    first_block = page.locator("section.block").first
    assert "Groups that cover Berkeley, CA" in first_block.locator("h2").inner_text()
    assert " mi" in first_block.locator(".card__distance").first.inner_text()

    # Live results: choosing another cause updates the list without reloading the page.
    page.evaluate("window.__notReloaded = true")
    # Results first: the form is folded into the one-line summary, which opens it.
    page.locator(".search-summary > summary").click()
    page.get_by_text("Housing & tenants", exact=True).first.click()
    page.wait_for_url("**cause=tenants**")
    page.wait_for_function("!document.querySelector('#results[aria-busy]')")
    assert page.evaluate("window.__notReloaded") is True
    assert page.locator("section.block .card").count() > 0
    reader.assert_clean()


def test_search_by_zip_without_javascript(site, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/")
    assert not page.get_by_role("button", name="Use my location").is_visible()
    page.get_by_label("ZIP code or city").fill("94704")
    page.get_by_text("Immigrant rights", exact=True).first.click()
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/search/?*near=94704*")
    headings = page.locator("section.block h2").all_inner_texts()
    assert headings[0].startswith("Groups that cover Berkeley, CA")
    assert any(h.startswith("Statewide") for h in headings)
    assert page.locator(".card__distance").count() > 3
    # A bad place is a clear message, and the form keeps what was typed.
    page.locator(".search-summary > summary").click()
    page.get_by_label("ZIP code or city").fill("Sprngfield")
    page.get_by_role("button", name="Search", exact=True).click()
    assert "Did you mean" in page.locator("#near-errors").inner_text()
    assert page.get_by_label("ZIP code or city").input_value() == "Sprngfield"
    context.close()


def test_use_my_location(site, browser):
    context = browser.new_context(
        geolocation={"latitude": 37.8716, "longitude": -122.2727}, permissions=["geolocation"]
    )
    reader = Reader(context)
    reader.page.goto(site + "/search/")
    reader.page.get_by_role("button", name="Use my location").click()
    reader.page.wait_for_url("**near=37.872%2C-122.273**")
    reader.page.wait_for_selector("section.block")
    assert "Berkeley" in reader.page.locator(".results__summary").inner_text()
    reader.assert_clean()
    context.close()


def test_map_without_tiles_shows_a_notice_and_markers(site, reader):
    page = reader.page
    page.goto(site + "/search/?near=94704&cause=immigrant-rights")
    page.wait_for_selector("#map.map--ready")
    assert "map--no-tiles" in page.locator("#map").get_attribute("class")
    assert page.locator("[data-map-notice]").is_visible()
    assert int(page.locator("#map").get_attribute("data-markers")) > 5
    assert page.locator("#map path.leaflet-interactive").count() > 5
    reader.assert_clean()


def test_pages_fit_a_320px_phone(site, browser):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    for path in ("/", "/search/?near=94704", "/groups/" + _any_slug() + "/", "/causes/"):
        page.goto(site + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    context.close()


def _any_slug():
    from directory.models import Organization

    return (
        Organization.objects.published()
        .filter(coverage="local")
        .values_list("slug", flat=True)
        .first()
    )
