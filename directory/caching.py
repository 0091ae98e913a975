"""Cached search outcomes, and the generation number that makes every one of them stale at once.

Each change to a group or a cause bumps one number kept in the database (so every app server sees
it, whatever the cache backend); a cached outcome is stored under the number it was computed
from, so after an edit no server can answer from an older one. A cache that is down is a cache
that misses: the search is computed and the reader never sees the outage.
"""

import contextvars
import functools
import hashlib
import logging
import pickle
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connections, router
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import cc_delim_re, patch_cache_control

logger = logging.getLogger(__name__)


# The generation read at the start of this request, so a request that misses the page cache does
# not read it again for the search cache.
_request_generation = contextvars.ContextVar("request_generation", default=None)


def generation(connection=None):
    """The directory's current generation number (one read by primary key, without the ORM's
    query building: every cached answer pays for it). Through `connection` when given, for
    what that connection itself reads (queries._kept_words); else as this request saw it."""
    from directory.models import Generation

    known = _request_generation.get()
    if known is not None and connection is None:
        return known

    connection = connection or connections[router.db_for_read(Generation)]
    table = connection.ops.quote_name(Generation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {table} WHERE id = 1")  # noqa: S608 - a model's table
        row = cursor.fetchone()
    return row[0] if row else 0


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


def count(queryset):
    """`queryset.count()`, kept like a search's outcome (under the generation, so exact): the
    count of a whole list is a read of every row it counts (140 ms on PostgreSQL for the HSDS
    services at a million groups), and each page of the list needs it."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing
        return 0
    return cached(("count", queryset.db, sql, tuple(params)), queryset.count)


def public_page(max_age):
    """A view decorator: anonymous answers may be kept by browsers and shared caches (a CDN)
    for `max_age` seconds; anything for a signed-in curator, or that sets a cookie, may not."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            user = getattr(request, "user", None)
            signed_in = user is not None and user.is_authenticated
            # A page with a form carries a token tied to this reader's cookie: theirs alone.
            form = request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            if response.status_code == 200 and not (signed_in or form or response.cookies):
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


# Cookies that do not change what a public page shows: the language choice (its effect is in the
# key below) and the CSRF secret (pages with a form are never kept, see `_keepable`).
NEUTRAL_COOKIES = frozenset({settings.LANGUAGE_COOKIE_NAME, settings.CSRF_COOKIE_NAME})


class PublicResponseCache:
    """Whole answers to anonymous GETs, kept for SEARCH_CACHE_SECONDS under the generation.

    It sits before the session, locale, CSRF, auth and CSP middleware, so a kept answer costs one
    read of the generation number and one cache read, and skips them all. Only answers the view
    marked `public` are kept (searches, the widget, the API, cause pages: see `public_page`), never
    one that sets a cookie or carries a form's CSRF token, and never for a request with a session
    or any cookie but the language choice. The key is the address, the host and the language the
    locale middleware would pick for this request, so English, Spanish and the widget's presets
    never mix. An edit anywhere bumps the generation, so no server answers from before it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = settings.SEARCH_CACHE_SECONDS
        if seconds <= 0 or request.method not in ("GET", "HEAD") or not self._anonymous(request):
            return self.get_response(request)
        try:
            now = generation()
        except DatabaseError:
            # The view meets the outage too, and answers it with its own kind of 503 (the
            # widget's stays frameable, the API's is JSON): this layer only steps aside.
            return self.get_response(request)
        key = self._key(request, now)
        kept = self._read(key)
        if kept is not None:
            content, headers = kept
            return HttpResponse(content, headers=headers)
        token = _request_generation.set(now)
        try:
            response = self.get_response(request)
        finally:
            _request_generation.reset(token)
        if request.method == "GET" and self._keepable(request, response):
            self._write(key, (response.content, dict(response.items())), seconds)
        return response

    @staticmethod
    def _anonymous(request):
        return all(name in NEUTRAL_COOKIES for name in request.COOKIES)

    @staticmethod
    def _key(request, now):
        language = translation.get_language_from_request(request, check_path=True)
        address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
        digest = hashlib.sha256(f"{language} {address}".encode()).hexdigest()
        return f"page:{now}:{digest}"

    @staticmethod
    def _keepable(request, response):
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and "public" in cc_delim_re.split(response.get("Cache-Control", ""))
        )

    @staticmethod
    def _read(key):
        try:
            return cache.get(key)
        except Exception:  # a cache outage is a miss, never an error page
            logger.warning("page cache unavailable; answering uncached", exc_info=True)
            return None

    @staticmethod
    def _write(key, value, seconds):
        try:
            cache.set(key, value, seconds)
        except Exception:
            logger.warning("page cache unavailable; answer not kept", exc_info=True)
