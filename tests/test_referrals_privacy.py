"""Organizers' private addresses never appear in any public response, error or reader's mail."""

import html
import smtplib
import time
from urllib.parse import unquote

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.test import Client

from directory.models import Category, Organization
from referrals.forms import ContactForm
from referrals.models import Referral
from tests.factories import make_org

SEARCHES = [
    "/",
    "/search/",
    "/search/?near=94704",
    "/search/?near=94704&cause=immigrant-rights&radius=25",
    "/search/?near=Oakland%2C+CA&cause=tenants&cause=labor",
    "/search/?near=New+York%2C+NY&radius=3000",
    "/search/?near=37.87%2C-122.27&lang=es",
    "/search/?cause=immigrant-rights",
    "/search/?q=union&coverage=online&coverage=national",
    "/search/?near=Sprngfield",
    "/search/?near=94704&radius=-5",
    "/search/?near=%3Cscript%3E",
    "/causes/",
    "/about/",
    "/places/suggest/?q=oak",
    "/places/suggest/?q=new",
    "/healthz",
    # Error pages.
    "/no-such-page/",
    "/groups/no-such-group/",
    "/groups/no-such-group/contact/",
    "/causes/no-such-cause/",
    "/followup/nonsense/yes/",
]
# Other parts of the site (the widget, the APIs, feeds). Listed whether or not they exist yet, so
# the check covers them the day they are added.
ELSEWHERE = [
    "/embed/?near=94704",
    "/embed/?cause=immigrant-rights",
    "/embed/builder/",
    "/widget.js",
    "/oembed?url=http%3A%2F%2Ftestserver%2Fsearch%2F%3Fnear%3D94704",
    "/api/v1/organizations/?near=94704",
    "/api/v1/organizations/?cause=immigrant-rights",
    "/api/v1/organizations/",
    "/api/v1/schema/",
    "/api/hsds/",
    "/api/hsds/services/",
    "/api/hsds/organizations/",
    "/sitemap.xml",
    "/robots.txt",
]


@pytest.fixture
def secrets(seeded):
    """Every seeded organizer address (seeds loaded inside this test's transaction)."""
    addresses = list(
        Organization.objects.exclude(contact_email="").values_list("contact_email", flat=True)
    )
    assert len(addresses) > 200
    return {address.casefold() for address in addresses}


def leaked(secrets, body):
    text = body.decode("utf-8", "replace")
    text = html.unescape(unquote(text.replace("\\u0040", "@"))).casefold()
    return sorted(address for address in secrets if address in text)


def assert_no_leak(secrets, client, url, **kwargs):
    response = client.get(url, **kwargs)
    body = response.content if not response.streaming else b"".join(response.streaming_content)
    assert leaked(secrets, body) == [], url
    for name, value in response.items():
        assert leaked(secrets, value.encode()) == [], (url, name)
    return response


def test_no_public_page_shows_any_organizer_address(secrets):
    client = Client(raise_request_exception=False)
    published = list(Organization.objects.published().values_list("slug", flat=True))
    assert len(published) > 200
    urls = [*SEARCHES, *ELSEWHERE]
    urls += [f"/causes/{slug}/" for slug in Category.objects.values_list("slug", flat=True)]
    for slug in published:
        urls += [
            f"/groups/{slug}/",
            f"/groups/{slug}/?near=94704",
            f"/groups/{slug}/contact/",
            f"/groups/{slug}/contact/sent/",
        ]
    statuses = {}
    for url in urls:
        statuses[url] = assert_no_leak(secrets, client, url).status_code
    # The pages that must exist did render, so the check above read real pages.
    assert all(statuses[f"/groups/{slug}/contact/"] == 200 for slug in published)
    assert all(statuses[url] == 200 for url in SEARCHES[:17])
    assert statuses["/groups/no-such-group/"] == 404
    hidden = list(Organization.objects.exclude(status="published").values_list("slug", flat=True))
    assert len(hidden) >= 5
    for slug in hidden:
        assert assert_no_leak(secrets, client, f"/groups/{slug}/contact/").status_code == 404
        assert assert_no_leak(secrets, client, f"/groups/{slug}/").status_code == 404


@pytest.fixture
def group(db):
    """One group, and its address as the only secret."""
    org = make_org(contact_email="Private.Organizer+relay@example.net")
    return org, {org.contact_email.casefold()}


def test_the_leak_detector_finds_an_address_in_any_of_its_forms(group):
    org, secrets = group
    address = sorted(secrets)[0]
    local, domain = address.split("@")
    for form in (
        address,
        address.upper(),
        f"{local}%40{domain}",
        f"{local}&#64;{domain}",
        f"{local}\\u0040{domain}",
    ):
        assert leaked(secrets, f"<a href='mailto:{form}'>".encode()) == [address], form
    # The curators' admin does show it: the detector reads real pages.
    admin = Client(raise_request_exception=False)
    admin.force_login(_curator())
    assert leaked(secrets, admin.get(f"/admin/directory/organization/{org.pk}/change/").content)


def _curator():
    from django.contrib.auth.models import User

    return User.objects.create_superuser("curator", "curator@example.org", "pw")


class RefusingServer(locmem.EmailBackend):
    """A mail server that refuses the recipient, naming it in the error, as SMTP servers do."""

    def send_messages(self, messages):
        refused = {to: (550, b"5.1.1 mailbox unavailable") for m in messages for to in m.to}
        raise smtplib.SMTPRecipientsRefused(refused)


def contact_form(org):
    return {
        "name": "Ana Reader",
        "email": "ana@example.com",
        "message": "Hello, how can I help?",
        "token": ContactForm.stamp(org.pk, issued=time.time() - 60),
    }


def test_a_failed_delivery_never_shows_the_address_to_the_reader_or_the_logs(
    group, client, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.test_referrals_privacy.RefusingServer"
    settings.REFERRALS_DELIVER_AT_ONCE = True  # the failure is met in the request itself
    org, secrets = group
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/groups/{org.slug}/contact/", contact_form(org), follow=True)
    assert response.status_code == 200
    assert "Your message is on its way" in response.content.decode()
    assert leaked(secrets, response.content) == []
    referral = Referral.objects.get()
    assert referral.status == "pending"  # kept for the retry; curators see the error
    assert org.contact_email in referral.last_error
    assert org.contact_email not in caplog.text
    assert "delivery failed (SMTPRecipientsRefused)" in caplog.text


def test_error_responses_to_bad_submissions_never_show_the_address(group, client, settings):
    org, secrets = group
    url = f"/groups/{org.slug}/contact/"
    bad = [
        {**contact_form(org), "website": "spam"},
        {**contact_form(org), "token": "x"},
        {**contact_form(org), "email": "a@b.c\nBcc: x@y.z"},
        {**contact_form(org), "message": "m" * 20000},
        {},
    ]
    for data in bad:
        response = client.post(url, data)
        assert response.status_code == 200
        assert leaked(secrets, response.content) == []
    settings.REFERRALS_CLIENT_LIMIT = 0
    response = client.post(url, contact_form(org))
    assert response.status_code == 429
    assert leaked(secrets, response.content) == []
    assert mail.outbox == []
