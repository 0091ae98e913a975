"""Who a client is, as far as limits go, and how many times it did something in a window.

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
from django.utils.crypto import salted_hmac

from abuse.models import RateCount

logger = logging.getLogger(__name__)


class Refused(Exception):
    """A submission turned away by a limit; the message says why, in the reader's words."""


def client_address(request):
    """The address a limit counts: the client's own, or for IPv6 its /64 (one subscriber's)."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.CLIENT_IP_HEADER:
        forwarded = request.META.get(settings.CLIENT_IP_HEADER, "")
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


def keyed_hash(purpose, text):
    """An HMAC of `text` with the site's CLIENT_HASH_KEY: equal texts match, none can be read."""
    return salted_hmac(
        purpose, text, secret=settings.CLIENT_HASH_KEY or None, algorithm="sha256"
    ).hexdigest()


def client_hash(request):
    """A keyed hash of the client's address: enough to count, useless to identify."""
    # The purpose string predates this module: changing it would reset every stored hash.
    return keyed_hash("referrals.client", client_address(request))


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
_TABLE = RateCount._meta.db_table
# The table's name is the model's own, never input.
UPSERT_COUNT = f"""
INSERT INTO {_TABLE} ("key", "count", "expires") VALUES (%(key)s, 1, %(expires)s)
ON CONFLICT ("key") DO UPDATE SET
    "count" = CASE WHEN {_TABLE}."expires" <= %(now)s THEN 1 ELSE {_TABLE}."count" + 1 END,
    "expires" = CASE WHEN {_TABLE}."expires" <= %(now)s THEN %(expires)s
        ELSE {_TABLE}."expires" END
RETURNING "count"
"""  # noqa: S608


def _count_in_database(key, window, now=None):
    now = int(now if now is not None else time.time())
    with connection.cursor() as cursor:
        cursor.execute(UPSERT_COUNT, {"key": key[:200], "now": now, "expires": now + window})
        return cursor.fetchone()[0]


def admit(key, limit, window, message=""):
    """Count one event under `key`; raise Refused(message) once it passes `limit` in `window`."""
    if count_event(key, window) > limit:
        raise Refused(message)


def counters_purge(now=None):
    """Delete database counters whose window is over (they count nothing any more)."""
    now = time.time() if now is None else now
    return RateCount.objects.filter(expires__lt=now).delete()[0]
