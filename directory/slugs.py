"""Slugs: for new entries, one rule for the suggestion queue, the CSV import and the HSDS import;
and the addresses of a slug's pages."""

import functools
import re

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.text import slugify
from django.utils.translation import get_language

# What Django's `slug` path converter accepts: such a slug is its own address segment.
SLUG_SEGMENT = re.compile(r"[-a-zA-Z0-9_]+")
_MARK = "slug-placeholder"


def slug_base(text, max_length=200):
    """The slug of text, at most max_length long; "group" when text has no letter or digit."""
    return slugify(text)[:max_length] or "group"


def free_slug(base, taken):
    """base, else base-2, base-3 ...: the first not in taken (a set of slugs)."""
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def unused_slug(base):
    """free_slug() against the entries in the database, in one query."""
    from directory.models import Organization  # slugs.py is imported by models' neighbours

    taken = set(Organization.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    return free_slug(base, taken)


def slug_path(viewname, slug):
    """reverse(viewname, args=[slug]) for a view whose one argument is a slug, without resolving
    the URL patterns again for each of a list's rows: the address is resolved once per view,
    language and prefix, and the slug put in its place."""
    if not SLUG_SEGMENT.fullmatch(slug or ""):
        return reverse(viewname, args=[slug])
    pattern = _slug_pattern(viewname, get_language(), get_script_prefix(), get_urlconf())
    return pattern.replace(_MARK, slug, 1)


@functools.lru_cache(maxsize=256)
def _slug_pattern(viewname, language, prefix, urlconf):
    """The address of `viewname` with a mark for the slug (the active language, prefix and
    URLconf, which the arguments name, are what reverse() reads)."""
    return reverse(viewname, args=[_MARK])
