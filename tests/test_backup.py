"""manage.py backup and restore: the restored site gives the same answers, to the byte."""

import datetime
import io
import re
import sqlite3

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from curation import services
from curation.models import Suggestion
from directory.models import Category, Organization
from referrals.models import Referral

pytestmark = pytest.mark.django_db(transaction=True)  # the tools see only committed data

API = [
    "/api/v1/organizations/?near=94704",
    "/api/v1/organizations/?near=Oakland%2C+CA&cause=labor&radius=50",
    "/api/v1/organizations/?cause=immigrant-rights&page_size=100",
    "/api/v1/organizations/?q=union",
    "/api/v1/categories/",
    "/api/hsds/services?per_page=100",
]
PAGES = [
    "/search/?near=94704",
    "/search/?near=Chicago&cause=tenants",
    "/causes/labor/",
]


def answers(client):
    """What readers and API clients get, and what curators count."""
    cache.clear()  # answers from the database, not from before
    found = {}
    for url in API:
        response = client.get(url)
        assert response.status_code == 200, url
        found[url] = (response.content, response.get("ETag"))
    for url in PAGES:
        html = client.get(url).content.decode()
        found[url] = re.findall(r'href="/groups/([^/"]+)/"', html)
    slug = Organization.objects.published().order_by("pk").values_list("slug", flat=True)[0]
    found["group"] = client.get(f"/api/v1/organizations/{slug}/").content
    found["counts"] = {
        "messages": Referral.objects.count(),
        "unsent": Referral.objects.filter(status="pending").count(),
        "history": Organization.history.count(),
        "suggestions": Suggestion.objects.count(),
        "causes": list(Category.objects.order_by("order", "pk").values_list("slug", flat=True)),
    }
    return found


def messages_to(org, count, status="sent"):
    now = timezone.now()
    for n in range(count):
        Referral.objects.create(
            organization=org,
            created=now - datetime.timedelta(minutes=n),
            status=status,
            sent_at=now if status == "sent" else None,
            next_attempt_at=now if status == "pending" else None,
            name=f"Reader {n}",
            email=f"reader{n}@example.com",
            message="How do I join?",
            origin="https://groups.example.org",
            message_id=f"<{org.pk}.{status}.{n}@groups.example.org>",
        )


@pytest.fixture
def site(db):
    call_command("loadseeds", verbosity=0)
    orgs = list(Organization.objects.published().order_by("pk")[:3])
    messages_to(orgs[0], 5)
    messages_to(orgs[1], 3, status="pending")
    cause = Category.objects.get(slug="tenants")
    services.suggestion_submit(
        {"name": "New Tenants", "causes": [cause], "coverage": "online", "email": "s@x.org"}
    )
    return orgs


def change_everything(orgs):
    orgs[0].name = "Renamed after the backup"
    orgs[0].save()
    services.organizations_archive([orgs[1]], None)
    messages_to(orgs[2], 4)
    Category.objects.filter(slug="labor").update(order=0)
    Organization.history.filter(pk__in=Organization.history.values("pk")[:5]).delete()


def test_backup_then_restore_gives_identical_answers(client, site, tmp_path):
    before = answers(client)
    path = tmp_path / "site.backup"
    out = io.StringIO()
    call_command("backup", str(path), stdout=out)
    assert "backup written to" in out.getvalue() and path.stat().st_size > 0
    assert not list(tmp_path.glob(".*part"))  # written beside, then renamed into place

    change_everything(site)
    changed = answers(client)
    assert changed != before  # the comparison below can fail
    assert changed["counts"]["messages"] == before["counts"]["messages"] + 4

    call_command("restore", str(path), interactive=False, stdout=io.StringIO())
    after = answers(client)
    for key in before:
        assert after[key] == before[key], key
    # The restored database takes new writes as usual.
    messages_to(Organization.objects.published().order_by("pk")[2], 1)
    assert Referral.objects.count() == before["counts"]["messages"] + 1


def test_a_backup_holds_what_was_committed_when_it_was_taken(site, tmp_path):
    path = tmp_path / "site.backup"
    call_command("backup", str(path), stdout=io.StringIO())
    messages_to(site[2], 2)
    call_command("restore", str(path), interactive=False, stdout=io.StringIO())
    assert Referral.objects.count() == 8


def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(site, tmp_path):
    count = Organization.objects.count()
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(CommandError):
        call_command("restore", str(junk), interactive=False)
    with pytest.raises(CommandError, match="no file"):
        call_command("restore", str(tmp_path / "missing"), interactive=False)
    assert Organization.objects.count() == count


def test_restore_asks_first(site, tmp_path, monkeypatch):
    path = tmp_path / "site.backup"
    call_command("backup", str(path), stdout=io.StringIO())
    Organization.objects.filter(pk=site[0].pk).update(name="Kept")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore", str(path))
    assert Organization.objects.get(pk=site[0].pk).name == "Kept"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="an SQLite backup file")
def test_an_sqlite_backup_is_a_whole_self_contained_database(site, tmp_path):
    path = tmp_path / "site.backup"
    call_command("backup", str(path), stdout=io.StringIO())
    copy = sqlite3.connect(path)  # a plain connection, no Django
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert copy.execute("SELECT count(*) FROM referrals_referral").fetchone()[0] == 8
    copy.close()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a pg_dump archive")
def test_a_postgresql_backup_is_a_custom_format_archive(site, tmp_path):
    path = tmp_path / "site.backup"
    call_command("backup", str(path), stdout=io.StringIO())
    assert path.read_bytes()[:5] == b"PGDMP"
    with pytest.raises(CommandError, match="No pg_dump"):
        call_command("backup", str(tmp_path / "x"), bin_dir=str(tmp_path), stdout=io.StringIO())
