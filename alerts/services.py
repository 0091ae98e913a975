"""Writes of the alerts: subscribe, confirm, unsubscribe, match new groups, deliver, purge, erase.

Mails are stored first (AlertMail, an outbox) and handed to the mail server by `send_alerts`,
claimed with one conditional UPDATE and retried on the contact relay's schedule
(REFERRALS_RETRY_DELAYS), so a mail server that is down loses nothing and sends nothing twice.
"""

import datetime
import logging
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from abuse import tokens
from alerts.mail import alert_email, confirm_email
from alerts.models import AlertMail, Subscription
from directory.geo import haversine_miles
from directory.models import COVERAGE_RADIUS_MAX, Organization

logger = logging.getLogger(__name__)
CONFIRM_SALT = "alerts.confirm"
UNSUBSCRIBE_SALT = "alerts.unsubscribe"
BATCH = 200


class LinkInvalid(Exception):
    """The link was altered, or its alert is gone (unsubscribed, or past retention)."""


class LinkExpired(Exception):
    """A confirmation link older than ALERTS_CONFIRM_DAYS."""


def confirm_token(subscription, issued=None):
    return tokens.make(CONFIRM_SALT, subscription.key, issued=issued)


def unsubscribe_token(subscription):
    return tokens.make(UNSUBSCRIBE_SALT, subscription.key)


def subscription_request(email, place, causes, *, origin, now=None):
    """Store a reader's wish for an alert near `place`, unconfirmed, with its confirmation mail.

    The same address asking again for the same place gets the one subscription it has, and its
    confirmation mail queued again if it is still unconfirmed.
    """
    now = now or timezone.now()
    email = email.strip()
    with transaction.atomic():
        subscription = (
            Subscription.objects.filter(email__iexact=email, place_label=place.label)
            .order_by("pk")
            .first()
        )
        if subscription is None:
            subscription = Subscription.objects.create(
                email=email,
                place_label=place.label,
                latitude=place.latitude,
                longitude=place.longitude,
                state=place.state,
                country=place.country,
                language=translation.get_language() or settings.LANGUAGE_CODE,
                origin=origin,
                created=now,
            )
        subscription.causes.add(*causes)
        if subscription.confirmed_at is None:
            AlertMail.objects.update_or_create(
                subscription=subscription,
                kind=AlertMail.Kind.CONFIRM,
                defaults={
                    "status": AlertMail.Status.PENDING,
                    "created": now,
                    "failures": 0,
                    "next_attempt_at": now,
                    "claimed_until": None,
                },
            )
    return subscription


def subscription_open(token, salt, now=None):
    """The subscription a signed link names, or raise LinkInvalid / LinkExpired."""
    max_age = settings.ALERTS_CONFIRM_DAYS * 86400 if salt == CONFIRM_SALT else None
    try:
        key = tokens.check(token, salt, max_age=max_age, now=now.timestamp() if now else None)
    except tokens.TokenExpired:
        raise LinkExpired from None
    except tokens.TokenInvalid:
        raise LinkInvalid from None
    subscription = Subscription.objects.filter(key=key).first()
    if subscription is None:
        raise LinkInvalid
    return subscription


def subscription_confirm(subscription, now=None):
    """Turn the alert on. Groups that already cover the place are noted, never mailed."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Subscription.objects.filter(pk=subscription.pk, confirmed_at__isnull=True).update(
            confirmed_at=now
        )
        if not claimed:
            return False
        AlertMail.objects.bulk_create(
            [
                AlertMail(
                    subscription=subscription,
                    kind=AlertMail.Kind.ALERT,
                    organization_id=pk,
                    status=AlertMail.Status.KNOWN,
                    created=now,
                )
                for pk in covering_ids(subscription)
            ],
            ignore_conflicts=True,
        )
    return True


def subscription_cancel(subscription):
    """Unsubscribe: the subscription and its mails are deleted at once."""
    return Subscription.objects.filter(pk=subscription.pk).delete()[0] > 0


def covering_ids(subscription):
    """Published groups that cover the subscription's place and work on its causes (if any):
    local and regional groups whose coverage reaches the point, statewide ones of its state."""
    groups = Organization.objects.published().for_causes(list(subscription.causes.all()))
    lat, lng = subscription.latitude, subscription.longitude
    rows = (
        groups.placed()
        .in_box(lat, lng, COVERAGE_RADIUS_MAX)
        .order_by()  # the name order would lead a planner away from the point index
        .values_list("pk", "public_latitude", "public_longitude", "coverage_radius")
    )
    found = {
        pk
        for pk, plat, plng, radius in rows
        if haversine_miles(lat, lng, plat, plng) <= (radius or 0)
    }
    if subscription.state:
        found |= set(
            groups.statewide(subscription.state, subscription.country).values_list("pk", flat=True)
        )
    return found


def alerts_match(now=None):
    """Queue an alert for every confirmed subscription that a newly listed group covers.

    Returns how many were queued. One alert per group per subscription (a unique constraint), so
    running it again, or from two schedulers at once, queues nothing twice.
    """
    now = now or timezone.now()
    queued = 0
    for subscription in Subscription.objects.confirmed().prefetch_related("causes"):
        known = set(
            subscription.mails.filter(kind=AlertMail.Kind.ALERT).values_list(
                "organization_id", flat=True
            )
        )
        new = covering_ids(subscription) - known
        if new:
            made = AlertMail.objects.bulk_create(
                [
                    AlertMail(
                        subscription=subscription,
                        kind=AlertMail.Kind.ALERT,
                        organization_id=pk,
                        created=now,
                        next_attempt_at=now,
                    )
                    for pk in sorted(new)
                ],
                ignore_conflicts=True,
            )
            queued += len(made)
    return queued


def _due(now):
    return AlertMail.objects.filter(
        Q(status=AlertMail.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=AlertMail.Status.SENDING, claimed_until__lt=now)
    )


def mail_deliver(mail_id, now=None, timeout=None):
    """Claim one due mail, hand it to the mail server, and record what came of it.

    Returns "sent", "retry", "failed", or None when it is not due or another worker claimed it.
    """
    now = now or timezone.now()
    lease = now + datetime.timedelta(seconds=settings.REFERRALS_CLAIM_SECONDS)
    claimed = (
        _due(now).filter(pk=mail_id).update(status=AlertMail.Status.SENDING, claimed_until=lease)
    )
    if not claimed:
        return None
    mail = AlertMail.objects.select_related("subscription", "organization").get(pk=mail_id)
    subscription = mail.subscription
    if mail.kind == AlertMail.Kind.CONFIRM:
        # Issued when sent, so a mail that waited out an outage still has its full validity.
        message = confirm_email(mail, confirm_token(subscription, issued=now.timestamp()), timeout)
    else:
        message = alert_email(mail, unsubscribe_token(subscription), timeout)
    try:
        message.send()
    except Exception as error:  # any backend error (SMTP down, refused, timed out): retried
        return _record_failure(mail, now, error)
    AlertMail.objects.filter(pk=mail.pk, status=AlertMail.Status.SENDING).update(
        status=AlertMail.Status.SENT,
        sent_at=now,
        attempts=F("attempts") + 1,
        failures=0,
        claimed_until=None,
        next_attempt_at=None,
        last_error="",
    )
    return "sent"


def _record_failure(mail, now, error):
    failures = mail.failures + 1
    delays = settings.REFERRALS_RETRY_DELAYS
    gave_up = failures > len(delays)
    # The error may name the subscriber's address: it stays in the outbox, never in the logs.
    AlertMail.objects.filter(pk=mail.pk, status=AlertMail.Status.SENDING).update(
        status=AlertMail.Status.FAILED if gave_up else AlertMail.Status.PENDING,
        failures=failures,
        attempts=F("attempts") + 1,
        last_error=f"{type(error).__name__}: {error}"[:500],
        claimed_until=None,
        next_attempt_at=None if gave_up else now + datetime.timedelta(seconds=delays[failures - 1]),
    )
    logger.warning("alert mail %s: delivery failed (%s)", mail.pk, type(error).__name__)
    return "failed" if gave_up else "retry"


def deliver_due(now=None, limit=BATCH):
    """Try every mail that is due, oldest first; returns a Counter of outcomes."""
    now = now or timezone.now()
    ids = list(_due(now).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    return Counter(mail_deliver(pk, now) or "skipped" for pk in ids)


def alerts_purge(now=None, dry_run=False):
    """Delete subscriptions past retention: unconfirmed ones after ALERTS_CONFIRM_DAYS, confirmed
    ones ALERTS_RETENTION_DAYS after confirmation. Returns (unconfirmed, expired)."""
    now = now or timezone.now()
    unconfirmed = Subscription.objects.filter(
        confirmed_at__isnull=True,
        created__lt=now - datetime.timedelta(days=settings.ALERTS_CONFIRM_DAYS),
    )
    expired = Subscription.objects.filter(
        confirmed_at__lt=now - datetime.timedelta(days=settings.ALERTS_RETENTION_DAYS)
    )
    if dry_run:
        return unconfirmed.count(), expired.count()
    with transaction.atomic():
        return _delete(unconfirmed), _delete(expired)


def _delete(queryset):
    pks = list(queryset.values_list("pk", flat=True))
    Subscription.objects.filter(pk__in=pks).delete()
    return len(pks)


def alerts_erase(email, dry_run=False):
    """Delete every alert of the person with this address (erase_person); returns how many."""
    subscriptions = Subscription.objects.filter(email__iexact=email.strip())
    if dry_run:
        return subscriptions.count()
    return _delete(subscriptions)


def deliver_confirmation(subscription, timeout=None):
    """Try the subscription's confirmation mail now (right after the request that asked)."""
    mail = subscription.mails.filter(kind=AlertMail.Kind.CONFIRM).first()
    return mail and mail_deliver(mail.pk, timeout=timeout)


def mails_requeue(queryset, now=None):
    """Queue failed mails again now, with a fresh retry budget; returns how many."""
    return queryset.filter(status=AlertMail.Status.FAILED).update(
        status=AlertMail.Status.PENDING,
        failures=0,
        next_attempt_at=now or timezone.now(),
        claimed_until=None,
    )
