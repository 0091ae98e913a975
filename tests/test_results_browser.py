"""Results first, in real Chromium with the seed data: the first result on a phone's first
screen, the one-line summary that opens the form (JavaScript on and off), and the far search at
Absarokee, MT (59001), which leads with groups joinable from anywhere and offers an alert."""

import re

import pytest
from django.core import mail
from django.core.management import call_command

from alerts import services as alerts
from alerts.models import Subscription
from tests.browser import Reader

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def site(live_server, transactional_db):
    call_command("loadseeds", verbosity=0)
    return live_server.url


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def phone(browser, request):
    context = browser.new_context(viewport=PHONE, java_script_enabled=request.param)
    reader = Reader(context)
    reader.javascript = request.param
    yield reader
    context.close()


def first_card_top(page):
    return page.locator(".cards .card").first.bounding_box()["y"]


def test_the_first_result_is_on_the_first_screen_of_a_phone(site, phone):
    page = phone.page
    page.goto(site + "/search/?near=94704&cause=immigrant-rights")
    assert first_card_top(page) < PHONE["height"]
    # The far search too, prompts and all.
    page.goto(site + "/search/?near=59001")
    assert first_card_top(page) < PHONE["height"]
    assert page.get_by_role("link", name="Get told when a group near you is listed").is_visible()
    phone.assert_clean()


def test_the_summary_opens_the_whole_form(site, phone):
    page = phone.page
    page.goto(site + "/search/?near=94704&cause=immigrant-rights")
    near = page.get_by_label("ZIP code or city")
    assert not near.is_visible()
    summary = page.locator(".search-summary > summary")
    what = page.locator("[data-search-summary]")
    assert what.inner_text() == "Berkeley, CA 94704 · Immigrant rights · 25 mi"
    assert summary.inner_text().endswith("Change")
    summary.click()
    assert near.is_visible() and near.input_value() == "94704"
    chips = page.locator(".search-summary .chips")
    # One scrollable row of causes, not a wall of them.
    row = chips.evaluate("el => [el.scrollWidth > el.clientWidth, getComputedStyle(el).flexWrap]")
    assert row == [True, "nowrap"]
    near.fill("59001")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**near=59001**")
    page.wait_for_function("!document.querySelector('#results[aria-busy]')")
    page.get_by_role("heading", name="No local group near Absarokee yet").wait_for()
    # The summary says how far the search had to reach, not the 25 miles asked for.
    assert re.fullmatch(
        r"Absarokee, MT 59001 · Immigrant rights · [\d,]+ mi \(widened\)", what.inner_text()
    )
    phone.assert_clean()


def test_a_far_search_leads_with_joinable_groups_and_offers_an_alert(site, browser, settings):
    settings.CURATION_FORM_MIN_SECONDS = 0
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    reader = Reader(context)
    page = reader.page
    page.goto(site + "/search/?near=59001")
    headings = page.locator("section.block h2").all_inner_texts()
    assert [re.sub(r" \(\d+\+?\)$", "", h) for h in headings] == [
        "National groups",
        "Online groups",
        "Other groups within 500 miles",
    ]
    far = page.locator("section.far")
    assert far.locator("h2").inner_text() == "No local group near Absarokee yet"
    suggest = far.get_by_role("link", name="Know a group here? Suggest it")
    assert "city=Absarokee" in suggest.get_attribute("href")
    far.get_by_role("link", name="Get told when a group near you is listed").click()
    page.wait_for_url("**/alerts/?near=59001")
    assert page.get_by_label("ZIP code or city").input_value() == "59001"
    page.get_by_label("Your email").fill("montanan@example.com")
    page.get_by_role("button", name="Send me the confirmation link").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    assert "montanan@example.com" not in page.content()
    alerts.deliver_due()
    link = re.search(r"https?://\S+/alerts/confirm/\S+", mail.outbox[-1].body)[0]
    page.goto(link)
    page.get_by_role("button", name="Turn the alert on").click()
    page.get_by_role("heading", name="The alert is on").wait_for()
    assert Subscription.objects.get().confirmed_at is not None
    reader.assert_clean()
    context.close()
