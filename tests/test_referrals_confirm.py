"""The reader confirms their address before a message goes out: nothing written is lost, and
nobody can have an organizer's reply sent to someone else's inbox."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from referrals.models import Referral
from referrals.services import confirm_token, deliver_due, referrals_purge
from tests.factories import make_org
from tests.outages import free_port
from tests.test_referrals_form import form_data, post


@pytest.fixture(autouse=True)
def _confirm_readers(settings):
    settings.REFERRALS_CONFIRM_READERS = True


@pytest.fixture
def org(db):
    return make_org(name="Tenants <United>", slug="tenants-united", contact_email="org@example.net")


def confirm_link(message):
    return re.search(r"https?://\S+/confirm-message/\S+/", message.body).group(0)


def test_a_message_is_held_until_the_reader_confirms_then_delivered(client, org):
    response = post(client, org)
    assert response.status_code == 302 and response.url.endswith("/contact/check-your-mail/")
    page = client.get(response.url).content.decode()
    assert "Check your mail to send your message" in page and "7 days" in page
    referral = Referral.objects.get()
    assert referral.status == "held" and referral.message.startswith("Hello!")  # stored at once

    assert deliver_due() == {"confirmation": 1}
    assert deliver_due() == {}  # one confirmation mail, not one per pass
    (confirmation,) = mail.outbox
    assert confirmation.to == ["ana@example.com"] and "org@example.net" not in confirmation.body
    link = confirm_link(confirmation).split("://", 1)[1].split("/", 1)[1]

    # Mail scanners open links: a GET only shows the button.
    ask = client.get(f"/{link}")
    assert ask.status_code == 200 and "Confirm and send" in ask.content.decode()
    assert "no-store" in ask["Cache-Control"]
    assert Referral.objects.get().status == "held"

    done = client.post(f"/{link}")
    assert "Your message is on its way" in done.content.decode()
    referral.refresh_from_db()
    assert referral.status == "pending" and referral.confirmed_at is not None
    assert deliver_due() == {"sent": 1}
    relay = mail.outbox[-1]
    assert relay.to == ["org@example.net"] and "ana@example.com" in relay.reply_to[0]
    again = client.post(f"/{link}")
    assert "confirmed already" in again.content.decode()
    assert len(mail.outbox) == 2


def test_a_confirmation_mail_that_fails_is_sent_by_the_next_pass(org, client, settings):
    post(client, org)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    assert deliver_due() == {}
    assert Referral.objects.get().confirm_sent_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver_due() == {"confirmation": 1}


def test_tampered_and_expired_links_are_refused(client, org, settings):
    post(client, org)
    referral = Referral.objects.get()
    token = confirm_token(referral)
    assert client.get(f"/confirm-message/{token[:-2]}xx/").status_code == 400
    assert client.post(f"/confirm-message/{token[:-2]}xx/").status_code == 400
    old = confirm_token(referral, issued=(timezone.now() - datetime.timedelta(days=8)).timestamp())
    expired = client.post(f"/confirm-message/{old}/")
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert Referral.objects.get().status == "held"


def test_messages_never_confirmed_are_erased_on_the_privacy_pages_schedule(client, org):
    post(client, org)
    post(client, org, email="bea@example.com", message="A second message.")
    old, recent = Referral.objects.order_by("pk")
    Referral.objects.filter(pk=old.pk).update(created=timezone.now() - datetime.timedelta(days=8))
    assert referrals_purge() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.name, old.email, old.message) == ("", "", "") and old.purged_at
    assert recent.message == "A second message." and not recent.purged_at
    # Its link now says so, and sends nothing.
    response = client.post(f"/confirm-message/{confirm_token(old)}/")
    assert response.status_code == 410 and not mail.outbox
    privacy = client.get("/privacy/").content.decode()
    assert "A message not confirmed within 7 days is erased" in privacy


def test_the_check_your_mail_page_speaks_spanish(client, org):
    response = client.post(f"/es/groups/{org.slug}/contact/", form_data(org))
    page = client.get(response.url).content.decode()
    assert "Revisa tu correo" in page
