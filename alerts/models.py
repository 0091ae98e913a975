"""Email alerts: "tell me when a group near me is listed", and the mails they send (an outbox)."""

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from directory.models import Category, Organization


def new_key():
    return secrets.token_urlsafe(18)


class SubscriptionQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)


class Subscription(models.Model):
    """One reader's wish to hear of a group near a place: kept only until it is confirmed
    (ALERTS_CONFIRM_DAYS) and then for ALERTS_RETENTION_DAYS, or until they unsubscribe."""

    # What the signed links name: random, so no link can be guessed from another.
    key = models.CharField(max_length=32, unique=True, default=new_key, editable=False)
    email = models.EmailField(_("email"))
    # The place as the geocoder understood it, and the point alerts are matched against.
    place_label = models.CharField(_("place"), max_length=200)
    latitude = models.FloatField()
    longitude = models.FloatField()
    state = models.CharField(max_length=2, blank=True)
    country = models.CharField(max_length=2, blank=True)
    causes = models.ManyToManyField(Category, blank=True, verbose_name=_("causes"))
    # Mails go out in the language the reader subscribed in, with links to where they did.
    language = models.CharField(max_length=10, default="en")
    origin = models.CharField(max_length=200)
    created = models.DateTimeField(_("asked"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        verbose_name = _("alert subscription")
        verbose_name_plural = _("alert subscriptions")
        indexes = [
            models.Index(fields=["confirmed_at"], name="alert_confirmed"),
            models.Index(fields=["created"], name="alert_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="alert_point_range",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.place_label}"


class AlertMail(models.Model):
    """A mail to a subscriber, stored first and then delivered with retries (send_alerts)."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm", _("Confirmation")
        ALERT = "alert", _("New group")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Delivered")
        FAILED = "failed", _("Failed: gave up")
        # A group that already covered the place when the alert was confirmed: never mailed.
        KNOWN = "known", _("Listed before the alert")

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="mails")
    kind = models.CharField(max_length=7, choices=Kind.choices)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.PENDING)
    created = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    failures = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "pk"]
        verbose_name = _("alert mail")
        verbose_name_plural = _("alert mails (outbox)")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="alertmail_due")]
        constraints = [
            # One alert per group per subscription, however often send_alerts runs.
            models.UniqueConstraint(
                fields=["subscription", "organization"],
                condition=Q(kind="alert"),
                name="alertmail_one_per_group",
            ),
            models.UniqueConstraint(
                fields=["subscription"],
                condition=Q(kind="confirm"),
                name="alertmail_one_confirmation",
            ),
            models.CheckConstraint(
                condition=Q(kind="confirm", organization__isnull=True)
                | Q(kind="alert", organization__isnull=False),
                name="alertmail_kind_organization",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed", "known"]),
                name="alertmail_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(next_attempt_at__isnull=False),
                name="alertmail_pending_is_scheduled",
            ),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.status})"
