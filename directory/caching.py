"""Cached search outcomes, and the generation number that makes every one of them stale at once.

Each change to a group or a cause bumps one number kept in the database (so every app server sees
it, whatever the cache backend); a cached outcome is stored under the number it was computed
from, so after an edit no server can answer from an older one. A cache that is down is a cache
that misses: the search is computed and the reader never sees the outage.
"""

import functools
import hashlib
import logging
import pickle
import time

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import translation
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)


def generation():
    """The directory's current generation number (one indexed read)."""
    from directory.models import Generation

    return Generation.objects.filter(pk=1).values_list("value", flat=True).first() or 0


def bump():
    """Make every cached answer stale: call after any change to groups or causes."""
    from directory.models import Generation

    # The next number is past both the last one and the clock (microseconds), so a database
    # restored with an older number never hands out one that cached answers are kept under.
    now = Value(time.time_ns() // 1000)
    if not Generation.objects.filter(pk=1).update(value=Greatest(F("value") + 1, now)):
        Generation.objects.get_or_create(pk=1, defaults={"value": time.time_ns() // 1000})


PAGE_MAX_AGE = 60  # seconds a public page may be kept by a browser or a CDN


def cached(parts, compute):
    """`compute()`, or its result kept under `parts` for SEARCH_CACHE_SECONDS."""
    seconds = settings.SEARCH_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    digest = hashlib.sha256(
        pickle.dumps((translation.get_language(), parts), protocol=5)
    ).hexdigest()
    key = f"search:{generation()}:{digest}"
    try:
        found = cache.get(key)
    except Exception:  # a cache outage is a miss, never an error page
        logger.warning("search cache unavailable; answering uncached", exc_info=True)
        return compute()
    if found is not None:
        return found
    value = compute()
    try:
        cache.set(key, value, seconds)
    except Exception:
        logger.warning("search cache unavailable; answer not kept", exc_info=True)
    return value


def public_page(max_age):
    """A view decorator: anonymous answers may be kept by browsers and shared caches (a CDN)
    for `max_age` seconds; anything for a signed-in curator, or that sets a cookie, may not."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            user = getattr(request, "user", None)
            signed_in = user is not None and user.is_authenticated
            if response.status_code == 200 and not signed_in and not response.cookies:
                patch_cache_control(response, public=True, max_age=max_age)
            else:
                patch_cache_control(response, private=True, no_cache=True)
            return response

        return wrapped

    return decorator


def connect():
    """Bump the generation on every saved or deleted group or cause, and on changed causes.

    Signals catch every write through the ORM's save and delete (the admin, forms, merges,
    reverts, the HSDS import); bulk writes call `bump()` themselves.
    """
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from directory.models import Category, Organization

    def changed(sender, action="post_", **kwargs):
        if action.startswith("post_"):
            bump()

    for model in (Organization, Category):
        post_save.connect(
            changed, sender=model, weak=False, dispatch_uid=f"generation-save-{model.__name__}"
        )
        post_delete.connect(
            changed, sender=model, weak=False, dispatch_uid=f"generation-delete-{model.__name__}"
        )
    m2m_changed.connect(
        changed, sender=Organization.causes.through, weak=False, dispatch_uid="generation-causes"
    )
