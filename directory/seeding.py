"""Load the seed data (causes and sample groups) so that loading twice changes nothing."""

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from directory.models import Category, Organization

SEEDS_DIR = Path(settings.BASE_DIR) / "seeds"


class SeedError(Exception):
    """A seed record that cannot be loaded, named by its file and slug."""


@dataclass
class SeedReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self):
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def read_seed(name, seeds_dir=SEEDS_DIR):
    path = Path(seeds_dir) / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SeedError(f"{path}: {error}") from None


@transaction.atomic
def load_seeds(seeds_dir=SEEDS_DIR, dry_run=False):
    """Create or update causes and groups from the seed files; return a report for each."""
    # A cause's "name" and "description" are its English ones, beside "name_es" and so on
    # (directory/translation.py), whatever language the caller has active.
    with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
        return _load_seeds(seeds_dir, dry_run)


def _load_seeds(seeds_dir, dry_run):
    categories = _upsert(Category, read_seed("categories.json", seeds_dir))
    by_slug = {category.slug: category for category in Category.objects.all()}
    organizations = SeedReport()
    for record in read_seed("organizations.json", seeds_dir):
        record = _dated(dict(record))
        try:
            causes = {by_slug[slug] for slug in record.pop("causes")}
        except KeyError as error:
            raise SeedError(
                f"organizations.json {record.get('slug')}: unknown cause {error}"
            ) from None
        org, outcome = _upsert_one(Organization, record)
        if {c.pk for c in org.causes.all()} != {c.pk for c in causes}:
            org.causes.set(causes)
            outcome = "updated" if outcome == "unchanged" else outcome
        setattr(organizations, outcome, getattr(organizations, outcome) + 1)
    if dry_run:
        transaction.set_rollback(True)
    return categories, organizations


def _dated(record, today=None):
    """A seed record with `verified_days_ago` turned into a `last_verified` date.

    Counted back from the day of loading, so the demo never ages: loading again the same day
    gives the same dates (and changes nothing); a later day moves them all along.
    """
    if "verified_days_ago" in record:
        days = record.pop("verified_days_ago")
        if days is not None and not (isinstance(days, int) and 0 <= days <= 36500):
            raise SeedError(f"organizations.json {record.get('slug')}: verified_days_ago: {days!r}")
        today = today or timezone.localdate()
        record["last_verified"] = None if days is None else (today - timedelta(days=days))
    return record


def _upsert(model, records):
    report = SeedReport()
    for record in records:
        _, outcome = _upsert_one(model, dict(record))
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _upsert_one(model, record):
    """Save the record by slug only if it differs from what is stored; say which happened."""
    slug = record.get("slug")
    instance = model.objects.filter(slug=slug).first() or model(slug=slug)
    outcome = "unchanged" if instance.pk else "created"
    for name, raw in record.items():
        field = model._meta.get_field(name)
        try:
            value = field.to_python(raw)
        except ValidationError as error:
            raise SeedError(f"{model.__name__} {slug}: {name}: {error.messages[0]}") from None
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            outcome = "updated" if outcome == "unchanged" else outcome
    if outcome != "unchanged":
        try:
            instance.full_clean(exclude=["causes"])
        except ValidationError as error:
            raise SeedError(f"{model.__name__} {slug}: {error.message_dict}") from None
        instance.save()
    return instance, outcome
