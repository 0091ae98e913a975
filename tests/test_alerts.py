"""Alerts: double opt-in, one signed unsubscribe link, retention, delivery through a mail server
that goes down (a real SMTP server on this machine), and erasure with erase_person."""

import datetime
import email
import re
import socket
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from alerts import services
from alerts.forms import SUBJECT, SubscribeForm
from alerts.models import AlertMail, Subscription
from directory.geocoding import geocode
from tests.factories import make_category, make_org
from tests.outages import SMTPServer

pytestmark = pytest.mark.django_db
ABSAROKEE = (45.52, -109.44)  # ZIP 59001's point, near enough
ADDRESS = "reader@example.com"


def stamped(seconds_ago=60):
    """A form stamp issued a minute ago, as a person's form would carry."""
    issued = timezone.now().timestamp() - seconds_ago
    return SubscribeForm.stamp(SUBJECT, issued=issued)


def post_subscribe(client, **fields):
    data = {"near": "59001", "email": ADDRESS, "token": stamped(), "leave_empty": ""}
    data.update(fields)
    return client.post(reverse("alerts:subscribe"), data)


def links(message):
    return re.findall(r"https?://\S+", message.body)


def confirm(client):
    """Follow the confirmation mail's link and press its button."""
    url = next(u for u in links(mail.outbox[-1]) if "/alerts/confirm/" in u)
    path = url.split("testserver", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and "Turn the alert on" in page.content.decode()
    return client.post(path)


def montana_group(**overrides):
    fields = {
        "city": "Absarokee",
        "state": "MT",
        "postal_code": "59001",
        "latitude": ABSAROKEE[0],
        "longitude": ABSAROKEE[1],
        "coverage_radius": 30,
    }
    return make_org(**{**fields, **overrides})


def test_nothing_is_sent_but_the_confirmation_until_it_is_confirmed(client):
    response = post_subscribe(client)
    assert response.status_code == 302 and response["Location"] == reverse("alerts:sent")
    subscription = Subscription.objects.get()
    assert subscription.confirmed_at is None and subscription.place_label == "Absarokee, MT 59001"
    services.deliver_due()
    assert len(mail.outbox) == 1 and "/alerts/confirm/" in mail.outbox[0].body
    montana_group(name="Stillwater Tenants")
    services.alerts_match()
    services.deliver_due()
    assert len(mail.outbox) == 1, "an unconfirmed alert sends nothing but its confirmation"
    # The page that says the mail is on its way never shows the address back.
    assert ADDRESS not in client.get(reverse("alerts:sent")).content.decode()


def test_confirmed_alert_mails_once_per_new_group_with_one_signed_unsubscribe_link(client):
    already = montana_group(name="Listed Before")
    post_subscribe(client)
    services.deliver_due()
    done = confirm(client)
    assert done.status_code == 200 and ADDRESS not in done.content.decode()
    assert Subscription.objects.get().confirmed_at is not None
    services.alerts_match()
    services.deliver_due()
    assert len(mail.outbox) == 1, "a group listed before the alert is not news"
    new = montana_group(name="Stillwater Tenants")
    make_org(name="Berkeley Only")  # covers Berkeley, not Absarokee
    assert services.alerts_match() == 1
    assert services.alerts_match() == 0, "running again queues nothing twice"
    services.deliver_due()
    alert = mail.outbox[-1]
    assert len(mail.outbox) == 2 and "Stillwater Tenants" in alert.subject
    assert already.name not in alert.body
    assert new.get_absolute_url() in alert.body
    unsubscribe = [u for u in links(alert) if "/alerts/stop/" in u]
    assert len(unsubscribe) == 1
    assert alert.extra_headers["List-Unsubscribe"] == f"<{unsubscribe[0]}>"
    # A page first (mail scanners follow links), then the button deletes everything.
    path = unsubscribe[0].split("testserver", 1)[1]
    assert client.get(path).status_code == 200
    assert Subscription.objects.count() == 1
    assert client.post(path).status_code == 200
    assert Subscription.objects.count() == 0 and AlertMail.objects.count() == 0
    assert client.get(path).status_code == 410
    tampered = path.replace("/stop/", "/stop/x")
    assert client.post(tampered).status_code == 410


def test_one_click_unsubscribe_needs_no_csrf_token(client, settings):
    subscription = services.subscription_request(
        ADDRESS, geocode("59001"), [], origin="http://testserver"
    )
    strict = type(client)(enforce_csrf_checks=True)
    url = reverse("alerts:unsubscribe", args=[services.unsubscribe_token(subscription)])
    assert strict.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not Subscription.objects.exists()


def test_causes_narrow_the_alert(client):
    tenants, labor = make_category(name="Tenants"), make_category(name="Labor")
    post_subscribe(client, cause=[tenants.slug])
    services.deliver_due()
    confirm(client)
    montana_group(name="Labor Only", causes=[labor])
    assert services.alerts_match() == 0
    montana_group(name="Tenants Here", causes=[tenants])
    assert services.alerts_match() == 1


def test_an_expired_or_altered_confirmation_link_is_refused(client):
    subscription = services.subscription_request(
        ADDRESS, geocode("59001"), [], origin="http://testserver"
    )
    old = services.confirm_token(subscription, issued=timezone.now().timestamp() - 8 * 86400)
    assert client.get(reverse("alerts:confirm", args=[old])).status_code == 410
    assert client.post(reverse("alerts:confirm", args=[old])).status_code == 410
    assert client.get(reverse("alerts:confirm", args=["nonsense"])).status_code == 400
    assert Subscription.objects.get().confirmed_at is None


def test_the_form_refuses_robots_and_unknown_places_and_keeps_what_was_typed(client):
    trapped = post_subscribe(client, leave_empty="http://spam.example")
    assert trapped.status_code == 200 and "hidden field" in trapped.content.decode()
    fast = post_subscribe(client, token=SubscribeForm.stamp(SUBJECT))
    assert "within seconds" in fast.content.decode()
    unknown = post_subscribe(client, near="Nowhereville, ZZ")
    assert unknown.status_code == 200 and 'value="Nowhereville, ZZ"' in unknown.content.decode()
    assert not Subscription.objects.exists()


def test_the_form_is_rate_limited_per_address(client, settings):
    settings.ALERTS_EMAIL_LIMIT = 2
    for _ in range(2):
        assert post_subscribe(client).status_code == 302
    refused = post_subscribe(client)
    assert refused.status_code == 429 and "several alerts" in refused.content.decode()
    assert Subscription.objects.count() == 1, "asking twice for one place keeps one alert"


def test_the_subscribe_page_is_prefilled_from_the_search(client):
    cause = make_category(name="Tenants")
    page = client.get(reverse("alerts:subscribe"), {"near": "59001", "cause": cause.slug})
    html = page.content.decode()
    assert page.status_code == 200 and 'value="59001"' in html
    assert f'value="{cause.slug}"' in html and "Tenants" in html
    # It carries a CSRF token and a form stamp: never kept by any cache.
    assert "no-store" in page["Cache-Control"]


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_mail_server_that_is_down_loses_nothing_and_sends_once_when_back(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.EMAIL_TIMEOUT = 2
    post_subscribe(client)
    now = timezone.now()
    assert services.deliver_due(now) == {"retry": 1}
    waiting = AlertMail.objects.get()
    assert (waiting.status, waiting.failures) == ("pending", 1)
    assert waiting.last_error.startswith("ConnectionRefusedError")
    assert services.deliver_due(now) == {}, "not retried before its backoff"
    server = SMTPServer()
    try:
        settings.EMAIL_PORT = server.port
        later = now + datetime.timedelta(seconds=settings.REFERRALS_RETRY_DELAYS[0] + 1)
        assert services.deliver_due(later) == {"sent": 1}
        assert services.deliver_due(later + datetime.timedelta(days=1)) == {}
    finally:
        server.close()
    assert len(server.messages) == 1
    received = server.messages[0]
    assert received["To"] == ADDRESS and "Confirm your alert" in received["Subject"]
    body = received.get_payload(decode=True).decode()
    assert "/alerts/confirm/" in body


def test_mails_are_written_in_the_language_the_reader_subscribed_in(client):
    client.post(
        reverse("alerts:subscribe").replace("/alerts/", "/es/alerts/"),
        {"near": "59001", "email": ADDRESS, "token": stamped(), "leave_empty": ""},
    )
    services.deliver_due()
    message = mail.outbox[0]
    assert "Confirma tu alerta" in message.subject
    assert "/es/alerts/confirm/" in message.body


def test_retention_purge_deletes_unconfirmed_and_expired_alerts(settings):
    now = timezone.now()
    place = geocode("59001")
    fresh = services.subscription_request("a@example.com", place, [], origin="http://x", now=now)
    stale = services.subscription_request(
        "b@example.com", place, [], origin="http://x", now=now - datetime.timedelta(days=8)
    )
    kept = services.subscription_request("c@example.com", place, [], origin="http://x")
    old = services.subscription_request("d@example.com", place, [], origin="http://x")
    services.subscription_confirm(kept, now=now - datetime.timedelta(days=364))
    services.subscription_confirm(old, now=now - datetime.timedelta(days=366))
    out = StringIO()
    call_command("purge_alerts", "--dry-run", stdout=out)
    assert "1 never confirmed" in out.getvalue() and Subscription.objects.count() == 4
    call_command("purge_alerts", stdout=StringIO())
    assert set(Subscription.objects.values_list("pk", flat=True)) == {fresh.pk, kept.pk}
    assert not AlertMail.objects.filter(subscription_id__in=[stale.pk, old.pk]).exists()


def test_erase_person_erases_their_alerts_too():
    place = geocode("59001")
    services.subscription_request("Reader@Example.com", place, [], origin="http://x")
    other = services.subscription_request("other@example.com", place, [], origin="http://x")
    out = StringIO()
    call_command("erase_person", "reader@example.com", stdout=out, stderr=StringIO())
    assert list(Subscription.objects.values_list("pk", flat=True)) == [other.pk]
    assert "alerts: 1 erased" in out.getvalue()


def test_send_alerts_command_matches_then_delivers():
    subscription = services.subscription_request(
        ADDRESS, geocode("59001"), [], origin="http://testserver"
    )
    services.subscription_confirm(subscription)
    montana_group(name="Stillwater Tenants")
    out = StringIO()
    call_command("send_alerts", "--dry-run", stdout=out)
    assert "1 alerts on" in out.getvalue() and not mail.outbox
    call_command("send_alerts", stdout=out)
    # The confirmation (never sent here) and the alert.
    assert "1 alerts queued" in out.getvalue()
    assert sorted(m.subject.split(" ")[0] for m in mail.outbox) == ["Confirm", "New"]
    raw = email.message_from_bytes(mail.outbox[-1].message().as_bytes())
    assert raw["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_mail_given_up_on_is_queued_again_from_the_admin(admin_client, settings):
    settings.REFERRALS_RETRY_DELAYS = []
    subscription = services.subscription_request(
        ADDRESS, geocode("59001"), [], origin="http://testserver"
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    assert services.deliver_due() == {"failed": 1}
    listing = admin_client.get(reverse("admin:alerts_alertmail_changelist"))
    assert listing.status_code == 200 and ADDRESS not in listing.content.decode()
    mail_row = subscription.mails.get()
    admin_client.post(
        reverse("admin:alerts_alertmail_changelist"),
        {"action": "send_again", "_selected_action": [mail_row.pk]},
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.deliver_due() == {"sent": 1} and len(mail.outbox) == 1


def test_the_spanish_far_search_and_alert_pages_have_no_english_left(client):
    from tests.test_i18n import _english_left

    make_org(name="Red Nacional", coverage="national", summary="Un grupo ficticio.")
    subscription = services.subscription_request(
        ADDRESS, geocode("59001"), [], origin="http://testserver"
    )
    pages = [
        "/es/search/?near=59001",
        "/es/alerts/?near=59001",
        "/es/alerts/sent/",
        "/es" + reverse("alerts:confirm", args=[services.confirm_token(subscription)]),
        "/es" + reverse("alerts:unsubscribe", args=[services.unsubscribe_token(subscription)]),
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert _english_left(response.content.decode()) == [], path
