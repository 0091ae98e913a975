"""In Chromium: one primary action, the next meeting and its calendar file, and the suggest form."""

from datetime import time
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from directory import meetings
from tests.browser import Reader
from tests.factories import make_category, make_org
from tests.test_a11y_browser import _axe, axe_source  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser
SIGN_UP_ES = "Inscríbete"


@pytest.fixture
def groups(live_server, transactional_db):
    cause = make_category(slug="housing", name="Housing")
    rule = {"meeting_frequency": "MONTHLY", "meeting_byday": "-1SA", "meeting_time": time(10, 30)}
    signup = make_org(
        causes=[cause],
        name="Signup Tenants",
        signup_url="https://example.org/join",
        first_step="Sign up for our text list.",
        meeting_schedule="Last Saturday of the month, 10:30am",
        last_verified=timezone.localdate(),
        **rule,
    )
    contact = make_org(causes=[cause], name="Contact Tenants", latitude=37.87)
    return live_server.url, signup, contact


def test_group_page_leads_with_sign_up_and_downloads_the_next_meeting(browser, groups):
    site, signup, _ = groups
    reader = Reader(browser.new_context(accept_downloads=True))
    page = reader.page
    page.goto(site + signup.get_absolute_url())
    action = page.locator(".first-step .join-action")
    assert action.count() == 1 and action.is_visible()
    assert (action.inner_text(), action.get_attribute("href")) == (
        "Sign up",
        "https://example.org/join",
    )
    meeting = page.locator(".when__meeting")
    assert meeting.is_visible() and "Next meeting:" in meeting.inner_text()
    assert "10:30 a.m. P" in meeting.inner_text()  # the group's clock (PST or PDT)
    with page.expect_download() as info:
        page.get_by_role("link", name="Add to calendar").click()
    download = info.value
    assert download.suggested_filename == f"{signup.slug}-next-meeting.ics"
    (event,) = Calendar.from_ical(Path(download.path()).read_bytes()).walk("VEVENT")
    start = event.decoded("dtstart")
    assert start == meetings.next_meeting(signup).start
    assert (start.weekday(), start.hour, start.minute) == (5, 10, 30)
    assert "Confirmed" in page.locator(".org__header .confirmed-badge").inner_text()
    reader.assert_clean()
    reader.context.close()


def test_cards_show_one_primary_action_and_the_next_meeting_in_spanish_too(browser, groups):
    site, signup, contact = groups
    reader = Reader(browser.new_context())
    page = reader.page
    page.goto(site + "/search/?near=94704")
    signup_card = page.locator("article.card", has_text="Signup Tenants")
    contact_card = page.locator("article.card", has_text="Contact Tenants")
    assert signup_card.locator(".button").count() == 1
    assert signup_card.locator(".join-action--signup").get_attribute("href") == (
        "https://example.org/join"
    )
    assert signup_card.locator(".when__meeting").is_visible()
    contact_button = contact_card.locator(".join-action--contact")
    assert contact_button.get_attribute("href") == reverse("referrals:contact", args=[contact.slug])
    assert contact_card.locator(".when__meeting").count() == 0  # no rule, no made-up date
    with translation.override("es"):
        path = reverse("directory:search")
    page.goto(site + path + "?near=94704")
    card = page.locator("article.card", has_text="Signup Tenants")
    assert "Próxima reunión:" in card.locator(".when__meeting").inner_text()
    assert card.locator(".join-action").inner_text().startswith(SIGN_UP_ES)
    reader.assert_clean()
    reader.context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_suggest_form_and_group_page_pass_axe(browser, groups, axe_source, language):  # noqa: F811
    site, signup, _ = groups
    reader = Reader(browser.new_context())
    page = reader.page
    with translation.override(language):
        paths = [reverse("curation:suggest"), reverse("directory:organization", args=[signup.slug])]
    for path in paths:
        page.goto(site + path)
        assert _axe(page, axe_source) == [], path
    reader.assert_clean()
    reader.context.close()


def test_suggest_form_styles_every_box_and_puts_checkboxes_beside_labels(browser, groups):
    site, _, _ = groups
    reader = Reader(browser.new_context(viewport={"width": 375, "height": 812}))
    page = reader.page
    page.goto(site + reverse("curation:suggest"))
    assert page.locator("fieldset.form-group > legend").all_inner_texts() == [
        "The group",
        "Where",
        "How to join",
        "About you",
    ]

    def style(selector):
        return page.locator(selector).evaluate(
            "e => { const s = getComputedStyle(e); "
            "return [s.borderTopWidth, s.borderRadius, s.minHeight, s.width]; }"
        )

    assert style("#id_website") == style("#id_name")  # the url box looks like the text boxes
    assert page.locator("#id_summary").evaluate("e => e.tagName") == "TEXTAREA"
    box = page.locator("#id_is_organizer").bounding_box()
    label = page.locator("label[for=id_is_organizer]").bounding_box()
    assert box["x"] + box["width"] <= label["x"]  # beside, not above
    assert label["y"] <= box["y"] + box["height"] / 2 <= label["y"] + label["height"]
    assert box["width"] >= 18  # not the tiny native size
    reader.assert_clean()
    reader.context.close()
