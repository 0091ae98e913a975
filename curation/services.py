"""The curators' writes: each one named function, used by the views, the admin, commands and tests.

Every change to an organization goes through `history.one_record`, so it leaves one history
record with who made it and why.
"""

import logging

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from abuse import tokens
from curation.duplicates import possible_duplicates
from curation.history import one_record
from curation.models import Proposal, Reconfirmation, Report, Review, Suggestion
from directory.models import Organization, months_before
from directory.placing import locate
from directory.slugs import slug_base, unused_slug

logger = logging.getLogger(__name__)

RECONFIRM_SALT = "curation.reconfirm"
# Default reach of a suggested group, until a curator sets it.
SUGGESTED_RADIUS = {"local": 10, "regional": 50}
# Fields an organizer may propose to change from the reconfirmation page.
PROPOSABLE_FIELDS = [
    "name",
    "summary",
    "description",
    "city",
    "state",
    "postal_code",
    "website",
    "signup_url",
    "phone",
    "social_links",
    "first_step",
    "meeting_schedule",
    "languages",
    "accessibility",
    "dues_required",
    "childcare",
    "asl",
    "virtual_participation",
    "contact_email",
]
# Filled on the entry kept by a merge when it has nothing there and a duplicate has.
MERGE_FILLED_FIELDS = [
    "summary",
    "description",
    "address",
    "city",
    "state",
    "postal_code",
    "website",
    "signup_url",
    "phone",
    "social_links",
    "first_step",
    "meeting_schedule",
    "accessibility",
    "contact_email",
    "external_id",
]


class CurationError(Exception):
    """A curation step that cannot be done; the message says why, for the curator."""


class LinkUsed(Exception):
    """A reconfirmation link already used once."""

    def __init__(self, reconfirmation):
        super().__init__()
        self.reconfirmation = reconfirmation


# --- Suggestions ---


def suggestion_submit(data):
    """Store a reader's suggested group as a pending entry, placed offline, with its duplicates."""
    org = Organization(
        name=data["name"],
        slug=unused_slug(slug_base(data["name"])),
        summary=data.get("summary", ""),
        city=data.get("city", ""),
        state=data.get("state", ""),
        postal_code=data.get("postal_code", ""),
        country=data.get("country") or "US",
        coverage=data["coverage"],
        coverage_radius=SUGGESTED_RADIUS.get(data["coverage"]),
        website=data.get("website", ""),
        first_step=data.get("first_step", ""),
        meeting_schedule=data.get("meeting_schedule", ""),
        contact_email=data.get("contact_email", ""),
        status=Organization.Status.PENDING,
        source=_("Suggested through the site"),
    )
    if org.coverage not in (Organization.Coverage.NATIONAL, Organization.Coverage.ONLINE):
        locate(org)
    with transaction.atomic():
        with one_record(org, reason=_("Suggested through the site")):
            org.save()
            org.causes.set(data["causes"])
        suggestion = Suggestion.objects.create(
            organization=org,
            email=data["email"],
            is_organizer=data.get("is_organizer", False),
            note=data.get("note", ""),
        )
        suggestion.possible_duplicates.set(possible_duplicates(org))
    return suggestion


def _reviewable(item):
    if item.status != Review.PENDING:
        raise CurationError(
            _("“%(item)s” was already reviewed (%(status)s).")
            % {"item": item, "status": item.get_status_display()}
        )


def _close_review(item, user, status):
    """Record a curator's decision on a queue item, who made it, and when (now)."""
    item.status, item.reviewed_by, item.reviewed_at = status, user, timezone.now()
    item.save()


def _publishable(org):
    try:
        org.full_clean(exclude=["logo"])
    except ValidationError as error:
        messages = [
            f"{field}: {message}" if field != "__all__" else message
            for field, errors in error.message_dict.items()
            for message in errors
        ]
        raise CurationError(
            _("“%(org)s” cannot be published yet: %(problems)s Edit the entry first.")
            % {"org": org, "problems": " ".join(messages)}
        ) from None


def suggestion_approve(suggestion, user):
    """Publish a suggested entry as verified today, recording who approved it and when."""
    with transaction.atomic():
        suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        _reviewable(suggestion)
        org = suggestion.organization
        org.status = Organization.Status.PUBLISHED
        org.last_verified = timezone.localdate()
        _publishable(org)
        with one_record(org, user, _("Suggestion approved")):
            org.save()
        _close_review(suggestion, user, Review.APPROVED)
    return suggestion


def suggestion_reject(suggestion, user):
    """Turn a suggestion down: its entry is archived (kept, never shown)."""
    with transaction.atomic():
        suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        _reviewable(suggestion)
        org = suggestion.organization
        org.status = Organization.Status.ARCHIVED
        with one_record(org, user, _("Suggestion rejected")):
            org.save()
        _close_review(suggestion, user, Review.REJECTED)
    return suggestion


# --- Organizations ---


def organizations_archive(orgs, user):
    """Archive entries (the site's way of deleting); returns how many changed."""
    count = 0
    with transaction.atomic():
        for org in orgs:
            if org.status == Organization.Status.ARCHIVED:
                continue
            org.status = Organization.Status.ARCHIVED
            with one_record(org, user, _("Archived")):
                org.save()
            count += 1
    return count


def organizations_mark_verified(orgs, user):
    """Mark entries as checked by a curator today; returns how many."""
    today = timezone.localdate()
    with transaction.atomic():
        for org in orgs:
            org.last_verified = today
            with one_record(org, user, _("Marked verified")):
                org.save()
    return len(orgs)


def merge_keeper(orgs):
    """The entry a merge keeps: the published one confirmed most recently; the oldest if none is."""
    return min(
        orgs,
        key=lambda org: (
            org.status != Organization.Status.PUBLISHED,
            -(org.last_verified.toordinal() if org.last_verified else 0),
            org.created,
        ),
    )


def organizations_merge(orgs, user, keep=None):
    """Merge entries into one: fill its gaps, join causes, move queues; archive the rest.

    The entry kept is `keep` if given, else `merge_keeper(orgs)`; it is returned.
    """
    if not orgs:
        raise CurationError(_("Choose at least two entries to merge."))
    keep = keep or merge_keeper(orgs)
    duplicates = [org for org in orgs if org.pk != keep.pk]
    if not duplicates:
        raise CurationError(_("Choose at least two entries to merge."))
    with transaction.atomic():
        causes = set(keep.causes.values_list("pk", flat=True))
        for other in duplicates:
            causes |= set(other.causes.values_list("pk", flat=True))
            for name in MERGE_FILLED_FIELDS:
                if not getattr(keep, name) and getattr(other, name):
                    setattr(keep, name, getattr(other, name))
                    if name == "external_id":
                        other.external_id = ""  # unique: it moves to the kept entry
            if not keep.has_point and other.has_point:
                keep.latitude, keep.longitude = other.latitude, other.longitude
                keep.precision = other.precision
            other.status = Organization.Status.ARCHIVED
            with one_record(other, user, _("Merged into “%(org)s”") % {"org": keep.name}):
                other.save()
            Report.objects.filter(organization=other).update(organization=keep)
            Proposal.objects.filter(organization=other).update(organization=keep)
            Suggestion.objects.filter(organization=other, status=Review.PENDING).update(
                status=Review.REJECTED, reviewed_by=user, reviewed_at=timezone.now()
            )
        names = ", ".join(other.name for other in duplicates)
        with one_record(keep, user, _("Merged with %(names)s") % {"names": names}):
            keep.save()
            keep.causes.set(causes)
    return keep


# --- Reports ---


def report_submit(org, data):
    """Store a reader's problem report for a curator."""
    return Report.objects.create(
        organization=org,
        reason=data["reason"],
        details=data.get("details", ""),
        email=data.get("email", ""),
    )


def report_resolve(report, user, dismiss=False):
    """Close a report as resolved (the entry was fixed) or dismissed (nothing to fix)."""
    if report.status != Report.Status.OPEN:
        raise CurationError(_("That report is already closed."))
    report.status = Report.Status.DISMISSED if dismiss else Report.Status.RESOLVED
    report.resolved_by, report.resolved_at = user, timezone.now()
    report.save()
    return report


# --- Freshness: reconfirmation links and organizers' proposals ---


def due_for_reconfirmation(today=None):
    """Published entries with an organizer address, unverified for a while, not asked lately."""
    today = today or timezone.localdate()
    cutoff = months_before(today, settings.CURATION_RECONFIRM_AFTER_MONTHS)
    asked_since = timezone.now() - timezone.timedelta(days=settings.CURATION_RECONFIRM_VALID_DAYS)
    recently_asked = Reconfirmation.objects.filter(
        sent_at__isnull=False, created__gte=asked_since
    ).values("organization_id")
    return (
        Organization.objects.published()
        .exclude(contact_email="")
        .exclude(last_verified__gte=cutoff)
        .exclude(pk__in=recently_asked)
        .order_by("pk")
    )


def reconfirmation_token(reconfirmation, issued=None):
    """The signed token behind an organizer's reconfirmation link."""
    return tokens.make(RECONFIRM_SALT, reconfirmation.pk, issued=issued)


def reconfirmation_send(org, base_url):
    """Store a reconfirmation, then email its link to the organizer. Returns it; sent_at is set
    only when the mail went out."""
    reconfirmation = Reconfirmation.objects.create(organization=org)
    link = base_url.rstrip("/") + reverse(
        "curation:confirm", args=[reconfirmation_token(reconfirmation)]
    )
    context = {
        "org": org,
        "link": link,
        "valid_days": settings.CURATION_RECONFIRM_VALID_DAYS,
        "site_name": settings.SITE_NAME,
    }
    subject = _("Is your listing on %(site)s still current?") % {"site": settings.SITE_NAME}
    message = EmailMessage(
        subject=" ".join(subject.split()),
        body=render_to_string("curation/email/reconfirm.txt", context),
        to=[org.contact_email],
    )
    try:
        message.send()
    except OSError as error:  # SMTP errors are OSErrors; the row stays unsent, retried next run
        # Not logger.exception: a refused recipient's error names the private address.
        logger.warning(
            "Reconfirmation mail to organization %s failed (%s)", org.pk, type(error).__name__
        )
        return reconfirmation
    reconfirmation.sent_at = timezone.now()
    reconfirmation.save(update_fields=["sent_at"])
    return reconfirmation


def reconfirmation_open(token):
    """The reconfirmation a link stands for; raises TokenInvalid, TokenExpired or LinkUsed."""
    max_age = settings.CURATION_RECONFIRM_VALID_DAYS * 86400
    try:
        pk = tokens.check(token, RECONFIRM_SALT, max_age=max_age)
    except tokens.TokenInvalid:
        pk = _legacy_link(token, max_age)
    try:
        reconfirmation = Reconfirmation.objects.select_related("organization").get(pk=pk)
    except (Reconfirmation.DoesNotExist, TypeError, ValueError):
        raise tokens.TokenInvalid from None
    if reconfirmation.used_at:
        raise LinkUsed(reconfirmation)
    return reconfirmation


def _legacy_link(token, max_age):
    # Links mailed before reconfirmations used abuse.tokens were plain signed ids; they keep
    # working until they expire. Delete this once CURATION_RECONFIRM_VALID_DAYS have passed.
    try:
        return signing.loads(token, salt=RECONFIRM_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise tokens.TokenExpired from None
    except signing.BadSignature:
        raise tokens.TokenInvalid from None


def _use(reconfirmation, outcome):
    """Mark the link used, under a row lock so two clicks cannot both count."""
    locked = Reconfirmation.objects.select_for_update().get(pk=reconfirmation.pk)
    if locked.used_at:
        raise LinkUsed(locked)
    locked.used_at, locked.outcome = timezone.now(), outcome
    locked.save(update_fields=["used_at", "outcome"])
    return locked


def reconfirmation_confirm(reconfirmation):
    """The organizer says the entry is current: it is verified today."""
    with transaction.atomic():
        _use(reconfirmation, Reconfirmation.Outcome.CONFIRMED)
        org = Organization.objects.get(pk=reconfirmation.organization_id)
        org.last_verified = timezone.localdate()
        with one_record(org, reason=_("Confirmed current by its organizer")):
            org.save()
    return org


def proposal_submit(reconfirmation, changes, note=""):
    """The organizer proposes edits: kept as a diff for a curator; the entry is unchanged."""
    with transaction.atomic():
        used = _use(reconfirmation, Reconfirmation.Outcome.PROPOSED)
        return Proposal.objects.create(
            organization_id=reconfirmation.organization_id,
            reconfirmation=used,
            changes=changes,
            note=note,
        )


def proposal_apply(proposal, user):
    """Apply an organizer's proposed edits; the entry counts as verified today."""
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        _reviewable(proposal)
        org = Organization.objects.get(pk=proposal.organization_id)
        for name, (_old, new) in proposal.changes.items():
            if name in PROPOSABLE_FIELDS:
                setattr(org, name, new)
        org.last_verified = timezone.localdate()
        _publishable(org)
        with one_record(org, user, _("Organizer's proposed edit applied")):
            org.save()
        _close_review(proposal, user, Review.APPROVED)
    return proposal


def proposal_reject(proposal, user):
    """Decline an organizer's proposed edits; the entry stays as it is."""
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        _reviewable(proposal)
        _close_review(proposal, user, Review.REJECTED)
    return proposal
