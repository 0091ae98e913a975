"""When the database or the cache fails: a 503 with Retry-After, never a traceback or a lost word.

Readers get a page that gives back what they typed into the contact, suggest or report form,
ready to send again; API clients get JSON with CORS headers; the embed frame's page can still be
framed. Requests whose reader has already gone are shed before any work is done. `readiness()`
is what /healthz/ready reports.
"""

import logging
import socket
import sys
import time

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, InterfaceError, InternalError, OperationalError, connections
from django.db.models import Max
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views import defaults

from orgsite.jsonedge import open_to_any_origin

logger = logging.getLogger(__name__)

# Forms whose words a 503 gives back, by URL name. They are rebuilt from the post alone: the
# database that would fill in the rest (the group, the list of causes) is what is down.
WORDS_BACK = {
    "referrals:contact": "referrals.forms.ContactForm",
    "curation:suggest": "curation.forms.SuggestForm",
    "curation:report": "curation.forms.ReportForm",
}
READ_ONLY_SQLSTATE = "25006"  # PostgreSQL: a write in a read-only transaction or on a standby
READINESS_TIMEOUT = 2  # seconds, for each of the readiness check's database steps


def _cache_errors():
    try:
        from redis.exceptions import ConnectionError, TimeoutError
    except ImportError:  # pragma: no cover - redis is a dependency, but the check must not need it
        return ()
    return (ConnectionError, TimeoutError)


def is_outage(error):
    """Is this error the database or cache being down, locked, read-only or too slow?"""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, (OperationalError, InterfaceError, *_cache_errors())):
            return True
        if isinstance(error, InternalError) and (
            getattr(error.__cause__, "sqlstate", None) == READ_ONLY_SQLSTATE
        ):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _view_name(request):
    match = request.resolver_match
    if match is None:  # the error came before the URL was resolved
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return ""
    return match.view_name


def _is_api(request):
    return request.path_info.startswith("/api/")


def _is_embed(request):
    # The widget's frame, at /embed/ or under a language prefix (/es/embed/).
    return _view_name(request).startswith("embed:")


def _words_back(request):
    """The posted fields of a public form, to put back in front of the reader; None otherwise."""
    if request.method != "POST":
        return None
    dotted = WORDS_BACK.get(_view_name(request))
    if dotted is None:
        return None
    fields = []
    for name, field in import_string(dotted).base_fields.items():
        values = [value for value in request.POST.getlist(name) if value != ""]
        fields.append({"name": name, "label": field.label, "values": values, **_shape(field)})
    return {"action": request.path, "fields": fields}


def _shape(field):
    """How a field is given back: typed text stays editable, choices travel as they were made."""
    widget = field.widget
    if widget.is_hidden or widget.attrs.get("tabindex") == "-1":  # tokens and honeypots
        return {"kind": "hidden"}
    if isinstance(widget, forms.Textarea):
        return {"kind": "textarea"}
    if isinstance(widget, forms.CheckboxInput):
        return {"kind": "checkbox"}
    if isinstance(field, forms.ModelChoiceField):  # its choices would need the database
        return {"kind": "choice", "labels": None}
    if isinstance(field, forms.ChoiceField):
        return {"kind": "choice", "labels": {str(k): str(v) for k, v in field.choices}}
    return {"kind": "input", "type": getattr(widget, "input_type", "text")}


def outage_response(request, error):
    """The 503 for this request: JSON for the API, a frameable page for embeds, else the page."""
    logger.error(
        "outage: %s %s answered 503 (%s)", request.method, request.path, type(error).__name__
    )
    message = _(
        "The directory is briefly unavailable. Please try again in a minute; nothing you "
        "typed is lost."
    )
    if _is_api(request):
        response = open_to_any_origin(JsonResponse({"detail": message}, status=503))
    elif _is_embed(request):
        from embed.framing import frameable

        response = frameable(_embed_unavailable)(request)
    else:
        words = _words_back(request)
        if words:
            for field in words["fields"]:
                if field["kind"] == "choice" and field["labels"]:
                    field["shown"] = [field["labels"].get(v, v) for v in field["values"]]
                elif field["kind"] == "choice":
                    field["shown"] = field["values"]
        response = render(request, "503.html", {"words": words}, status=503)
    response["Retry-After"] = str(settings.OUTAGE_RETRY_AFTER)
    patch_cache_control(response, no_store=True)
    return response


def _embed_unavailable(request):
    return render(request, "503_embed.html", status=503)


class OutageMiddleware:
    """A view that fails because the database or cache is down answers 503, not 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_outage(exception):
            return outage_response(request, exception)
        return None


def server_error(request, template_name="500.html"):
    """handler500: an outage outside a view is a 503 too; API errors stay JSON, embeds framable."""
    error = sys.exc_info()[1]
    if error is not None and is_outage(error):
        return outage_response(request, error)
    if _is_api(request):
        return open_to_any_origin(
            JsonResponse(
                {"detail": _("Something went wrong on our side. Please try again in a minute.")},
                status=500,
            )
        )
    if _is_embed(request):
        from embed.framing import frameable

        return frameable(defaults.server_error)(request)
    return defaults.server_error(request, template_name)


class LoadSheddingMiddleware:
    """Answer 503 at once to a read whose reader has left, or that waited too long to be served.

    A reader who gave up (closed the tab, the proxy timed out) is not helped by a page rendered
    after the fact, and working on it delays everyone queued behind. Posts are never shed: what
    a reader sent is stored even when they did not wait for the answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and (client_gone(request) or queued_too_long(request)):
            response = HttpResponse(
                _("Too busy to answer in time; please try again."),
                status=503,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = "1"
            patch_cache_control(response, no_store=True)
            return response
        return self.get_response(request)


def client_gone(request):
    """Has the client hung up? Known under gunicorn, which hands the app its socket."""
    sock = request.META.get("gunicorn.socket")
    if sock is None:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:  # nothing to read: the connection is open and waiting for us
        return False
    except OSError:  # reset by the peer
        return True
    except ValueError:  # a TLS socket (gunicorn --certfile) refuses peeking flags: cannot tell
        return False


def queued_too_long(request, now=None):
    """Did the request wait in the proxy's queue longer than SHED_QUEUED_SECONDS?"""
    limit = settings.SHED_QUEUED_SECONDS
    raw = request.META.get("HTTP_X_REQUEST_START", "")
    if not limit or not raw:
        return False
    try:
        start = float(raw.removeprefix("t="))
    except ValueError:
        return False
    # Proxies stamp seconds (nginx's $msec), milliseconds or microseconds since the epoch.
    while start > 1e11:
        start /= 1000
    return (now or time.time()) - start > limit


def readiness():
    """({check: result}, ready): can this app server answer readers, and is the worker alive?"""
    checks = {"database": _database_check(), "cache": _cache_check(), "worker": None}
    if checks["database"] == "ok":
        checks["worker"] = _worker_check()
    return checks, checks["database"] == "ok"


def _database_check():
    # A fresh connection with its own short timeouts: the probe must answer quickly and must not
    # report a pooled connection as proof that a new one could be made.
    base = connections[DEFAULT_DB_ALIAS]
    params = {**base.settings_dict, "OPTIONS": {**base.settings_dict.get("OPTIONS", {})}}
    if base.vendor == "postgresql":
        params["OPTIONS"]["connect_timeout"] = READINESS_TIMEOUT
        params["OPTIONS"]["options"] = f"-c statement_timeout={READINESS_TIMEOUT * 1000}"
    elif base.vendor == "sqlite":
        params["OPTIONS"]["timeout"] = READINESS_TIMEOUT
    probe = base.__class__(params, DEFAULT_DB_ALIAS)
    try:
        with probe.cursor() as cursor:
            if probe.vendor == "postgresql":
                cursor.execute(
                    "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'"
                )
                return "read-only" if cursor.fetchone()[0] else "ok"
            if probe.vendor == "sqlite":
                # Can a write start? Locked or read-only databases fail here, within the timeout.
                probe.connection.execute("BEGIN IMMEDIATE")
                probe.connection.execute("ROLLBACK")
                return "ok"
            cursor.execute("SELECT 1")
            return "ok"
    except Exception as error:  # whatever the driver raises, the answer is "not ready"
        logger.warning("readiness: database check failed (%s)", type(error).__name__)
        return "down"
    finally:
        probe.close()


def _cache_check():
    try:
        cache.set("orgsite:ready", 1, timeout=30)
        return "ok" if cache.get("orgsite:ready") == 1 else "down"
    except Exception as error:  # any cache failure: the rate limits count in the database
        logger.warning("readiness: cache check failed (%s)", type(error).__name__)
        return "down"


def _worker_check():
    from referrals.models import WorkerHeartbeat

    last = WorkerHeartbeat.objects.aggregate(last=Max("last_success"))["last"]
    if last is None:
        return {"last_success": None, "seconds_ago": None, "stale": True}
    age = int((timezone.now() - last).total_seconds())
    return {
        "last_success": last.isoformat(),
        "seconds_ago": age,
        "stale": age > settings.REFERRALS_WORKER_STALE_SECONDS,
    }
