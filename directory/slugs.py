"""Slugs for new entries: one rule for the suggestion queue, the CSV import and the HSDS import."""

from django.utils.text import slugify


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
