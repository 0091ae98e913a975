"""Delivery through real mail backends: store first, retries with backoff, give-up, exactly once."""

import datetime
import smtplib
import socket
import threading
from email.utils import getaddresses

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from referrals.guards import fingerprint
from referrals.models import DeliveryAttempt, Referral
from referrals.services import deliver_due, referral_deliver, referral_submit, referrals_requeue
from tests.factories import make_org

OUTAGE_BACKEND = "tests.test_referrals_delivery.OutageBackend"


class OutageBackend(locmem.EmailBackend):
    """The locmem backend behind a mail server that can go down: raises like SMTP does."""

    down = False

    def send_messages(self, messages):
        if OutageBackend.down:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def outage(settings):
    settings.EMAIL_BACKEND = OUTAGE_BACKEND
    OutageBackend.down = True
    yield OutageBackend
    OutageBackend.down = False


@pytest.fixture
def org(db):
    return make_org(name="Riverside Tenants", slug="riverside", contact_email="org@example.net")


def submit(org, n=0, now=None, **fields):
    data = {
        "name": f"Reader {n}",
        "email": f"reader{n}@example.com",
        "message": f"Message number {n}: how do I join?",
        "heard_from": "",
        "via": "site",
        **fields,
    }
    data["fingerprint"] = fingerprint(org.pk, data["email"], data["message"])
    return referral_submit(org, data, client="h" * 64, origin="https://groups.example.org", now=now)


@pytest.fixture(autouse=True)
def _deliver_at_once(settings):
    # These tests follow the optional in-request attempt too; the worker alone is the default.
    settings.REFERRALS_DELIVER_AT_ONCE = True


def test_the_relay_mail_has_the_site_as_sender_the_reader_as_reply_to_and_a_message_id(
    org, settings, django_capture_on_commit_callbacks
):
    settings.DEFAULT_FROM_EMAIL = "orgsite <noreply@example.org>"
    with django_capture_on_commit_callbacks(execute=True):
        referral = submit(
            org,
            name="O'Brien, Ann & <Co> Ñandú",
            message="Line one <b>bold?</b>\nLine two & more",
            heard_from="Your newsletter",
        )
    [sent] = mail.outbox
    message = sent.message()
    assert message["From"] == "orgsite <noreply@example.org>"
    assert message["To"] == "org@example.net"
    [(name, address)] = getaddresses([str(message["Reply-To"])])
    assert address == "reader0@example.com"
    referral.refresh_from_db()
    assert message["Message-ID"] == referral.message_id
    assert referral.message_id.endswith("@groups.example.org>")
    assert message.get_content_type() == "text/plain"
    body = sent.body
    # Plain text, not HTML-escaped; says where it came from and how to answer.
    assert "Line one <b>bold?</b>\nLine two & more" in body
    assert "O'Brien, Ann & <Co> Ñandú wrote to Riverside Tenants through orgsite" in body
    assert "https://groups.example.org/groups/riverside/" in body
    assert "How they heard about you: Your newsletter" in body
    assert "reply to this email" in body
    assert "O'Brien" in sent.subject and "\n" not in sent.subject


def test_the_message_is_stored_before_any_mail_and_not_sent_if_the_store_rolls_back(
    org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        submit(org)
        assert mail.outbox == []  # nothing leaves before the record is committed
        transaction.set_rollback(True)
    assert Referral.objects.count() == 0
    assert mail.outbox == []


def test_a_mail_outage_of_any_length_loses_nothing_and_duplicates_nothing(
    org, outage, django_capture_on_commit_callbacks
):
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        referrals = [submit(org, n, now=start) for n in range(100)]
    # Every message is stored, none delivered; each first attempt is recorded with its error.
    assert Referral.objects.filter(status="pending").count() == 100
    assert DeliveryAttempt.objects.filter(ok=False).count() == 100
    assert mail.outbox == []

    # The worker keeps trying on the backoff schedule while the server is down.
    stored = timezone.now()
    assert deliver_due(now=start + datetime.timedelta(seconds=30)) == {}  # nothing due yet
    assert deliver_due(now=stored + datetime.timedelta(seconds=61)) == {"retry": 100}
    assert deliver_due(now=stored + datetime.timedelta(seconds=400)) == {"retry": 100}
    assert mail.outbox == []

    outage.down = False
    assert deliver_due(now=stored + datetime.timedelta(seconds=2000)) == {"sent": 100}
    # Later passes find nothing to do: no message goes out twice.
    assert deliver_due(now=stored + datetime.timedelta(days=5)) == {}
    assert len(mail.outbox) == 100
    sent_ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert sorted(sent_ids) == sorted(r.message_id for r in referrals)
    assert len(set(sent_ids)) == 100
    assert sorted(m.body.split("Message number ")[1].split(":")[0] for m in mail.outbox) == sorted(
        str(n) for n in range(100)
    )
    for referral in Referral.objects.all():
        assert (referral.status, referral.attempts, referral.last_error) == ("sent", 4, "")
        assert referral.attempt_log.filter(ok=True).count() == 1


def test_retries_back_off_then_give_up_and_a_resend_delivers(org, outage, settings):
    settings.REFERRALS_RETRY_DELAYS = [10, 100]
    start = timezone.now()
    referral = submit(org, now=start)
    assert referral_deliver(referral.pk, now=start) == "retry"
    referral.refresh_from_db()
    assert referral.next_attempt_at == start + datetime.timedelta(seconds=10)
    assert referral_deliver(referral.pk, now=start + datetime.timedelta(seconds=5)) is None
    assert referral_deliver(referral.pk, now=start + datetime.timedelta(seconds=10)) == "retry"
    referral.refresh_from_db()
    assert referral.next_attempt_at == start + datetime.timedelta(seconds=110)
    assert referral_deliver(referral.pk, now=start + datetime.timedelta(seconds=110)) == "failed"
    referral.refresh_from_db()
    assert referral.status == "failed" and referral.next_attempt_at is None
    assert referral.attempts == 3
    assert referral.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert deliver_due(now=start + datetime.timedelta(days=30)) == {}

    outage.down = False
    assert referrals_requeue(Referral.objects.all()) == 1
    assert deliver_due() == {"sent": 1}
    referral.refresh_from_db()
    assert (referral.status, referral.attempts, len(mail.outbox)) == ("sent", 4, 1)
    # A delivered message is not requeued by a second "resend".
    assert referrals_requeue(Referral.objects.all()) == 0


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_real_smtp_backend_with_the_server_down_records_the_error(org, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    referral = submit(org)
    assert referral_deliver(referral.pk) == "retry"
    referral.refresh_from_db()
    assert referral.last_error.startswith("ConnectionRefusedError")
    assert referral.status == "pending"


def test_a_mail_server_that_hangs_is_abandoned_after_the_timeout(org, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_TIMEOUT = 1
    with socket.socket() as server:
        # Accepts connections (the kernel's backlog) but never says hello.
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.getsockname()[1]
        referral = submit(org)
        started = timezone.now()
        assert referral_deliver(referral.pk) == "retry"
        elapsed = (timezone.now() - started).total_seconds()
    referral.refresh_from_db()
    assert 0.9 <= elapsed < 5
    assert "timed out" in referral.last_error or "Timeout" in referral.last_error


def test_a_header_injection_that_bypasses_the_form_is_refused_by_the_mailer(org):
    referral = submit(org, name="Eve\r\nBcc: victim@example.com")
    assert referral_deliver(referral.pk) == "retry"
    referral.refresh_from_db()
    assert referral.last_error.startswith("BadHeaderError")
    assert mail.outbox == []


def test_a_group_without_an_address_fails_at_once_for_curators_to_fix(org):
    referral = submit(org)
    org.contact_email = ""
    org.save()
    assert referral_deliver(referral.pk) == "failed"
    referral.refresh_from_db()
    assert "no private contact address" in referral.last_error


def test_a_claimed_message_is_not_delivered_by_a_second_worker(org):
    referral = submit(org)
    now = timezone.now()
    # The first worker's claim is the conditional UPDATE; a second claim finds nothing.
    assert (
        Referral.objects.due(now)
        .filter(pk=referral.pk)
        .update(status="sending", claimed_until=now + datetime.timedelta(minutes=5))
    )
    assert referral_deliver(referral.pk, now=now) is None
    assert mail.outbox == []
    # A worker that died mid-send leaves its claim; once the lease ends the message is retried.
    assert referral_deliver(referral.pk, now=now + datetime.timedelta(minutes=6)) == "sent"
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_deliver_each_message_exactly_once(settings):
    if connection.vendor == "sqlite":
        # Threads on the in-memory test database share one cache and fail with "table is
        # locked" instead of waiting; tests/test_worker.py runs worker processes on a file.
        pytest.skip("needs separate connections to one database: see tests/test_worker.py")
    settings.REFERRALS_DELIVER_AT_ONCE = False  # the workers, not the requests, deliver
    org = make_org(contact_email="org@example.net")
    for n in range(60):
        submit(org, n)
    errors = []

    def worker():
        from django.db import connection as own

        try:
            while deliver_due(limit=7):
                pass
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            own.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert len(ids) == 60 == len(set(ids))
    assert Referral.objects.filter(status="sent", attempts=1).count() == 60


def test_deliver_messages_command(org, outage, settings):
    settings.REFERRALS_RETRY_DELAYS = [0]
    submit(org, 1)
    submit(org, 2)
    out = call_command_text("deliver_messages", "--dry-run")
    assert "Dry run, nothing sent: 2 due now, 0 given up." in out
    assert "2 retry" in call_command_text("deliver_messages")
    assert "2 failed" in call_command_text("deliver_messages")
    assert Referral.objects.filter(status="failed").count() == 2
    outage.down = False
    out = call_command_text(
        "deliver_messages", "--retry-failed", "--loop", "--passes=2", "--interval=0.01"
    )
    assert "2 failed messages queued again." in out and "2 sent" in out
    assert len(mail.outbox) == 2
    assert call_command_text("deliver_messages", "--loop", "--passes=1") == ""


@pytest.mark.parametrize(
    "args",
    [
        ["--limit=-5"],
        ["--limit=abc"],
        ["--interval=0"],
        ["--interval=nan"],
        ["--interval=1e9"],
        ["--passes=2"],
        ["--limit=\x00"],
    ],
)
def test_deliver_messages_refuses_bad_arguments(db, args):
    with pytest.raises(CommandError):
        call_command("deliver_messages", *args)


def call_command_text(*args):
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
