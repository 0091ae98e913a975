"""Seed dates count back from the day of loading, so the demo looks as fresh as when it was made."""

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from directory import seeding
from directory.models import Organization
from directory.seeding import SEEDS_DIR, SeedError, load_seeds


def test_days_ago_becomes_a_date_counted_from_today():
    today = date(2026, 11, 30)
    record = seeding._dated({"slug": "a", "verified_days_ago": 40}, today=today)
    assert record == {"slug": "a", "last_verified": today - timedelta(days=40)}
    assert seeding._dated({"slug": "b", "verified_days_ago": None})["last_verified"] is None
    assert seeding._dated({"slug": "c", "last_verified": None}) == {
        "slug": "c",
        "last_verified": None,
    }
    with pytest.raises(SeedError, match="verified_days_ago"):
        seeding._dated({"slug": "d", "verified_days_ago": "soon"})


@pytest.fixture
def small_seeds(tmp_path):
    (tmp_path / "categories.json").write_text((SEEDS_DIR / "categories.json").read_text())
    records = json.loads((SEEDS_DIR / "organizations.json").read_text())
    dated = [r for r in records if r.get("verified_days_ago") is not None][:3]
    (tmp_path / "organizations.json").write_text(json.dumps(dated))
    return tmp_path, dated


def test_a_second_load_the_same_day_changes_nothing_and_a_later_day_moves_dates_along(
    db, small_seeds, monkeypatch
):
    seeds_dir, records = small_seeds
    _, first = load_seeds(seeds_dir)
    assert first.created == 3
    _, again = load_seeds(seeds_dir)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    org = Organization.objects.get(slug=records[0]["slug"])
    days = records[0]["verified_days_ago"]
    assert org.last_verified == timezone.localdate() - timedelta(days=days)

    tomorrow = timezone.localdate() + timedelta(days=1)
    monkeypatch.setattr(seeding.timezone, "localdate", lambda: tomorrow)
    _, next_day = load_seeds(seeds_dir)
    assert next_day.updated == 3
    org.refresh_from_db()
    assert org.last_verified == tomorrow - timedelta(days=days)


def test_the_demo_is_mostly_confirmed_and_shows_a_few_stale_entries():
    records = json.loads((SEEDS_DIR / "organizations.json").read_text())
    assert not any("last_verified" in r and r["last_verified"] for r in records)
    ages = [r.get("verified_days_ago") for r in records]
    stale = [age for age in ages if age is None or age > 365]
    # About one in seven is unconfirmed or stale, so the freshness notes have examples.
    assert 0 < len(stale) <= len(records) // 6
