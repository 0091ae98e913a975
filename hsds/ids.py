"""Stable HSDS ids (UUIDs) for entries that have no UUID of their own.

An entry's HSDS organization id is, in order:
1. the id it was imported under (kept in `hsds.ExternalRecord`), so a round trip keeps ids;
2. otherwise uuid5(NAMESPACE, "organization:<slug>"): the same on every deployment with the same
   slugs. Changing a group's slug therefore changes its HSDS id.
Every other id of the entry (its service, location, phones...) is uuid5(organization id, "<kind>"),
and causes are uuid5(NAMESPACE, "term:orgsite:<slug>").

Ids are made, so they need no storing to be handed out; to find an entry by one, the ids of its
organization, service, location and service at a location are stored in `hsds.EntryIds`.
"""

import logging
import uuid
from functools import lru_cache

from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import F, Q

from directory import caching
from directory.models import Organization
from hsds.models import EntryIds

logger = logging.getLogger(__name__)
CAUGHT_UP = "hsds:ids:caught-up"

NAMESPACE = uuid.UUID("4c4e5c52-9d1d-4fe6-ba01-d498b3312192")
CAUSES_TAXONOMY = "orgsite"
DETAILS_TAXONOMY = "orgsite-details"


@lru_cache(maxsize=100_000)
def from_slug(slug):
    return uuid.uuid5(NAMESPACE, f"organization:{slug}")


def organization_id(org):
    """The entry's HSDS organization id (see the module docstring)."""
    record = getattr(org, "hsds_record", None)
    return record.hsds_id if record is not None else from_slug(org.slug)


@lru_cache(maxsize=400_000)
def child(parent, kind):
    """The id of one part of an entry (its service, location, a phone...)."""
    return uuid.uuid5(parent, kind)


def taxonomy(name):
    return uuid.uuid5(NAMESPACE, f"taxonomy:{name}")


def term(taxonomy_name, code):
    return uuid.uuid5(NAMESPACE, f"term:{taxonomy_name}:{code}")


def parse(text):
    """A UUID from text, or None."""
    try:
        return uuid.UUID(str(text)[:64])
    except ValueError:
        return None


# --- Stored ids (hsds.EntryIds): finding an entry by any of its ids in one indexed query. ---

KINDS = ("organization", "service", "location", "service_at_location")


def of(org, kind):
    """The HSDS id of one part of an entry: "organization", "service", "location"..."""
    base = organization_id(org)
    return base if kind == "organization" else child(base, kind)


def _stored(pk, slug, recorded):
    base = recorded or from_slug(slug)
    return EntryIds(
        organization_id=pk,
        slug=slug,
        recorded=recorded,
        organization_uuid=base,
        **{f"{kind}_uuid": child(base, kind) for kind in KINDS[1:]},
    )


def remember(pks):
    """Store the ids of these entries (by primary key) as the database now makes them."""
    pks = list(pks)
    fields = ["slug", "recorded", *(f"{kind}_uuid" for kind in KINDS)]
    for start in range(0, len(pks), 500):
        rows = Organization.objects.filter(pk__in=pks[start : start + 500]).values_list(
            "pk", "slug", "hsds_record__hsds_id"
        )
        EntryIds.objects.bulk_create(
            [_stored(*row) for row in rows],
            update_conflicts=True,
            unique_fields=["organization"],
            update_fields=fields,
        )


def repair():
    """Store the ids of entries no save told about (bulk writes, renames); True if any were.

    One query, a pass over the entries; it returns no rows when nothing is out of date.
    """
    stale = Organization.objects.filter(
        Q(hsds_ids__isnull=True)
        | ~Q(hsds_ids__slug=F("slug"))
        | Q(hsds_record__isnull=True, hsds_ids__recorded__isnull=False)
        | Q(hsds_record__isnull=False, hsds_ids__recorded__isnull=True)
        | (
            Q(hsds_record__isnull=False, hsds_ids__recorded__isnull=False)
            & ~Q(hsds_ids__recorded=F("hsds_record__hsds_id"))
        )
    )
    pks = list(stale.values_list("pk", flat=True))
    if not pks:
        return False
    try:
        with transaction.atomic():
            remember(pks)
    except DatabaseError:
        return False  # a read-only database: the ids cannot be stored, the lookup misses
    return True


def find(queryset, kind, wanted):
    """The entry of `queryset` whose `kind` has the HSDS id `wanted` (a UUID), or None.

    One indexed query when the id is stored. A miss (or a stored id that is out of date) first
    catches up the ids no save told about, if anything was written since that was last done,
    then looks once more.
    """
    if wanted is None:
        return None
    # Unordered, so that the database starts from the id's index rather than the list's order.
    found = queryset.filter(**{f"hsds_ids__{kind}_uuid": wanted}).order_by()
    for attempt in range(2):
        for org in found[:3]:
            if of(org, kind) == wanted:
                return org
        if attempt or not catch_up():
            return None
    return None


def catch_up():
    """repair(), unless nothing was written since it last ran; True if it stored any ids.

    Every write to the directory bumps its generation (directory/caching.py), bulk writes too,
    so a generation already caught up means there is nothing to look for: a lookup that finds
    nothing then costs one indexed read more, not a pass over the entries.
    """
    now = caching.generation()
    try:
        done = cache.get(CAUGHT_UP)
    except Exception:  # a cache that is down only means looking again
        done = None
    if done == now:
        return False
    stored = repair()
    try:
        cache.set(CAUGHT_UP, now, None)
    except Exception:
        logger.warning("cache unavailable; HSDS ids will be checked again", exc_info=True)
    return stored
