"""The seed data: idempotent loading, fictional contact details, and the searches it must answer."""

import json
import re

import pytest
from django.core.management import CommandError, call_command

from directory.models import Category, Organization
from directory.seeding import SEEDS_DIR

SAFE_DOMAINS = re.compile(r"^https://(www\.)?example\.(org|net|com)(/|$)")
FICTIONAL_PHONE = re.compile(r"^\(\d{3}\) 555-01\d\d$")


def load(**options):
    out = __import__("io").StringIO()
    call_command("loadseeds", stdout=out, **options)
    return out.getvalue()


def test_loading_twice_changes_nothing(db):
    first = load()
    assert "created" in first and Organization.objects.count() >= 150
    snapshot = list(Organization.objects.order_by("pk").values())
    second = load()
    assert "Causes: 0 created, 0 updated" in second
    assert "Groups: 0 created, 0 updated" in second
    assert list(Organization.objects.order_by("pk").values()) == snapshot


def test_dry_run_writes_nothing(db):
    assert "Dry run" in load(dry_run=True)
    assert Organization.objects.count() == 0 and Category.objects.count() == 0


def test_a_broken_seed_file_loads_nothing(db, tmp_path):
    (tmp_path / "categories.json").write_text((SEEDS_DIR / "categories.json").read_text())
    records = json.loads((SEEDS_DIR / "organizations.json").read_text())
    records[5]["latitude"] = "north-ish"
    (tmp_path / "organizations.json").write_text(json.dumps(records))
    with pytest.raises(CommandError, match=records[5]["slug"]):
        load(seeds_dir=tmp_path)
    assert Organization.objects.count() == 0

    (tmp_path / "organizations.json").write_text("{not json")
    with pytest.raises(CommandError, match="Nothing was loaded"):
        load(seeds_dir=tmp_path)


def test_seed_data_is_fictional_and_varied(seeded):
    orgs = list(Organization.objects.all())
    assert len(orgs) >= 150
    assert len({(o.city, o.state) for o in orgs if o.city}) >= 40
    assert {o.coverage for o in orgs} == {c for c, _ in Organization.Coverage.choices}
    for org in orgs:
        for url in (org.website, org.signup_url, *org.social_links.split()):
            assert not url or SAFE_DOMAINS.match(url), (org.slug, url)
        assert not org.phone or FICTIONAL_PHONE.match(org.phone), (org.slug, org.phone)
        assert re.search(r"@example\.(org|net)$", org.contact_email), org.slug
    slugs = set(Category.objects.values_list("slug", flat=True))
    assert {"socialist-left", "racial-justice", "immigrant-rights"} <= slugs
    assert len(slugs) >= 13


def test_bay_area_immigrant_rights_search(seeded, client):
    response = client.get("/search/", {"near": "94704", "cause": "immigrant-rights"})
    outcome = response.context["outcome"]
    keys = [block.key for block in outcome.blocks]
    assert keys[0] == "covering"
    assert keys[-3:] == ["statewide", "national", "online"]
    covering = outcome.blocks[0].results
    assert len(covering) >= 4
    assert all(r.distance < 100 and r.organization.state == "CA" for r in covering)
    # Nearest first, whether confirmed lately or not: an order a reader can explain (stale
    # entries carry their own note on the card).
    order = [r.distance for r in covering]
    assert order == sorted(order)


def test_rural_zip_widens_the_search(seeded, client):
    response = client.get("/search/", {"near": "59001"})  # Absarokee, Montana
    outcome = response.context["outcome"]
    assert outcome.widened and outcome.radius > 25
    # The nearest local group is beyond reach, and the page says so plainly (directory/reach.py).
    assert "No local group near Absarokee yet" in response.content.decode()
