"""Per-snippet counts: the public `ref` the builder issues, the counting, and the writer's page.

A ref is 12 characters: 7 random and 5 of an HMAC over them (keyed by SECRET_KEY), so only refs
the builder issued are counted and a made-up one is ignored without a database lookup. The
writer's page is reached by a signed token over the ref; the ref alone, printed in every
snippet, opens nothing.

Counting never breaks what it counts: a failed write is logged and the reader's answer goes on.
"""

import datetime
import logging
import re
import secrets

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from abuse import tokens
from directory.geocoding import suggest
from embed.models import REF_LENGTH, EmbedDailyCount, EmbedGapCount

logger = logging.getLogger(__name__)

ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
RANDOM_PART = 7
REF = re.compile(rf"^[a-z2-7]{{{REF_LENGTH}}}$")
STATS_SALT = "embed.stats"
REF_SALT = "embed.ref"
PERIODS = (30, 90)
COUNTED = ("searches", "views", "messages")
US_ZIP = re.compile(r"^[0-9]{5}$")


def _mac(body):
    digest = salted_hmac(REF_SALT, body, algorithm="sha256").digest()
    return "".join(ALPHABET[byte % 32] for byte in digest[: REF_LENGTH - RANDOM_PART])


def issue_ref():
    """A new public ref for a snippet."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_PART))
    return body + _mac(body)


def clean_ref(value):
    """The ref when `value` is one the builder issued, else "": garbage is ignored, not an error."""
    if not isinstance(value, str) or not REF.match(value):
        return ""
    body, mac = value[:RANDOM_PART], value[RANDOM_PART:]
    return value if constant_time_compare(mac, _mac(body)) else ""


def stats_token(ref):
    """The signed part of the writer's private link to their counts."""
    return tokens.make(STATS_SALT, ref)


def ref_from_token(token):
    """The ref a stats token was made for, or "" when it is not genuine."""
    try:
        return clean_ref(tokens.check(token, STATS_SALT))
    except tokens.TokenInvalid:
        return ""


def _upsert(model, key, field):
    """Add one to `field` of the row at `key`: an UPDATE, and an INSERT the first time a day."""
    increment = {field: F(field) + 1}
    if model.objects.filter(**key).update(**increment):
        return
    try:
        with transaction.atomic():
            model.objects.create(**key, **{field: 1})
    except IntegrityError:  # another request made the row first
        model.objects.filter(**key).update(**increment)


def count(ref, field, day=None):
    """Count one search, view or message for `ref`; never raises (a failed write is logged)."""
    ref = clean_ref(ref)
    if not ref or field not in COUNTED:
        return
    try:
        with transaction.atomic():
            _upsert(EmbedDailyCount, {"ref": ref, "day": day or timezone.localdate()}, field)
    except DatabaseError:
        logger.warning("widget count not recorded", exc_info=True)


def gap_area(outcome):
    """The three-digit ZIP area of a search by US ZIP code that found no local group, or ""."""
    place = getattr(outcome, "place", None)
    if place is None or place.country != "US" or not US_ZIP.match(place.postal_code or ""):
        return ""
    local = any(block.key in ("covering", "nearby") for block in outcome.blocks)
    if local and not (outcome.widened or outcome.nearest_only):
        return ""
    return place.postal_code[:3]


def count_search(ref, outcome, day=None):
    """Count a reader's search, and its ZIP area when it found no local group."""
    ref = clean_ref(ref)
    if not ref:
        return
    day = day or timezone.localdate()
    count(ref, "searches", day)
    area = gap_area(outcome) if outcome is not None else ""
    if not area:
        return
    try:
        with transaction.atomic():
            _upsert(EmbedGapCount, {"ref": ref, "day": day, "area": area}, "searches")
    except DatabaseError:
        logger.warning("widget coverage gap not recorded", exc_info=True)


def report(ref, days, today=None):
    """A writer's numbers for the last `days` days: totals, the days with any, coverage gaps."""
    today = today or timezone.localdate()
    since = today - datetime.timedelta(days=days - 1)
    daily = list(
        EmbedDailyCount.objects.filter(ref=ref, day__gte=since, day__lte=today)
        .order_by("-day")
        .values("day", *COUNTED)
    )
    totals = {k: sum(row[k] for row in daily) for k in COUNTED}
    gaps = [
        {**row, "place": _area_place(row["area"])}
        for row in EmbedGapCount.objects.filter(ref=ref, day__gte=since, day__lte=today)
        .values("area")
        .annotate(searches=Sum("searches"))
        .order_by("-searches", "area")
    ]
    return {"since": since, "today": today, "daily": daily, "totals": totals, "gaps": gaps}


def _area_place(area):
    """A town in a three-digit ZIP area ("Absarokee, MT" for 590), to say roughly where it is."""
    found = suggest(area, limit=1)
    return found[0].label.rsplit(" ", 1)[0] if found else ""
