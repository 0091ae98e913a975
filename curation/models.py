"""The curators' queues: suggested groups, problem reports, organizers' confirmations and edits."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from directory.models import Organization

DETAILS_MAX_LENGTH = 2000


class Review(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Reviewed(models.Model):
    """A queue item a curator approves or rejects: the decision, who made it and when."""

    status = models.CharField(
        _("status"), max_length=10, choices=Review.choices, default=Review.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        abstract = True


class Suggestion(Reviewed):
    """A group suggested by a reader: the pending entry plus who suggested it and why."""

    organization = models.OneToOneField(
        Organization,
        on_delete=models.CASCADE,
        related_name="suggestion",
        verbose_name=_("suggested entry"),
    )
    # Erased after the retention period (`purge_curation`) or on request (`erase_person`).
    email = models.EmailField(_("suggester's email"), blank=True)
    is_organizer = models.BooleanField(_("suggester organizes with the group"), default=False)
    note = models.TextField(_("note to curators"), blank=True, max_length=DETAILS_MAX_LENGTH)
    possible_duplicates = models.ManyToManyField(
        Organization, related_name="+", blank=True, verbose_name=_("possible duplicates")
    )
    created = models.DateTimeField(_("suggested"), auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        # A permission needs a model; this one guards the admin's CSV export of organizations.
        permissions = [
            ("export_private_fields", _("Can export organizers' private contact emails")),
        ]
        indexes = [models.Index(fields=["status", "created"], name="suggestion_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Review.values), name="suggestion_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(reviewed_at__isnull=False),
                name="suggestion_reviewed_has_time",
            ),
        ]

    def __str__(self):
        return str(self.organization)


class Report(models.Model):
    """A reader's "this listing is wrong", waiting for a curator to resolve or dismiss it."""

    class Reason(models.TextChoices):
        MOVED = "moved", _("The group moved")
        INACTIVE = "inactive", _("The group is no longer active")
        CONTACT = "contact", _("The contact details are wrong")
        DETAILS = "details", _("Other details are wrong")
        NOT_REAL = "not_real", _("This is not a real group")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")
        DISMISSED = "dismissed", _("Dismissed")

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="reports",
        verbose_name=_("organization"),
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    details = models.TextField(_("details"), blank=True, max_length=DETAILS_MAX_LENGTH)
    # Erased after the retention period (`purge_curation`) or on request (`erase_person`).
    email = models.EmailField(_("reporter's email"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created = models.DateTimeField(_("reported"), auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("problem report")
        verbose_name_plural = _("problem reports")
        indexes = [models.Index(fields=["status", "created"], name="report_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "resolved", "dismissed"]),
                name="report_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    reason__in=["moved", "inactive", "contact", "details", "not_real", "other"]
                ),
                name="report_reason_valid",
            ),
        ]

    def __str__(self):
        return f"{self.organization}: {self.get_reason_display()}"


class Reconfirmation(models.Model):
    """One emailed "is your entry still current?" link; used at most once."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed as current")
        PROPOSED = "proposed", _("Proposed changes")

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="reconfirmations",
        verbose_name=_("organization"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("reconfirmation")
        verbose_name_plural = _("reconfirmations")
        constraints = [
            models.CheckConstraint(
                condition=Q(used_at__isnull=True, outcome="")
                | Q(used_at__isnull=False, outcome__in=["confirmed", "proposed"]),
                name="reconfirmation_used_has_outcome",
            ),
        ]

    def __str__(self):
        return f"{self.organization} ({self.created:%Y-%m-%d})"


class Proposal(Reviewed):
    """Edits an organizer proposed to their entry, kept as a diff until a curator applies them."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="proposals",
        verbose_name=_("organization"),
    )
    reconfirmation = models.OneToOneField(
        Reconfirmation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposal",
        verbose_name=_("from the link"),
    )
    # {"field": [value when proposed, proposed value]}: both sides, so a curator sees the diff
    # even after the entry changed again.
    changes = models.JSONField(_("changes"))
    note = models.TextField(_("note from the organizer"), blank=True, max_length=DETAILS_MAX_LENGTH)
    created = models.DateTimeField(_("proposed"), auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("organizer's proposed edit")
        verbose_name_plural = _("organizers' proposed edits")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Review.values), name="proposal_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.organization} ({self.created:%Y-%m-%d})"


class LinkCheckQuerySet(models.QuerySet):
    def failing(self):
        """Links whose last check failed."""
        return self.filter(consecutive_failures__gt=0)

    def failing_twice(self):
        """Links of published groups that failed the last two checks in a row (or more)."""
        return self.filter(
            consecutive_failures__gte=LinkCheck.FLAG_AFTER,
            organization__status=Organization.Status.PUBLISHED,
        )

    def organizations(self):
        """The groups these links belong to, each once: `failing_twice().organizations()`."""
        return Organization.objects.filter(pk__in=self.values("organization"))


class LinkCheck(models.Model):
    """The latest check of one of a group's public links (`check_links`), and its failure run."""

    FLAG_AFTER = 2  # failures in a row before curators are told

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="link_checks",
        verbose_name=_("organization"),
    )
    url = models.URLField(_("link"), max_length=500)
    # The HTTP status of the last answer; empty when there was none (timeout, refused, bad name).
    status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("problem"), max_length=200, blank=True)
    ok = models.BooleanField(_("working"), default=False)
    checked_at = models.DateTimeField(_("checked"))
    consecutive_failures = models.PositiveSmallIntegerField(_("failures in a row"), default=0)

    objects = LinkCheckQuerySet.as_manager()

    class Meta:
        ordering = ["-consecutive_failures", "organization", "url"]
        verbose_name = _("link check")
        verbose_name_plural = _("link checks")
        constraints = [
            models.UniqueConstraint(fields=["organization", "url"], name="linkcheck_org_url"),
        ]
        indexes = [models.Index(fields=["consecutive_failures"], name="linkcheck_failures")]

    def __str__(self):
        return self.url


class NextEvent(models.Model):
    """The next public event in a group's own calendar feed, as `check_links` last read it."""

    organization = models.OneToOneField(
        Organization,
        on_delete=models.CASCADE,
        related_name="next_event",
        verbose_name=_("organization"),
    )
    summary = models.CharField(_("event"), max_length=200)
    start = models.DateTimeField(_("starts"))
    all_day = models.BooleanField(_("all day"), default=False)
    fetched_at = models.DateTimeField(_("read"))

    class Meta:
        verbose_name = _("next public event")
        verbose_name_plural = _("next public events")

    def __str__(self):
        return f"{self.summary} ({self.start:%Y-%m-%d})"
