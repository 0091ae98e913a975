"""Writes of the contact relay: store a message, deliver it, follow it up, erase it."""

import datetime
import logging
import time
from collections import Counter
from email.utils import make_msgid
from functools import partial

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation

from abuse import tokens
from abuse.limits import counters_purge
from directory.models import Organization
from referrals.mail import NoAddress, confirm_email, followup_email, origin_host, relay_email
from referrals.models import (
    DeliveryAttempt,
    FollowupAnswer,
    Referral,
    WorkerHeartbeat,
)

logger = logging.getLogger(__name__)
BATCH = 200
FOLLOWUP_SALT = "referrals.followup"
CONFIRM_SALT = "referrals.confirm"


class AlreadyAnswered(Exception):
    """The follow-up link was used before: each works once."""


class Duplicate(Exception):
    """The same message from the same reader to the same group was stored moments ago."""


def referral_submit(organization, data, *, client, origin, now=None):
    """Store a reader's message for delivery; delivery is tried once the row is committed.

    Raises Duplicate when the same message was stored within REFERRALS_DUPLICATE_MINUTES, even
    for two identical posts that arrive at the same instant (a double click). With
    REFERRALS_CONFIRM_READERS the message is held, and a link to confirm it is mailed to the
    reader: nobody can have an organizer's reply sent to an address that is not theirs.
    """
    now = now or timezone.now()
    held = settings.REFERRALS_CONFIRM_READERS
    since = now - datetime.timedelta(minutes=settings.REFERRALS_DUPLICATE_MINUTES)
    with transaction.atomic():
        # Check-then-insert is only safe one submission at a time: the group's row is the lock
        # on PostgreSQL; SQLite's write transactions (IMMEDIATE) are serialised already.
        list(Organization.objects.select_for_update().filter(pk=organization.pk).values("pk"))
        if Referral.objects.filter(fingerprint=data["fingerprint"], created__gte=since).exists():
            raise Duplicate
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
            language=translation.get_language() or settings.LANGUAGE_CODE,
            status=Referral.Status.HELD if held else Referral.Status.PENDING,
            next_attempt_at=None if held else now,
            message_id=make_msgid("referral", domain=origin_host(origin)),
        )
        if held and settings.REFERRALS_DELIVER_AT_ONCE:
            transaction.on_commit(partial(confirmation_send, referral.pk), robust=True)
        elif settings.REFERRALS_DELIVER_AT_ONCE:
            # After commit, so the stored record always comes first; a failure here is recorded
            # and left to the worker, never shown to the reader as an error. The reader waits
            # for this attempt, so it gets a short timeout of its own.
            transaction.on_commit(
                partial(
                    referral_deliver,
                    referral.pk,
                    timeout=settings.REFERRALS_REQUEST_EMAIL_TIMEOUT,
                ),
                robust=True,
            )
    return referral


def _durably(write, patience):
    """Run a database write, retrying for up to `patience` seconds while the database is away.

    Used once a mail has been handed over: giving up on recording it would send it again when
    the claim runs out, so the worker waits for the database to come back instead.
    """
    deadline = time.monotonic() + patience
    delay = 0.5
    while True:
        try:
            return write()
        except (OperationalError, InterfaceError) as error:
            if connection.in_atomic_block or time.monotonic() + delay > deadline:
                raise
            logger.warning("database unavailable while recording a delivery (%s); retrying", error)
            connection.close()
            time.sleep(delay)
            delay = min(delay * 2, 5)


def referral_deliver(referral_id, now=None, timeout=None, patience=0):
    """Claim one due message, hand it to the mail server, and record the attempt.

    Returns "sent", "retry", "failed", or None when the message is not due or another worker
    claimed it first. The claim is one conditional UPDATE, which only one worker can win on
    SQLite and on PostgreSQL alike, so a message is never handed over twice. `timeout` is the
    mail server's (EMAIL_TIMEOUT by default); with `patience`, recording the outcome is retried
    that many seconds through a database outage.
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
        relay_email(referral, timeout=timeout).send()
    except NoAddress as error:
        return _durably(partial(_record_failure, referral, now, error, permanent=True), patience)
    except Exception as error:  # any backend error (SMTP, socket, timeout): recorded, retried
        return _durably(partial(_record_failure, referral, now, error), patience)
    return _durably(partial(_record_sent, referral, now), patience)


def _record_sent(referral, now):
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


def deliver_due(now=None, limit=BATCH, patience=0):
    """Mail the confirmations not yet sent, then try every message that is due, oldest first.

    Returns a Counter of outcomes ("confirmation" counts confirmation mails sent).
    """
    now = now or timezone.now()
    outcomes = Counter()
    held = Referral.objects.confirmation_due().order_by("pk").values_list("pk", flat=True)
    for referral_id in list(held[:limit]):
        if confirmation_send(referral_id, now):
            outcomes["confirmation"] += 1
    ids = list(
        Referral.objects.due(now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for referral_id in ids:
        outcomes[referral_deliver(referral_id, now, patience=patience) or "skipped"] += 1
    return outcomes


def worker_heartbeat(worker, now=None):
    """Record that `worker` finished a pass without error (what readiness reports)."""
    WorkerHeartbeat.objects.update_or_create(
        worker=worker[:100], defaults={"last_success": now or timezone.now()}
    )


def referrals_requeue(queryset, now=None):
    """Queue failed (or waiting) messages for delivery now, with a fresh retry budget."""
    now = now or timezone.now()
    return queryset.filter(
        status__in=[Referral.Status.FAILED, Referral.Status.PENDING], purged_at__isnull=True
    ).update(status=Referral.Status.PENDING, failures=0, next_attempt_at=now, claimed_until=None)


def confirm_token(referral, issued=None):
    """The signed token behind the link that confirms a reader's address."""
    return tokens.make(CONFIRM_SALT, referral.pk, issued=issued)


def confirmation_send(referral_id, now=None):
    """Mail the reader the link that releases their message; True when sent. Claimed first."""
    now = now or timezone.now()
    claimed = Referral.objects.confirmation_due().filter(pk=referral_id).update(confirm_sent_at=now)
    if not claimed:
        return False
    referral = Referral.objects.select_related("organization").get(pk=referral_id)
    try:
        confirm_email(referral, confirm_token(referral, issued=now.timestamp())).send()
    except Exception as error:  # the mail server is down: release the claim for the worker
        Referral.objects.filter(pk=referral_id).update(confirm_sent_at=None)
        logger.warning("referral %s: confirmation failed (%s)", referral_id, type(error).__name__)
        return False
    return True


def referral_confirm(referral, now=None):
    """Release a held message for delivery, its reader's address confirmed; False if it was not
    held (confirmed before, or erased)."""
    now = now or timezone.now()
    released = Referral.objects.filter(
        pk=referral.pk, status=Referral.Status.HELD, purged_at__isnull=True
    ).update(status=Referral.Status.PENDING, confirmed_at=now, next_attempt_at=now)
    if released and settings.REFERRALS_DELIVER_AT_ONCE:
        transaction.on_commit(
            partial(
                referral_deliver, referral.pk, timeout=settings.REFERRALS_REQUEST_EMAIL_TIMEOUT
            ),
            robust=True,
        )
    return bool(released)


def followup_token(referral, issued=None):
    """The signed token behind a follow-up's yes and no links."""
    return tokens.make(FOLLOWUP_SALT, referral.pk, issued=issued)


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
    """Erase the words and addresses of finished messages past retention, and of held messages
    never confirmed within REFERRALS_CONFIRM_VALID_DAYS; returns how many."""
    now = now or timezone.now()
    days = settings.REFERRALS_RETENTION_DAYS if days is None else days
    unconfirmed_since = now - datetime.timedelta(days=settings.REFERRALS_CONFIRM_VALID_DAYS)
    old = Referral.objects.purgeable(now - datetime.timedelta(days=days)) | (
        Referral.objects.unconfirmed(unconfirmed_since)
    )
    if dry_run:
        return old.count()
    # Rate-limit counters whose window is over count nothing any more.
    counters_purge(now.timestamp())
    return old.update(
        name="",
        email="",
        message="",
        heard_from="",
        fingerprint="",
        client_hash="",
        purged_at=now,
    )
