"""Stable HSDS ids (UUIDs) for entries that have no UUID of their own.

An entry's HSDS organization id is, in order:
1. the id it was imported under (kept in `hsds.ExternalRecord`), so a round trip keeps ids;
2. otherwise uuid5(NAMESPACE, "organization:<slug>"): the same on every deployment with the same
   slugs. Changing a group's slug therefore changes its HSDS id.
Every other id of the entry (its service, location, phones...) is uuid5(organization id, "<kind>"),
and causes are uuid5(NAMESPACE, "term:orgsite:<slug>"), so nothing needs storing.
"""

import uuid
from functools import lru_cache

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
