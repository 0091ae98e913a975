"""The contact relay's records: readers' messages (the outbox), delivery attempts, answers."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from directory.models import Organization
from referrals.queries import ReferralQuerySet

NAME_MAX_LENGTH = 100
HEARD_MAX_LENGTH = 200
MESSAGE_MAX_LENGTH = 5000  # settings.REFERRALS_MESSAGE_MAX_LENGTH may only lower it


class Referral(models.Model):
    """A reader's message to a group: stored first, then delivered by the outbox worker."""

    class Status(models.TextChoices):
        # Until the reader confirms their address, so nobody can have an organizer's reply sent
        # to someone else's inbox; erased after REFERRALS_CONFIRM_VALID_DAYS if never confirmed.
        HELD = "held", _("Waiting for the reader to confirm their address")
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Delivered")
        FAILED = "failed", _("Failed: gave up")

    class Via(models.TextChoices):
        SITE = "site", _("The group's page")
        WIDGET = "widget", _("An embedded widget")

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,  # a group with messages is archived, not deleted: counts survive
        related_name="referrals",
        verbose_name=_("group"),
    )
    created = models.DateTimeField(_("written"), db_index=True)
    via = models.CharField(_("sent from"), max_length=6, choices=Via.choices, default=Via.SITE)
    # The reader's words: erased by `purge_referrals` after the retention period.
    name = models.CharField(_("reader's name"), max_length=NAME_MAX_LENGTH, blank=True)
    email = models.EmailField(_("reader's email"), blank=True)
    message = models.TextField(_("message"), blank=True)
    heard_from = models.CharField(
        _("how they heard about the group"), max_length=HEARD_MAX_LENGTH, blank=True
    )
    # A hash of organization, email and message, to refuse the same message twice in a row.
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # Keyed hash of the client address (never the address itself).
    client_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Where the reader wrote from ("https://groups.example.org"): links in mails point back there.
    origin = models.CharField(_("site address"), max_length=200, editable=False)
    # The language of the page the reader wrote from: mails to the reader are written in it.
    language = models.CharField(_("reader's language"), max_length=10, default="en")
    purged_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)
    # The reader's address, confirmed by the link mailed to it (when REFERRALS_CONFIRM_READERS).
    confirm_sent_at = models.DateTimeField(_("confirmation mailed"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("reader's address confirmed"), null=True, blank=True)

    # Delivery (the outbox).
    status = models.CharField(
        _("status"), max_length=7, choices=Status.choices, default=Status.PENDING
    )
    message_id = models.CharField(_("Message-ID"), max_length=200, unique=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Failures since the message was last queued; the retry schedule is indexed by it.
    failures = models.PositiveSmallIntegerField(_("failures in a row"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    # Follow-up ("did the group get back to you?").
    followup_sent_at = models.DateTimeField(_("follow-up sent"), null=True, blank=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        verbose_name = _("message to a group")
        verbose_name_plural = _("messages to groups (outbox)")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="referral_due"),
            models.Index(fields=["status", "sent_at"], name="referral_followup_due"),
            models.Index(fields=["fingerprint", "created"], name="referral_fingerprint"),
            models.Index(fields=["organization", "created"], name="referral_org_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["held", "pending", "sending", "sent", "failed"]),
                name="referral_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="referral_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(next_attempt_at__isnull=False),
                name="referral_pending_is_scheduled",
            ),
            models.CheckConstraint(
                condition=Q(purged_at__isnull=True) | Q(message="", email="", name=""),
                name="referral_purged_is_empty",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("message"), MESSAGE_MAX_LENGTH),
                name="referral_message_length",
            ),
            models.CheckConstraint(condition=Q(via__in=["site", "widget"]), name="referral_via"),
        ]

    def __str__(self):
        return f"#{self.pk} → {self.organization}"


class DeliveryAttempt(models.Model):
    """One try at handing a message to the mail server, and what came of it."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="attempt_log")
    started = models.DateTimeField(_("started"))
    ok = models.BooleanField(_("delivered"))
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        ordering = ["started", "pk"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        constraints = [
            models.CheckConstraint(condition=Q(ok=False) | Q(error=""), name="attempt_ok_no_error")
        ]

    def __str__(self):
        return f"{self.started:%Y-%m-%d %H:%M} {'ok' if self.ok else self.error}"


class FollowupAnswer(models.Model):
    """The reader's one answer to "did the group get back to you?" (single use: one per message)."""

    referral = models.OneToOneField(
        Referral, on_delete=models.CASCADE, related_name="answer", verbose_name=_("message")
    )
    replied = models.BooleanField(_("the group replied"))
    answered = models.DateTimeField(_("answered"))

    class Meta:
        verbose_name = _("follow-up answer")
        verbose_name_plural = _("follow-up answers")

    def __str__(self):
        return str(_("yes") if self.replied else _("no"))


class ReferralStats(Organization):
    """Organizations seen from the relay: counts and responsiveness, for curators."""

    class Meta:
        proxy = True
        verbose_name = _("referrals by group")
        verbose_name_plural = _("referrals by group")


class CapReached(models.Model):
    """A day on which a group's message cap turned readers away: for curators to look into."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="caps_reached",
        verbose_name=_("group"),
    )
    day = models.DateField(_("day"))
    first_refused = models.DateTimeField(_("first reader turned away"))
    refused = models.PositiveIntegerField(_("readers turned away"), default=0)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("group's daily cap reached")
        verbose_name_plural = _("groups' daily caps reached")
        constraints = [
            models.UniqueConstraint(fields=["organization", "day"], name="cap_reached_once_a_day")
        ]

    def __str__(self):
        return f"{self.organization} {self.day:%Y-%m-%d}"


class WorkerHeartbeat(models.Model):
    """When each delivery worker last finished a pass without error (readiness reports it)."""

    worker = models.CharField(_("worker"), max_length=100, primary_key=True)
    last_success = models.DateTimeField(_("last successful pass"))

    class Meta:
        verbose_name = _("delivery worker")
        verbose_name_plural = _("delivery workers")

    def __str__(self):
        return self.worker
