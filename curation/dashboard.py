"""The curators' dashboard on the admin index: what is waiting, each count linking to its queue."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from curation.models import LinkCheck, Report, Review, Suggestion
from directory.models import Organization
from referrals.models import Referral


@dataclass(frozen=True)
class Queue:
    """One count on the dashboard and the filtered list that shows its items."""

    key: str
    label: str
    help: str
    count: int
    url: str


def _changelist(model, **filters):
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


# key, model, label, help, filters on the model's changelist, the rows counted.
QUEUES = [
    (
        "suggestions",
        Suggestion,
        _("Suggestions waiting"),
        _("Groups suggested by readers, not yet approved or rejected."),
        {"queue": Review.PENDING},
        lambda: Suggestion.objects.filter(status=Review.PENDING),
    ),
    (
        "reports",
        Report,
        _("Open problem reports"),
        _("Readers' reports of a wrong or outdated entry."),
        {"queue": Report.Status.OPEN},
        lambda: Report.objects.filter(status=Report.Status.OPEN),
    ),
    (
        "stale",
        Organization,
        _("Published entries to reconfirm"),
        _("Not confirmed by the group or a curator for a while: readers see a warning."),
        {"status__exact": Organization.Status.PUBLISHED, "stale": "yes"},
        lambda: Organization.objects.filter(status=Organization.Status.PUBLISHED).exclude(
            last_verified__gte=Organization.stale_cutoff()
        ),
    ),
    (
        "links",
        Organization,
        _("Entries with broken links"),
        _("Published entries with a link that failed the last two daily checks."),
        {"links": "failing"},
        lambda: LinkCheck.objects.failing_twice().organizations(),
    ),
    (
        "deliveries",
        Referral,
        _("Failed message deliveries"),
        _("Readers' messages the mail server refused until the relay gave up."),
        {"status__exact": Referral.Status.FAILED},
        lambda: Referral.objects.filter(status=Referral.Status.FAILED),
    ),
]


def waiting_queues(user):
    """The dashboard's counts this user may see: one count query per queue, whatever the data."""
    queues = []
    for key, model, label, help_text, filters, rows in QUEUES:
        opts = model._meta
        if not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            continue
        queues.append(Queue(key, label, help_text, rows().count(), _changelist(model, **filters)))
    return queues
