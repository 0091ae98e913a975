"""The contact form in real headless Chromium, with JavaScript off and on."""

import pytest
from django.core import mail
from django.core.cache import cache

from referrals.models import Referral
from tests.browser import Reader
from tests.factories import make_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def group(live_server, transactional_db, settings):
    cache.clear()
    settings.REFERRALS_FORM_MIN_SECONDS = 0
    # Delivered in the request, so the page can show it sent (the worker does it otherwise).
    settings.REFERRALS_DELIVER_AT_ONCE = True
    org = make_org(name="Lakeside Tenants", slug="lakeside", contact_email="org@example.net")
    yield live_server.url + org.get_absolute_url()
    cache.clear()


def fill(page, message="I'd like to join the next meeting."):
    page.get_by_label("Your name").fill("Ana Reader")
    page.get_by_label("Your email").fill("ana@example.com")
    page.get_by_label("Your message").fill(message)


def test_contact_form_without_javascript(group, browser, settings):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(group)
    # The honeypot is out of sight (off the page's left edge) and out of the tab order.
    trap = page.get_by_label("Leave this field empty")
    box = trap.bounding_box()
    assert box["x"] + box["width"] <= 0
    assert trap.get_attribute("tabindex") == "-1"
    assert "org@example.net" not in page.content()

    # Sent too fast: a clear message, and everything typed is still there.
    settings.REFERRALS_FORM_MIN_SECONDS = 3600
    fill(page)
    page.get_by_label("How did you hear about the group? (optional)").fill("A blog")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/groups/lakeside/contact/")
    assert "within seconds of opening it" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Your message").input_value() == "I'd like to join the next meeting."
    assert page.get_by_label("Your name").input_value() == "Ana Reader"
    assert Referral.objects.count() == 0

    # Pressing Send again once the form is old enough goes through.
    settings.REFERRALS_FORM_MIN_SECONDS = 0
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/groups/lakeside/contact/sent/")
    assert "Your message is on its way" in page.locator("h1").inner_text()
    referral = Referral.objects.get()
    assert (referral.status, referral.heard_from) == ("sent", "A blog")
    [message] = mail.outbox
    assert message.to == ["org@example.net"] and message.reply_to == [
        "Ana Reader <ana@example.com>"
    ]
    context.close()


def test_contact_form_with_javascript(group, browser):
    context = browser.new_context()
    reader = Reader(context)
    page = reader.page
    page.goto(group)
    counter = page.locator("[data-counter-for]")
    assert counter.inner_text() == "5000 characters left"
    fill(page, message="Hello!")
    assert counter.inner_text() == "4994 characters left"
    # The browser's own checks stop an empty email before anything is sent.
    page.get_by_label("Your email").fill("")
    page.get_by_role("button", name="Send").click()
    assert page.url == group
    page.get_by_label("Your email").fill("ana@example.com")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/groups/lakeside/contact/sent/")
    assert Referral.objects.get().status == "sent"
    assert len(mail.outbox) == 1
    # A second identical message (a reader pressing Back and Send) is refused, not duplicated.
    page.go_back()
    page.wait_for_url(group)
    page.reload()
    fill(page, message="Hello!")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/groups/lakeside/contact/")
    assert "You sent this same message" in page.get_by_role("alert").inner_text()
    assert Referral.objects.count() == 1
    reader.assert_clean()
    context.close()
