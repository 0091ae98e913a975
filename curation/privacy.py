"""What the site keeps about the people who write to it, how long, and erasing it on request.

Readers (their messages to groups), suggesters and reporters leave an email address, and often
words about themselves. Messages are erased by `purge_referrals`; suggesters' and reporters'
addresses by `purge_curation`, on the same schedule (REFERRALS_RETENTION_DAYS after they wrote,
once the item is dealt with). `erase_person` erases one person's data everywhere, at once.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.services import alerts_erase
from curation.history import one_record
from curation.models import Proposal, Report, Review, Suggestion
from directory.models import Organization
from referrals.models import Referral

# Every email field a person's address can be in, as "app_label.Model.field" (history
# included). tests/test_privacy.py fails when a model gains an email field not listed here.
ERASED_EMAIL_FIELDS = {
    "referrals.Referral.email",
    "alerts.Subscription.email",
    "curation.Suggestion.email",
    "curation.Report.email",
    "directory.Organization.contact_email",
    "directory.HistoricalOrganization.contact_email",
}
# Email fields that belong to staff accounts: reported, never changed by erase_person.
STAFF_EMAIL_FIELDS = {"auth.User.email"}


def contacts_purge(now=None, days=None, dry_run=False):
    """Erase suggesters' and reporters' addresses past retention, once dealt with.

    Returns (suggestions, reports) counted or erased. A suggestion still waiting for review, or
    a report still open, keeps its address until a curator closes it: they may need to ask.
    """
    now = now or timezone.now()
    days = settings.REFERRALS_RETENTION_DAYS if days is None else days
    before = now - datetime.timedelta(days=days)
    suggestions = (
        Suggestion.objects.filter(created__lt=before)
        .exclude(status=Review.PENDING)
        .exclude(email="")
    )
    reports = (
        Report.objects.filter(created__lt=before)
        .exclude(status=Report.Status.OPEN)
        .exclude(email="")
    )
    if dry_run:
        return suggestions.count(), reports.count()
    with transaction.atomic():
        return suggestions.update(email=""), reports.update(email="")


@dataclass
class Erasure:
    """What erase_person found and erased, table by table, and what it left for a person."""

    counts: dict = field(default_factory=dict)
    # Entries whose relay address was this person's: readers can no longer write to them.
    entries: list = field(default_factory=list)
    # Staff accounts with this address: an administrator deletes or edits those.
    accounts: list = field(default_factory=list)

    @property
    def total(self):
        return sum(self.counts.values())


def person_erase(email, *, dry_run=False, now=None):
    """Erase every trace of the person with this address: messages, suggestions, reports,
    relay addresses on entries and in their history, and proposed edits. Returns an Erasure.

    Rows stay (counts and statistics need them), emptied of the person's address and words.
    """
    email = email.strip()
    now = now or timezone.now()
    erasure = Erasure()
    history = Organization.history.model
    referrals = Referral.objects.filter(email__iexact=email)
    suggestions = Suggestion.objects.filter(email__iexact=email)
    reports = Report.objects.filter(email__iexact=email)
    entries = Organization.objects.filter(contact_email__iexact=email).order_by("pk")
    records = history.objects.filter(contact_email__iexact=email)
    proposals = [
        p for p in Proposal.objects.filter(changes__has_key="contact_email") if _names(p, email)
    ]
    erasure.entries = list(entries)
    erasure.accounts = list(
        get_user_model().objects.filter(email__iexact=email).values_list("username", flat=True)
    )
    if dry_run:
        erasure.counts = {
            "messages": referrals.count(),
            "suggestions": suggestions.count(),
            "reports": reports.count(),
            "entries": len(erasure.entries),
            "history records": records.count(),
            "proposed edits": len(proposals),
            "alerts": alerts_erase(email, dry_run=True),
        }
        return erasure
    with transaction.atomic():
        # A message not yet delivered is not delivered: its words are gone.
        undelivered = referrals.filter(
            status__in=[Referral.Status.PENDING, Referral.Status.SENDING]
        )
        undelivered.update(
            status=Referral.Status.FAILED,
            next_attempt_at=None,
            claimed_until=None,
            last_error=_("Erased at the writer's request before delivery."),
        )
        erasure.counts["messages"] = referrals.update(
            name="",
            email="",
            message="",
            heard_from="",
            fingerprint="",
            client_hash="",
            purged_at=now,
        )
        erasure.counts["suggestions"] = suggestions.update(email="", note="")
        erasure.counts["reports"] = reports.update(email="", details="")
        for org in erasure.entries:
            org.contact_email = ""
            # Kept in the history like any other change, without the address.
            with one_record(org, reason=_("Private contact email erased on request")):
                org.save(update_fields=["contact_email"])
        erasure.counts["entries"] = len(erasure.entries)
        erasure.counts["history records"] = records.update(contact_email="")
        for proposal in proposals:
            proposal.changes["contact_email"] = [
                "" if _same(value, email) else value for value in proposal.changes["contact_email"]
            ]
            proposal.save(update_fields=["changes"])
        erasure.counts["proposed edits"] = len(proposals)
        # An alert is nothing but the address: it is deleted, with its mails.
        erasure.counts["alerts"] = alerts_erase(email)
    return erasure


def _same(value, email):
    return isinstance(value, str) and value.strip().lower() == email.lower()


def _names(proposal, email):
    return any(_same(value, email) for value in proposal.changes.get("contact_email") or [])
