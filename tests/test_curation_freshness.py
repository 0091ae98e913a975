"""Freshness: reconfirmation links, organizers' proposals, stale flags and search demotion."""

import datetime
import io
import re

from django.contrib.auth.models import User
from django.core import mail, signing
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from curation import services
from curation.models import Proposal, Reconfirmation
from directory.geocoding import Place
from directory.models import Organization, months_before
from directory.search import who_covers
from tests.factories import make_org

BERKELEY = Place("Berkeley, CA 94704", 37.8664, -122.2570, "zip", "CA", "US", "94704")


def long_ago(months):
    return months_before(timezone.localdate(), months)


def send(*args):
    out = io.StringIO()
    call_command("send_reconfirmations", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def link_path(message):
    return re.search(r"http://testserver(/confirm/\S+/)", message.body).group(1)


def test_months_before_clamps_to_the_end_of_the_month():
    assert months_before(datetime.date(2026, 3, 31), 1) == datetime.date(2026, 2, 28)
    assert months_before(datetime.date(2026, 1, 15), 13) == datetime.date(2024, 12, 15)


def test_send_reconfirmations_asks_only_organizers_due(cause):
    due = make_org(name="Due", last_verified=long_ago(7), causes=[cause])
    never = make_org(name="Never checked", last_verified=None, causes=[cause])
    make_org(name="Fresh", last_verified=long_ago(1), causes=[cause])
    make_org(name="No email", last_verified=long_ago(9), contact_email="", causes=[cause])
    make_org(name="Pending", last_verified=long_ago(9), status="pending", causes=[cause])
    assert "2 organizers would be asked" in send("--dry-run")
    assert not mail.outbox and not Reconfirmation.objects.exists()
    assert "2 reconfirmation emails sent" in send("--base-url", "http://testserver")
    assert sorted(m.to[0] for m in mail.outbox) == sorted([due.contact_email, never.contact_email])
    assert "Due" in next(m.body for m in mail.outbox if m.to == [due.contact_email])
    assert "0 reconfirmation emails sent" in send()  # not asked twice within the validity


def test_confirming_by_link_verifies_the_entry_once(client, cause):
    org = make_org(name="Due", last_verified=long_ago(8), causes=[cause])
    send("--base-url", "http://testserver")
    path = link_path(mail.outbox[0])
    page = client.get(path)
    assert page.status_code == 200 and "Yes, it is current" in page.content.decode()
    org.refresh_from_db()
    assert org.last_verified == long_ago(8)  # a GET (a mail scanner) changes nothing
    done = client.post(path, {"action": "confirm"})
    assert "confirmed current today" in done.content.decode()
    org.refresh_from_db()
    assert org.last_verified == timezone.localdate() and not org.is_stale
    record = org.history.first()
    assert record.history_change_reason == "Confirmed current by its organizer"
    reused = client.post(path, {"action": "confirm"})
    assert reused.status_code == 410 and "already used" in reused.content.decode()
    assert client.get(path).status_code == 410


def test_expired_and_tampered_links_are_refused(client, cause):
    org = make_org(causes=[cause])
    reconfirmation = Reconfirmation.objects.create(organization=org)
    token = services.reconfirmation_token(reconfirmation)
    with override_settings(CURATION_RECONFIRM_VALID_DAYS=0):
        expired = client.get(f"/confirm/{token}/")
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    for bad in (token[:-2] + "xx", "garbage", "a" * 300, "%00", signing.dumps(reconfirmation.pk)):
        assert client.get(f"/confirm/{bad}/").status_code in (400, 404), bad
    other = signing.dumps(999999, salt=services.RECONFIRM_SALT)
    assert client.get(f"/confirm/{other}/").status_code == 400
    assert client.post(f"/confirm/{token[:-1]}x/", {"action": "confirm"}).status_code == 400
    org.refresh_from_db()
    assert org.last_verified is None


def proposal_data(org, **changes):
    data = {name: getattr(org, name) for name in services.PROPOSABLE_FIELDS}
    data = {k: ("on" if v is True else "" if v is False else v) for k, v in data.items()}
    data.update(action="propose", **changes)
    return {k: v for k, v in data.items() if v != ""}


def test_proposed_edits_wait_for_a_curator_then_apply_with_history(client, cause):
    curator = User.objects.create_superuser("curator", "c@example.org", "pw")
    org = make_org(name="Berkeley Tenants", first_step="Old step", causes=[cause])
    token = services.reconfirmation_token(Reconfirmation.objects.create(organization=org))
    unchanged = client.post(f"/confirm/{token}/", proposal_data(org))
    assert "Nothing was changed" in unchanged.content.decode()
    bad = client.post(
        f"/confirm/{token}/", proposal_data(org, languages="klingon", website="javascript:x")
    )
    assert "languages" in bad.context["form"].errors and "website" in bad.context["form"].errors
    assert not Proposal.objects.exists()
    response = client.post(
        f"/confirm/{token}/",
        proposal_data(
            org, first_step="<b>Come Thursday</b>", childcare="on", note="We moved the meeting."
        ),
    )
    assert "saved for a curator" in response.content.decode()
    proposal = Proposal.objects.get()
    assert proposal.changes == {
        "first_step": ["Old step", "<b>Come Thursday</b>"],
        "childcare": [False, True],
    }
    org.refresh_from_db()
    assert org.first_step == "Old step"  # waits for a curator
    client.force_login(curator)
    queue = client.get("/admin/curation/proposal/").content.decode()
    assert "Berkeley Tenants" in queue
    detail = client.get(f"/admin/curation/proposal/{proposal.pk}/change/").content.decode()
    assert "&lt;b&gt;Come Thursday&lt;/b&gt;" in detail and "<b>Come Thursday</b>" not in detail
    client.post("/admin/curation/proposal/", {"action": "apply", "_selected_action": [proposal.pk]})
    org.refresh_from_db()
    assert org.first_step == "<b>Come Thursday</b>" and org.childcare
    assert org.last_verified == timezone.localdate()
    record = org.history.first()
    assert record.history_user == curator and "proposed edit" in record.history_change_reason
    assert client.get(f"/confirm/{token}/").status_code == 410


def test_stale_entries_are_flagged_in_the_admin_and_on_cards_in_distance_order(
    admin_client, client, cause
):
    stale = make_org(
        name="Stale Nearest",
        latitude=37.8664,
        longitude=-122.2570,
        last_verified=long_ago(13),
        causes=[cause],
    )
    fresh = make_org(
        name="Fresh Farther",
        latitude=37.8044,
        longitude=-122.2712,
        last_verified=long_ago(2),
        causes=[cause],
    )
    make_org(name="Stale National", coverage="national", last_verified=None, causes=[cause])
    make_org(
        name="A Fresh National", coverage="national", last_verified=long_ago(1), causes=[cause]
    )
    assert stale.is_stale and not fresh.is_stale
    outcome = who_covers(Organization.objects.published(), BERKELEY, 25)
    blocks = {block.key: [r.organization.name for r in block.results] for block in outcome.blocks}
    # Nearest first and names in order, whatever the freshness: an order a reader can explain.
    assert blocks["covering"] == ["Stale Nearest", "Fresh Farther"]
    assert blocks["national"] == ["A Fresh National", "Stale National"]
    # The stale entry says so on its card instead.
    page = client.get("/search/", {"near": "94704"}).content.decode()
    card = page[page.index("Stale Nearest") :]
    card = card[: card.index("</article>")]
    assert "Unconfirmed since" in card
    html = admin_client.get("/admin/directory/organization/?stale=yes").content.decode()
    assert "Stale Nearest" in html and "Fresh Farther" not in html
    with override_settings(CURATION_STALE_AFTER_MONTHS=24):
        stale.refresh_from_db()
        assert not stale.is_stale
