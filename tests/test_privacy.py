"""Privacy housekeeping: what is kept is stated, purged on schedule, and erased on request."""

import datetime
import io
import re

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import models
from django.db.models.functions import Cast
from django.utils import timezone

from alerts import services as alerts_services
from curation import services
from curation.models import Proposal, Reconfirmation, Report, Review, Suggestion
from curation.privacy import ERASED_EMAIL_FIELDS, STAFF_EMAIL_FIELDS, person_erase
from directory.geocoding import geocode
from directory.models import Organization
from referrals.models import FollowupAnswer, Referral
from tests.factories import make_org

PERSON = "Sam.Reader@Example.com"
OTHER = "someone.else@example.com"
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def message(org, email, n, status="sent", days_ago=1):
    when = timezone.now() - datetime.timedelta(days=days_ago)
    return Referral.objects.create(
        organization=org,
        created=when,
        status=status,
        sent_at=when if status == "sent" else None,
        next_attempt_at=when if status == "pending" else None,
        name=f"Reader {n}",
        email=email,
        message=f"Message {n} from {email}: how do I join?",
        fingerprint=f"fingerprint-{n}",
        client_hash=f"hash-{n}",
        origin="https://groups.example.org",
        message_id=f"<{n}@groups.example.org>",
    )


@pytest.fixture
def traces(cause):
    """The person's address in every table that can hold one, and another person's beside it."""
    relay = make_org(causes=[cause], slug="relay", contact_email=PERSON.lower())
    relay.summary = "Changed once, so the history has two records with the address"
    relay.save()
    kept = make_org(causes=[cause], slug="kept", contact_email="organizer@example.net")
    suggested = services.suggestion_submit(
        {
            "name": "Sam's Tenants",
            "causes": [cause],
            "coverage": "local",
            "city": "Fresno",
            "state": "CA",
            "postal_code": "93721",
            "email": PERSON,
            "contact_email": PERSON.upper(),
            "note": "I am Sam, call me on 555 0100",
        }
    )
    services.suggestion_submit(
        {
            "name": "Other Group",
            "causes": [cause],
            "coverage": "online",
            "email": OTHER,
            "note": "Not Sam",
        }
    )
    services.report_submit(kept, {"reason": "other", "details": "Sam here", "email": PERSON})
    services.report_submit(kept, {"reason": "moved", "details": "Moved", "email": OTHER})
    sent = message(kept, PERSON, 1)
    FollowupAnswer.objects.create(referral=sent, replied=True, answered=timezone.now())
    message(kept, PERSON, 2, status="pending")
    message(kept, OTHER, 3)
    link = Reconfirmation.objects.create(organization=relay)
    Proposal.objects.create(
        organization=kept,
        reconfirmation=link,
        changes={"contact_email": ["organizer@example.net", PERSON], "phone": ["", "555"]},
    )
    User.objects.create_user("sam", email=PERSON, is_staff=True)
    place = geocode("59001")
    alerts_services.subscription_request(PERSON, place, [cause], origin="http://testserver")
    alerts_services.subscription_request(OTHER, place, [], origin="http://testserver")
    return {"relay": relay, "kept": kept, "suggested": suggested.organization}


def email_fields():
    return {
        f"{model._meta.app_label}.{model.__name__}.{f.name}"
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy
        for f in model._meta.concrete_fields
        if isinstance(f, models.EmailField) or "email" in f.name
    }


def rows_naming(address):
    """(table, field, count) for every text cell, in every table, that contains the address."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy:
            continue
        for f in model._meta.concrete_fields:
            if not isinstance(f, TEXT_FIELDS):
                continue
            rows = model._base_manager.annotate(_text=Cast(f.name, models.TextField()))
            count = rows.filter(_text__icontains=address).count()
            if count:
                found.append((model._meta.db_table, f.name, count))
    return found


def test_every_email_field_is_erased_or_knowingly_left_to_staff():
    # A new table holding an email must be taught to erase_person (curation/privacy.py).
    assert email_fields() == ERASED_EMAIL_FIELDS | STAFF_EMAIL_FIELDS


def test_the_fixture_touches_every_table_holding_an_email(traces):
    tables = {table for table, _field, _count in rows_naming(PERSON)}
    holding = {
        apps.get_model(label.rsplit(".", 1)[0])._meta.db_table
        for label in ERASED_EMAIL_FIELDS | STAFF_EMAIL_FIELDS
    }
    assert holding <= tables
    assert Proposal._meta.db_table in tables  # inside the JSON of a proposed edit


def test_erase_person_leaves_no_trace_anywhere_but_staff_accounts(traces):
    messages_before = Referral.objects.count()
    out, err = io.StringIO(), io.StringIO()
    call_command("erase_person", f"  {PERSON.upper()} ", stdout=out, stderr=err)
    assert rows_naming(PERSON) == [("auth_user", "email", 1)]
    # Their own words too: the note to curators, the report's details, the messages.
    assert rows_naming("call me on 555 0100") == rows_naming("Sam here") == []
    assert "messages: 2 erased" in out.getvalue() and "suggestions: 1 erased" in out.getvalue()
    assert "'relay'" in err.getvalue() and "'sam'" in err.getvalue()

    # Rows stay for counts, emptied; other people's data is untouched.
    assert Referral.objects.count() == messages_before
    erased = Referral.objects.filter(purged_at__isnull=False)
    assert erased.count() == 2 and not erased.filter(status="pending").exists()
    assert FollowupAnswer.objects.get().replied is True
    assert Referral.objects.get(email=OTHER).message.startswith("Message 3")
    assert Suggestion.objects.get(email=OTHER).note == "Not Sam"
    assert Report.objects.get(email=OTHER).details == "Moved"
    traces["kept"].refresh_from_db()
    assert traces["kept"].contact_email == "organizer@example.net"
    proposal = Proposal.objects.get()
    assert proposal.changes == {
        "contact_email": ["organizer@example.net", ""],
        "phone": ["", "555"],
    }
    relay = Organization.objects.get(slug="relay")
    assert relay.contact_email == "" and relay.summary.startswith("Changed once")
    latest = relay.history.first()
    assert latest.history_change_reason == "Private contact email erased on request"
    assert not relay.history.exclude(contact_email="").exists()

    again = io.StringIO()
    call_command("erase_person", PERSON, stdout=again, stderr=io.StringIO())
    assert "Nothing kept with this address." in again.getvalue()


def test_a_dry_run_counts_and_erases_nothing(traces):
    before = rows_naming(PERSON)
    erasure = person_erase(PERSON, dry_run=True)
    assert erasure.counts == {
        "messages": 2,
        "suggestions": 1,
        "reports": 1,
        "entries": 2,
        "history records": Organization.history.filter(contact_email__iexact=PERSON).count(),
        "proposed edits": 1,
        "alerts": 1,
    }
    assert rows_naming(PERSON) == before


def test_erase_person_refuses_what_is_not_an_address(db):
    with pytest.raises(CommandError, match="not an email address"):
        call_command("erase_person", "%", stdout=io.StringIO())


# --- Retention ---


def aged(item, days):
    type(item).objects.filter(pk=item.pk).update(
        created=timezone.now() - datetime.timedelta(days=days)
    )


def test_suggesters_and_reporters_addresses_are_purged_on_the_readers_schedule(cause, settings):
    settings.REFERRALS_RETENTION_DAYS = 30
    org = make_org(causes=[cause])

    def suggestion(n, status, days):
        made = services.suggestion_submit(
            {"name": f"Group {n}", "causes": [cause], "coverage": "online", "email": f"s{n}@x.org"}
        )
        if status != Review.PENDING:
            Suggestion.objects.filter(pk=made.pk).update(status=status, reviewed_at=timezone.now())
        aged(made, days)
        return made.pk

    def report(n, status, days):
        made = services.report_submit(org, {"reason": "other", "email": f"r{n}@x.org"})
        Report.objects.filter(pk=made.pk).update(status=status)
        aged(made, days)
        return made.pk

    old_reviewed = suggestion(1, Review.APPROVED, 31)
    old_pending = suggestion(2, Review.PENDING, 31)
    recent_rejected = suggestion(3, Review.REJECTED, 29)
    old_resolved = report(1, Report.Status.RESOLVED, 40)
    old_open = report(2, Report.Status.OPEN, 40)
    recent_dismissed = report(3, Report.Status.DISMISSED, 1)
    old_message = message(org, "reader@example.com", 9, days_ago=31)

    dry = io.StringIO()
    call_command("purge_curation", "--dry-run", stdout=dry)
    assert "1 suggesters', 1 reporters'" in dry.getvalue()
    assert Suggestion.objects.get(pk=old_reviewed).email == "s1@x.org"

    out = io.StringIO()
    call_command("purge_curation", stdout=out)
    call_command("purge_referrals", stdout=io.StringIO())
    assert "older than 30 days erased: 1 suggesters', 1 reporters'" in out.getvalue()
    emails = dict(Suggestion.objects.values_list("pk", "email"))
    assert emails[old_reviewed] == ""
    assert emails[old_pending] == "s2@x.org"  # a curator may still need to ask
    assert emails[recent_rejected] == "s3@x.org"
    emails = dict(Report.objects.values_list("pk", "email"))
    assert (emails[old_resolved], emails[old_open], emails[recent_dismissed]) == (
        "",
        "r2@x.org",
        "r3@x.org",
    )
    old_message.refresh_from_db()
    assert old_message.email == ""  # the same schedule as readers' messages
    with pytest.raises(CommandError, match="between 1 and"):
        call_command("purge_curation", "--days", "0")


# --- The privacy page ---


def test_the_privacy_page_states_what_is_kept_from_the_settings_in_force(client, db, settings):
    settings.REFERRALS_RETENTION_DAYS = 45
    settings.REFERRALS_FOLLOWUP_DAYS = 7
    settings.REFERRALS_CLIENT_WINDOW = 3600
    settings.REFERRALS_ORG_WINDOW = 86400
    settings.GEOCODER_ONLINE = "nominatim"
    settings.PRIVACY_CONTACT = "privacy@groups.example.org"
    response = client.get("/privacy/")
    text = re.sub(r"\s+", " ", response.content.decode())
    assert response.status_code == 200
    for said in [
        "45 days after you wrote",
        "7 days later",
        "keyed hash of the address, never the address itself",
        "at most 24 hours later",
        "Your email address is kept so that a curator can ask",
        "OpenStreetMap Nominatim",
        "should keep no search terms and no internet addresses in its logs",
        "Backup copies",
        'href="mailto:privacy@groups.example.org"',
    ]:
        assert said in text, said
    settings.GEOCODER_ONLINE = ""
    assert "Nominatim" not in client.get("/privacy/").content.decode()


def test_the_privacy_page_is_linked_from_every_page_footer_and_the_about_page(client, db):
    for url in ["/", "/about/", "/causes/"]:
        assert 'href="/privacy/"' in client.get(url).content.decode(), url


# --- A relay address set by a suggester ---


def test_the_admin_shows_a_suggested_relay_address_and_asks_to_confirm_it(admin_client, traces):
    suggestion = traces["suggested"].suggestion
    html = admin_client.get(f"/admin/curation/suggestion/{suggestion.pk}/change/").content.decode()
    assert 'class="relay-check"' in html and PERSON.upper() in html
    assert "confirm with the organizer" in html
    listing = admin_client.get("/admin/curation/suggestion/").content.decode()
    assert "relay address to confirm" in listing.lower()

    response = admin_client.post(
        "/admin/curation/suggestion/",
        {"action": "approve", "_selected_action": [suggestion.pk]},
        follow=True,
    )
    shown = [str(m) for m in response.context["messages"]]
    assert any("Confirm each address with the group's organizer" in m for m in shown), shown
