"""Curators' view of the relay: the outbox, its attempts, resend, and responsiveness by group."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from referrals.models import Referral
from referrals.services import deliver_due, followup_answer, referral_deliver
from tests.factories import make_org
from tests.test_referrals_delivery import OutageBackend, submit


@pytest.fixture
def outbox(db, settings):
    settings.EMAIL_BACKEND = "tests.test_referrals_delivery.OutageBackend"
    good = make_org(name="Answers Fast", contact_email="fast@example.net")
    slow = make_org(name="Never Answers", contact_email="slow@example.net")
    OutageBackend.down = True
    try:
        failed = submit(slow, 1, name="<script>alert('x')</script>")
        settings.REFERRALS_RETRY_DELAYS = []
        referral_deliver(failed.pk)
    finally:
        OutageBackend.down = False
    for n in range(5):
        sent = submit(good, 10 + n)
        referral_deliver(sent.pk)
        followup_answer(sent, replied=n != 0)
    return {"good": good, "slow": slow, "failed": failed}


def test_outbox_lists_status_attempts_and_last_error(admin_client, outbox):
    html = admin_client.get("/admin/referrals/referral/").content.decode()
    assert "Failed: gave up" in html and "Delivered" in html
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in html
    assert "<script>alert" not in html
    for query in (
        "?status__exact=failed",
        "?via__exact=site",
        "?q=Never",
        "?answer__replied__exact=1",
    ):
        assert admin_client.get("/admin/referrals/referral/" + query).status_code == 200, query
    detail = admin_client.get(f"/admin/referrals/referral/{outbox['failed'].pk}/change/")
    page = detail.content.decode()
    assert detail.status_code == 200
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<script>alert('x')" not in page
    assert "Connection unexpectedly closed" in page  # the attempt log inline


def test_resend_action_queues_failed_messages_and_the_worker_delivers_them(admin_client, outbox):
    ids = list(Referral.objects.values_list("pk", flat=True))
    response = admin_client.post(
        "/admin/referrals/referral/",
        {"action": "resend", "_selected_action": ids},
        follow=True,
    )
    assert "1 message queued again" in response.content.decode()
    failed = Referral.objects.get(pk=outbox["failed"].pk)
    assert failed.status == "pending" and failed.failures == 0
    before = len(mail.outbox)
    assert deliver_due(now=timezone.now() + datetime.timedelta(seconds=1)) == {"sent": 1}
    assert len(mail.outbox) == before + 1
    assert mail.outbox[-1].to == ["slow@example.net"]


def test_messages_cannot_be_added_or_edited_in_the_admin(admin_client, outbox):
    assert admin_client.get("/admin/referrals/referral/add/").status_code == 403
    pk = outbox["failed"].pk
    admin_client.post(f"/admin/referrals/referral/{pk}/change/", {"message": "changed"})
    assert Referral.objects.get(pk=pk).message != "changed"


def test_responsiveness_by_group(admin_client, outbox, settings):
    settings.REFERRALS_REPLIES_MIN_ANSWERS = 5
    response = admin_client.get("/admin/referrals/referralstats/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Answers Fast" in html and "Never Answers" in html
    assert "80%" in html
    assert "needs 5 answers and 60% saying yes" in html
    rows = {
        name: row
        for row in html.split("<tr")
        for name in ("Answers Fast", "Never Answers")
        if f">{name}</a>" in row
    }
    assert 'field-total">5<' in rows["Answers Fast"]
    assert 'field-failed">1<' in rows["Never Answers"]
    assert 'alt="True"' in rows["Answers Fast"]  # usually replies
    assert admin_client.get("/admin/referrals/referralstats/?q=Never").status_code == 200
    assert admin_client.get("/admin/referrals/referralstats/?o=3").status_code == 200
