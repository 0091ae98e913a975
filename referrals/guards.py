"""Abuse controls that need more than the form: client identity and rate limits.

Limits count in Redis when the site has it, and in the database otherwise, or whenever Redis
fails: a cache outage must never turn a reader away with a 500, nor lose what they wrote.
"""

import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from referrals.models import CapReached

logger = logging.getLogger(__name__)


class Refused(Exception):
    """A submission turned away by a limit; the message says why, in the reader's words."""


def client_address(request):
    """The address a limit counts: the client's own, or for IPv6 its /64 (one subscriber's)."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.REFERRALS_CLIENT_IP_HEADER:
        forwarded = request.META.get(settings.REFERRALS_CLIENT_IP_HEADER, "")
        # The proxy appends the address it saw: the last entry is the one nobody else could set.
        address = forwarded.split(",")[-1].strip() or address
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address[:100]
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        # An IPv6 subscriber is handed a whole /64 and may pick any address in it at will.
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_hash(request):
    """A keyed hash of the client's address: enough to count, useless to identify."""
    return salted_hmac(
        "referrals.client",
        client_address(request),
        secret=settings.REFERRALS_HASH_KEY or None,
        algorithm="sha256",
    ).hexdigest()


def _cache_is_shared():
    # A per-process cache would give each app server (and each restart) its own limits.
    return not isinstance(caches["default"], LocMemCache | DummyCache)


def count_event(key, window):
    """Count one more event in a window of `window` seconds; returns the count so far.

    Atomic in Redis and in the database alike, so many app servers share one count.
    """
    if _cache_is_shared():
        try:
            return _count_in_cache(key, window)
        except Exception as error:  # any cache failure (refused, timed out, full): degrade
            logger.warning("rate limit: cache unavailable (%s), counting in the database", error)
    return _count_in_database(key, window)


def _count_in_cache(key, window):
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.add(key, 1, timeout=window)
        return 1


# One upsert, atomic on SQLite and PostgreSQL however many app servers count at once. An expired
# row starts a new window, as a cache key's timeout would.
UPSERT_COUNT = """
INSERT INTO referrals_ratecount ("key", "count", "expires") VALUES (%(key)s, 1, %(expires)s)
ON CONFLICT ("key") DO UPDATE SET
    "count" = CASE WHEN referrals_ratecount."expires" <= %(now)s THEN 1
        ELSE referrals_ratecount."count" + 1 END,
    "expires" = CASE WHEN referrals_ratecount."expires" <= %(now)s THEN %(expires)s
        ELSE referrals_ratecount."expires" END
RETURNING "count"
"""


def _count_in_database(key, window, now=None):
    now = int(now if now is not None else time.time())
    with connection.cursor() as cursor:
        cursor.execute(UPSERT_COUNT, {"key": key[:200], "now": now, "expires": now + window})
        return cursor.fetchone()[0]


def admit(organization, client, now=None):
    """Count a submission against the per-address and per-group limits, or raise Refused.

    A client may use only a share of a group's cap, so a few clients cannot fill it and silence
    the group's relay; when the cap itself is reached, curators see it (CapReached).
    """
    if count_event(f"referrals:client:{client}", settings.REFERRALS_CLIENT_WINDOW) > (
        settings.REFERRALS_CLIENT_LIMIT
    ):
        raise Refused(
            _(
                "You have sent several messages in a short time, so we are holding this one "
                "back. Please try again in an hour; what you wrote is still below."
            )
        )
    share_key = f"referrals:org:{organization.pk}:client:{client}"
    if count_event(share_key, settings.REFERRALS_ORG_WINDOW) > (
        settings.REFERRALS_ORG_CLIENT_LIMIT
    ):
        raise Refused(
            _(
                "You have already written to this group several times today, so we are holding "
                "this one back. Please try again tomorrow; what you wrote is still below."
            )
        )
    if count_event(f"referrals:org:{organization.pk}", settings.REFERRALS_ORG_WINDOW) > (
        settings.REFERRALS_ORG_LIMIT
    ):
        cap_reached(organization, now)
        raise Refused(
            _(
                "This group has received many messages today, so we are not taking more "
                "until tomorrow. Please try again then, or use the group's other contact "
                "links; what you wrote is still below."
            )
        )


def cap_reached(organization, now=None):
    """Note, for curators, that the group's cap turned a reader away today."""
    now = now or timezone.now()
    flag, created = CapReached.objects.get_or_create(
        organization=organization,
        day=timezone.localdate(now),
        defaults={"first_refused": now, "refused": 1},
    )
    if created:
        logger.warning("referrals: group %s reached its daily cap", organization.pk)
    else:
        CapReached.objects.filter(pk=flag.pk).update(refused=F("refused") + 1)


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
