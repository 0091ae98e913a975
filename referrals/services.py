"""Writes of the contact relay: store a message, deliver it, follow it up, erase it."""

import datetime
import logging
from collections import Counter
from email.utils import make_msgid
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from referrals import tokens
from referrals.mail import NoAddress, followup_email, origin_host, relay_email
from referrals.models import DeliveryAttempt, FollowupAnswer, Referral

logger = logging.getLogger(__name__)
BATCH = 200


class AlreadyAnswered(Exception):
    """The follow-up link was used before: each works once."""


def referral_submit(organization, data, *, client, origin, now=None):
    """Store a reader's message for delivery; delivery is tried once the row is committed."""
    now = now or timezone.now()
    with transaction.atomic():
        referral = Referral.objects.create(
            organization=organization,
            created=now,
            via=data.get("via") or Referral.Via.SITE,
            name=data["name"],
            email=data["email"],
            message=data["message"],
            heard_from=data.get("heard_from", ""),
            fingerprint=data["fingerprint"],
            client_hash=client,
            origin=origin,
            status=Referral.Status.PENDING,
            next_attempt_at=now,
            message_id=make_msgid("referral", domain=origin_host(origin)),
        )
        if settings.REFERRALS_DELIVER_AT_ONCE:
            # After commit, so the stored record always comes first; a failure here is recorded
            # and left to the worker, never shown to the reader as an error.
            transaction.on_commit(partial(referral_deliver, referral.pk), robust=True)
    return referral


def referral_deliver(referral_id, now=None):
    """Claim one due message, hand it to the mail server, and record the attempt.

    Returns "sent", "retry", "failed", or None when the message is not due or another worker
    claimed it first. The claim is one conditional UPDATE, which only one worker can win on
    SQLite and on PostgreSQL alike, so a message is never handed over twice.
    """
    now = now or timezone.now()
    lease = now + datetime.timedelta(seconds=settings.REFERRALS_CLAIM_SECONDS)
    claimed = (
        Referral.objects.due(now)
        .filter(pk=referral_id)
        .update(status=Referral.Status.SENDING, claimed_until=lease)
    )
    if not claimed:
        return None
    referral = Referral.objects.select_related("organization").get(pk=referral_id)
    try:
        relay_email(referral).send()
    except NoAddress as error:
        return _record_failure(referral, now, error, permanent=True)
    except Exception as error:  # any backend error (SMTP, socket, timeout): recorded, retried
        return _record_failure(referral, now, error)
    with transaction.atomic():
        DeliveryAttempt.objects.create(referral=referral, started=now, ok=True)
        Referral.objects.filter(pk=referral.pk, status=Referral.Status.SENDING).update(
            status=Referral.Status.SENT,
            sent_at=now,
            attempts=F("attempts") + 1,
            failures=0,
            claimed_until=None,
            next_attempt_at=None,
            last_error="",
        )
    return "sent"


def _record_failure(referral, now, error, permanent=False):
    failures = referral.failures + 1
    delays = settings.REFERRALS_RETRY_DELAYS
    gave_up = permanent or failures > len(delays)
    text = f"{type(error).__name__}: {error}"[:500]
    with transaction.atomic():
        DeliveryAttempt.objects.create(referral=referral, started=now, ok=False, error=text)
        Referral.objects.filter(pk=referral.pk, status=Referral.Status.SENDING).update(
            status=Referral.Status.FAILED if gave_up else Referral.Status.PENDING,
            failures=failures,
            attempts=F("attempts") + 1,
            last_error=text,
            claimed_until=None,
            next_attempt_at=None
            if gave_up
            else now + datetime.timedelta(seconds=delays[failures - 1]),
        )
    # The error text may name the group's private address: it goes to curators, never to logs
    # a reader could see, and the log line names only the message.
    logger.warning("referral %s: delivery failed (%s)", referral.pk, type(error).__name__)
    return "failed" if gave_up else "retry"


def deliver_due(now=None, limit=BATCH):
    """Try every message that is due, oldest first; returns a Counter of outcomes."""
    now = now or timezone.now()
    outcomes = Counter()
    ids = list(
        Referral.objects.due(now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for referral_id in ids:
        outcomes[referral_deliver(referral_id, now) or "skipped"] += 1
    return outcomes


def referrals_requeue(queryset, now=None):
    """Queue failed (or waiting) messages for delivery now, with a fresh retry budget."""
    now = now or timezone.now()
    return queryset.filter(
        status__in=[Referral.Status.FAILED, Referral.Status.PENDING], purged_at__isnull=True
    ).update(status=Referral.Status.PENDING, failures=0, next_attempt_at=now, claimed_until=None)


def followup_token(referral, issued=None):
    """The signed token behind a follow-up's yes and no links."""
    return tokens.make(tokens.FOLLOWUP_SALT, referral.pk, issued=issued)


def followup_send(referral_id, now=None):
    """Send the reader's one follow-up mail; True when sent. Claimed first, so never twice."""
    now = now or timezone.now()
    claimed = (
        Referral.objects.filter(
            pk=referral_id,
            status=Referral.Status.SENT,
            followup_sent_at__isnull=True,
            purged_at__isnull=True,
        )
        .exclude(email="")
        .update(followup_sent_at=now)
    )
    if not claimed:
        return False
    referral = Referral.objects.select_related("organization").get(pk=referral_id)
    try:
        followup_email(referral, followup_token(referral, issued=now.timestamp())).send()
    except Exception as error:  # the mail server is down: release the claim for the next run
        Referral.objects.filter(pk=referral_id).update(followup_sent_at=None)
        logger.warning("referral %s: follow-up failed (%s)", referral_id, type(error).__name__)
        return False
    return True


def followups_due(now=None):
    """Ids of delivered messages whose follow-up is due."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.REFERRALS_FOLLOWUP_DAYS)
    return list(
        Referral.objects.followup_due(cutoff).order_by("sent_at").values_list("pk", flat=True)
    )


def followup_answer(referral, replied, now=None):
    """Record the reader's answer; raises AlreadyAnswered when the link was used before."""
    try:
        with transaction.atomic():
            return FollowupAnswer.objects.create(
                referral=referral, replied=replied, answered=now or timezone.now()
            )
    except IntegrityError:
        raise AlreadyAnswered from None


def referrals_purge(now=None, days=None, dry_run=False):
    """Erase the words and addresses of finished messages past retention; returns how many."""
    now = now or timezone.now()
    days = settings.REFERRALS_RETENTION_DAYS if days is None else days
    old = Referral.objects.purgeable(now - datetime.timedelta(days=days))
    if dry_run:
        return old.count()
    return old.update(
        name="",
        email="",
        message="",
        heard_from="",
        fingerprint="",
        client_hash="",
        purged_at=now,
    )
