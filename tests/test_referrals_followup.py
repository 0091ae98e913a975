"""Follow-up mails and their one-click links, the "usually replies" figure, erasure, the admin."""

import datetime
import re
import time
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from referrals.forms import ContactForm
from referrals.models import FollowupAnswer, Referral
from referrals.services import followup_answer, followup_send, followup_token, referrals_purge
from tests.factories import make_org


@pytest.fixture
def org(db):
    return make_org(name="Harbor Workers", slug="harbor", contact_email="org@example.net")


def delivered(org, days_ago=8, n=0, **fields):
    when = timezone.now() - datetime.timedelta(days=days_ago)
    values = {
        "organization": org,
        "created": when,
        "sent_at": when,
        "status": "sent",
        "name": f"Reader {n}",
        "email": f"reader{n}@example.com",
        "message": "How do I join?",
        "origin": "https://groups.example.org",
        "message_id": f"<{n}.{time.time()}@groups.example.org>",
        **fields,
    }
    return Referral.objects.create(**values)


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def links(message):
    return re.findall(r"https://groups\.example\.org(/followup/\S+/(?:yes|no)/)", message.body)


def test_follow_up_goes_once_after_the_delay_to_the_reader_only(org):
    due = delivered(org, days_ago=8)
    delivered(org, days_ago=2, n=1)  # too recent
    delivered(org, days_ago=9, n=2, status="failed")  # never delivered: nothing to ask
    assert "Dry run, nothing sent: 1 follow-ups due." in run("send_followups", "--dry-run")
    assert mail.outbox == []
    assert "1 follow-ups sent" in run("send_followups")
    assert "0 follow-ups sent" in run("send_followups")
    [message] = mail.outbox
    assert message.to == ["reader0@example.com"]
    assert message.subject == "Did Harbor Workers get back to you?"
    assert "org@example.net" not in message.body + message.subject
    yes, no = links(message)
    assert yes.endswith("/yes/") and no.endswith("/no/")
    due.refresh_from_db()
    assert due.followup_sent_at is not None


def test_a_failed_follow_up_is_tried_again_next_run(org, settings):
    referral = delivered(org)
    settings.EMAIL_BACKEND = "tests.test_referrals_delivery.OutageBackend"
    from tests.test_referrals_delivery import OutageBackend

    OutageBackend.down = True
    try:
        assert followup_send(referral.pk) is False
    finally:
        OutageBackend.down = False
    referral.refresh_from_db()
    assert referral.followup_sent_at is None
    assert followup_send(referral.pk) is True
    assert followup_send(referral.pk) is False  # never twice
    assert len(mail.outbox) == 1


def test_a_link_shows_a_confirmation_and_only_the_post_counts(client, org):
    referral = delivered(org)
    followup_send(referral.pk)
    yes, no = links(mail.outbox[0])
    page = client.get(yes)
    assert page.status_code == 200
    assert "Did Harbor Workers get back to you?" in page.content.decode()
    assert FollowupAnswer.objects.count() == 0  # a mail scanner opening the link changes nothing
    done = client.post(yes)
    assert "Thank you for answering" in done.content.decode()
    assert FollowupAnswer.objects.get().replied is True
    # Reused, even with the other answer: the first answer stands.
    again = client.post(no)
    assert "You have already answered" in again.content.decode()
    assert client.get(no).status_code == 200
    assert FollowupAnswer.objects.get().replied is True


def test_expired_and_tampered_links_are_refused_clearly(client, org, settings):
    referral = delivered(org)
    old = followup_token(
        referral, issued=time.time() - (settings.REFERRALS_FOLLOWUP_VALID_DAYS * 86400 + 60)
    )
    response = client.post(f"/followup/{old}/yes/")
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    good = followup_token(referral)
    for bad in (good[:-2] + "xx", good.replace(":", ":1", 1), "nonsense", "a" * 5000):
        response = client.post(f"/followup/{bad}/no/")
        assert response.status_code == 400, bad
        assert "This link does not work" in response.content.decode()
    # A token from the contact form cannot answer a follow-up.
    wrong_kind = ContactForm.stamp(referral.pk)
    assert client.post(f"/followup/{wrong_kind}/yes/").status_code == 400
    assert client.get(f"/followup/{good}/maybe/").status_code == 404
    assert FollowupAnswer.objects.count() == 0
    referral.delete()
    assert client.get(f"/followup/{good}/yes/").status_code == 400


def test_usually_replies_needs_enough_answers_and_enough_yeses(client, org, settings):
    settings.REFERRALS_REPLIES_MIN_ANSWERS = 5
    settings.REFERRALS_REPLIES_MIN_PERCENT = 60
    n = iter(range(100))

    def answer(*replies):
        for replied in replies:
            followup_answer(delivered(org, n=next(n)), replied)
        return client.get(org.get_absolute_url()).content.decode()

    assert "Usually replies" not in answer(True, True, True, True)  # 4 answers: too few
    assert "Usually replies" not in answer(False, False, False)  # 4 of 7 (57%): too few yeses
    page = answer(True)  # 5 of 8: 63%
    assert "Usually replies: 63% of readers who wrote said the group got back to them" in page
    assert "(8 answers)" in page
    assert "Usually replies: 63%" in client.get(f"/groups/{org.slug}/contact/").content.decode()


def test_purge_erases_words_and_addresses_but_keeps_counts_and_answers(org):
    old = delivered(org, days_ago=100, n=1, heard_from="a friend", client_hash="h" * 64)
    followup_answer(old, True)
    recent = delivered(org, days_ago=10, n=2)
    delivered(
        org, days_ago=100, n=3, status="pending", sent_at=None, next_attempt_at=timezone.now()
    )
    assert "Dry run, nothing erased: 1 messages older than 90 days would be erased" in run(
        "purge_referrals", "--dry-run"
    )
    old.refresh_from_db()
    assert old.message == "How do I join?"
    assert "1 messages older than 90 days erased" in run("purge_referrals")
    old.refresh_from_db()
    assert (old.name, old.email, old.message, old.heard_from, old.client_hash) == ("",) * 5
    assert old.purged_at is not None and old.status == "sent"
    assert old.answer.replied is True
    recent.refresh_from_db()
    assert recent.message == "How do I join?"
    assert Referral.objects.filter(organization=org).count() == 3
    assert referrals_purge() == 0  # idempotent
    assert "1 messages older than 5 days erased" in run("purge_referrals", "--days=5")


@pytest.mark.parametrize("days", ["-1", "0", "abc", "99999999", "\x00"])
def test_purge_refuses_bad_days(db, days):
    with pytest.raises(CommandError):
        call_command("purge_referrals", f"--days={days}")


def test_the_database_refuses_a_purged_row_that_still_holds_words(org):
    from django.db import IntegrityError, transaction

    referral = delivered(org)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(purged_at=timezone.now())


def test_a_follow_up_after_purge_is_not_sent(org):
    referral = delivered(org, days_ago=100)
    referrals_purge()
    assert "Dry run, nothing sent: 0 follow-ups due." in run("send_followups", "--dry-run")
    assert followup_send(referral.pk) is False
    assert mail.outbox == []
