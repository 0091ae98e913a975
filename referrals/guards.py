"""Abuse controls that need more than the form: client identity and rate limits."""

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _


class Refused(Exception):
    """A submission turned away by a limit; the message says why, in the reader's words."""


def client_hash(request):
    """A keyed hash of the client's address: enough to count, useless to identify."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.REFERRALS_CLIENT_IP_HEADER:
        forwarded = request.META.get(settings.REFERRALS_CLIENT_IP_HEADER, "")
        # The proxy appends the address it saw: the last entry is the one nobody else could set.
        address = forwarded.split(",")[-1].strip() or address
    return salted_hmac(
        "referrals.client",
        address[:100],
        secret=settings.REFERRALS_HASH_KEY or None,
        algorithm="sha256",
    ).hexdigest()


def count_event(key, window):
    """Count one more event in a fixed window; returns the count (atomic in Redis and locmem)."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.add(key, 1, timeout=window)
        return 1


def admit(organization, client):
    """Count a submission against the per-address and per-group limits, or raise Refused."""
    if count_event(f"referrals:client:{client}", settings.REFERRALS_CLIENT_WINDOW) > (
        settings.REFERRALS_CLIENT_LIMIT
    ):
        raise Refused(
            _(
                "You have sent several messages in a short time, so we are holding this one "
                "back. Please try again in an hour; what you wrote is still below."
            )
        )
    if count_event(f"referrals:org:{organization.pk}", settings.REFERRALS_ORG_WINDOW) > (
        settings.REFERRALS_ORG_LIMIT
    ):
        raise Refused(
            _(
                "This group has received many messages today, so we are not taking more "
                "until tomorrow. Please try again then, or use the group's other contact "
                "links; what you wrote is still below."
            )
        )


def fingerprint(organization_id, email, message):
    """The same message from the same address to the same group hashes the same."""
    words = " ".join(message.split()).casefold()
    text = f"{organization_id}\n{email.strip().casefold()}\n{words}"
    return salted_hmac(
        "referrals.fingerprint",
        text,
        secret=settings.REFERRALS_HASH_KEY or None,
        algorithm="sha256",
    ).hexdigest()
