"""What a widget did, per snippet: refs, counting (searches, groups opened, messages), coverage
gaps, the writer's private page, the curators' read-only admin, and nothing personal kept."""

import datetime
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from abuse import tokens
from directory.models import Organization
from embed import stats
from embed.models import EmbedDailyCount, EmbedGapCount
from referrals.forms import ContactForm
from referrals.models import Referral
from tests.factories import aged_token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_db")]

FAR = "59001"  # Absarokee, MT: no local group in the seed data
NEAR = "94704"  # Berkeley, CA: several
BAD_REFS = [
    "",
    "garbage",
    "x" * 5000,
    "ñandú-ref-ß",
    "\x00abcdefghijk",
    "<script>alert(1)</script>",
    "abcdefghijkl",  # the right shape, a wrong MAC
]


def _frame(client, ref, near, reader=True, **extra):
    params = {"near": near, "ref": ref, **extra}
    if reader:
        params["reader"] = "1"
    return client.get("/embed/", params)


def _row(ref):
    return EmbedDailyCount.objects.filter(ref=ref).values("searches", "views", "messages").get()


# --- Refs ----------------------------------------------------------------------------------------


def test_issued_refs_are_short_and_checked_without_the_database(django_assert_num_queries):
    refs = {stats.issue_ref() for _ in range(50)}
    assert len(refs) == 50
    with django_assert_num_queries(0):
        for ref in refs:
            assert re.fullmatch(r"[a-z2-7]{12}", ref) and stats.clean_ref(ref) == ref
    ref = refs.pop()
    tampered = ref[:-1] + ("a" if ref[-1] != "a" else "b")
    for bad in [*BAD_REFS, tampered, ref.upper(), ref + "a", None, 12]:
        assert stats.clean_ref(bad) == ""


def test_a_stats_token_opens_one_ref_and_the_ref_alone_opens_nothing():
    ref = stats.issue_ref()
    assert stats.ref_from_token(stats.stats_token(ref)) == ref
    assert stats.ref_from_token(ref) == ""
    assert stats.ref_from_token(tokens.make("another.purpose", ref)) == ""
    assert stats.ref_from_token(stats.stats_token(ref)[:-2]) == ""


# --- Counting searches and gaps ------------------------------------------------------------------


def test_the_widget_loading_counts_nothing_and_a_readers_search_counts_once(client):
    ref = stats.issue_ref()
    first = _frame(client, ref, NEAR, reader=False)
    assert first.status_code == 200
    assert "public" in first.headers["Cache-Control"]
    assert not EmbedDailyCount.objects.exists()
    # The frame's form carries the ref and marks what the reader submits as theirs.
    html = first.content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    assert hidden["ref"] == ref and hidden["reader"] == "1"

    searched = _frame(client, ref, NEAR)
    assert searched.status_code == 200 and "Groups that cover Berkeley" in searched.content.decode()
    # Counted answers are nobody's to keep: each search reaches the site.
    assert "private" in searched.headers["Cache-Control"]
    assert "public" not in searched.headers["Cache-Control"]
    assert _row(ref) == {"searches": 1, "views": 0, "messages": 0}
    _frame(client, ref, "60614")
    assert _row(ref)["searches"] == 2
    assert not EmbedGapCount.objects.exists()  # both found local groups


def test_a_search_without_a_local_group_counts_its_zip_area_only(client):
    ref = stats.issue_ref()
    html = _frame(client, ref, FAR).content.decode()
    assert "Absarokee" in html  # the reader still gets an answer
    _frame(client, ref, FAR, cause="tenants")
    gap = EmbedGapCount.objects.get()
    assert (gap.ref, gap.area, gap.searches) == (ref, "590", 2)
    assert gap.day == timezone.localdate()
    # A city or a point has no ZIP code: counted as a search, never as an area.
    _frame(client, ref, "Absarokee, MT")
    assert EmbedGapCount.objects.get().searches == 2
    assert _row(ref)["searches"] == 3


@pytest.mark.parametrize("ref", BAD_REFS)
def test_bad_refs_are_ignored_never_an_error(client, ref):
    for reader in (True, False):
        response = _frame(client, ref, NEAR, reader=reader)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'name="ref"' not in html and "/embed/to/" not in html
    assert client.get("/embed/to/no-such-group/", {"ref": ref}).status_code == 404
    slug = Organization.objects.published().values_list("slug", flat=True).first()
    assert client.get(f"/embed/to/{slug}/", {"ref": ref}).status_code == 302
    assert not EmbedDailyCount.objects.exists() and not EmbedGapCount.objects.exists()


def test_counting_adds_a_constant_number_of_queries(client):
    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    ref = stats.issue_ref()
    added = []
    for near, extra in ((NEAR, "&max=1"), (NEAR, "&max=50"), (FAR, "&max=1"), (FAR, "&max=50")):
        plain = queries(f"/embed/?near={near}{extra}")
        for _ in range(2):  # the day's first search inserts the row, later ones update it
            added.append(queries(f"/embed/?near={near}{extra}&ref={ref}&reader=1") - plain)
    # A search adds one UPDATE (three statements the first time, with the INSERT and its
    # savepoint); a gap as many again. Never more, whatever the number of results.
    assert max(added) <= 10, added
    assert added[1] == added[3] and added[5] == added[7], added
    assert _row(ref)["searches"] == 8


def _make_count_writes_fail():
    """A trigger that refuses every write to the count tables, as a broken database would."""
    tables = ("embed_embeddailycount", "embed_embedgapcount")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION embed_refuse() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'counts refused'; END; $$ LANGUAGE plpgsql"
            )
            for table in tables:
                cursor.execute(
                    f"CREATE TRIGGER {table}_refuse BEFORE INSERT OR UPDATE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION embed_refuse()"
                )
        else:
            for table in tables:
                for event in ("INSERT", "UPDATE"):
                    cursor.execute(
                        f"CREATE TRIGGER {table}_refuse_{event.lower()} BEFORE {event} ON {table} "
                        "BEGIN SELECT RAISE(ABORT, 'counts refused'); END"
                    )


def test_a_failing_count_never_breaks_a_search_or_a_visit(client, caplog):
    ref = stats.issue_ref()
    _frame(client, ref, NEAR)  # a row exists, so the next writes are UPDATEs
    _make_count_writes_fail()
    for near in (NEAR, FAR):  # an UPDATE refused, then an INSERT (the gap's first row)
        response = _frame(client, ref, near)
        assert response.status_code == 200
        assert response.content.decode().count('class="card"') > 0
    slug = Organization.objects.published().values_list("slug", flat=True).first()
    assert client.get(f"/embed/to/{slug}/", {"ref": ref}).status_code == 302
    assert "widget count not recorded" in caplog.text
    assert _row(ref) == {"searches": 1, "views": 0, "messages": 0}
    assert not EmbedGapCount.objects.exists()
    # The database itself is still usable for the rest of the request and the next ones.
    assert Organization.objects.published().exists()


# --- Groups opened -------------------------------------------------------------------------------


def test_a_group_opened_from_a_widget_is_counted_then_shown(client):
    ref = stats.issue_ref()
    html = _frame(client, ref, NEAR, reader=False).content.decode()
    visits = re.findall(r'href="(/embed/to/[^"]+)"', html)
    assert visits, "the cards link through the counting redirect"
    url = unescape(visits[0])
    assert parse_qs(urlsplit(url).query) == {"ref": [ref], "near": [NEAR]}
    response = client.get(url)
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path.startswith("/groups/") and parse_qs(target.query) == {"near": [NEAR]}
    assert "no-store" in response.headers["Cache-Control"]
    assert client.get(response.headers["Location"]).status_code == 200
    assert _row(ref)["views"] == 1
    # In Spanish, the group's Spanish page.
    spanish = client.get("/es" + url)
    assert urlsplit(spanish.headers["Location"]).path.startswith("/es/")
    assert _row(ref)["views"] == 2
    # A widget without a ref (an older snippet) links to the group directly.
    plain = client.get("/embed/", {"near": NEAR}).content.decode()
    assert "/embed/to/" not in plain and 'href="/groups/' in plain


# --- Messages sent -------------------------------------------------------------------------------


def test_a_message_sent_from_a_widget_is_counted_and_a_bad_ref_loses_nothing(client, settings):
    settings.REFERRALS_DELIVER_AT_ONCE = False
    settings.REFERRALS_CLIENT_LIMIT = settings.REFERRALS_ORG_CLIENT_LIMIT = 100
    ref = stats.issue_ref()
    html = _frame(client, ref, NEAR, reader=False).content.decode()
    contact = unescape(re.search(r'href="(/groups/[^"]+/contact/[^"]*)"', html).group(1))
    assert parse_qs(urlsplit(contact).query) == {"via": ["widget"], "ref": [ref]}
    page = client.get(contact).content.decode()
    assert f'<input type="hidden" name="ref" value="{ref}">' in page
    org = Organization.objects.get(slug=urlsplit(contact).path.split("/")[2])

    def send(ref_value, message):
        data = {
            "name": "Ana Reader",
            "email": "ana@example.com",
            "message": message,
            "website": "",
            "token": aged_token(org.pk, form=ContactForm),
            "via": "widget",
            "ref": ref_value,
        }
        return client.post(urlsplit(contact).path, data)

    assert send(ref, "Hello! I'd like to come to your next meeting.").status_code == 302
    assert _row(ref)["messages"] == 1
    for number, bad in enumerate(BAD_REFS):
        assert send(bad, f"Another question, number {number}.").status_code == 302
    assert Referral.objects.filter(organization=org).count() == 1 + len(BAD_REFS)
    assert EmbedDailyCount.objects.get().messages == 1
    # Nothing of the message or its writer reaches the counts.
    assert not EmbedDailyCount.objects.filter(ref__contains="ana").exists()


# --- The writer's page ---------------------------------------------------------------------------


def _builder_ref_and_link(client, **params):
    html = client.get("/embed/builder/", params).content.decode()
    ref = re.search(r"data-ref=&quot;([a-z2-7]{12})", html).group(1)
    link = unescape(re.search(r'<textarea id="snippet-stats"[^>]*>([^<]*)<', html).group(1))
    return ref, link, html


def test_the_builder_hands_out_a_ref_and_a_private_link(client):
    response = client.get("/embed/builder/")
    assert "no-store" in response.headers["Cache-Control"]
    ref, link, html = _builder_ref_and_link(client, near=NEAR)
    assert urlsplit(link).path.startswith("/embed/stats/")
    # The preview counts nothing: it carries no ref.
    assert re.search(r"<div data-orgsite-widget[^>]*data-ref", html) is None
    # The builder keeps the writer's ref while they change their choices...
    token = re.search(r'name="stats" value="([^"]+)"', html).group(1)
    again, _, _ = _builder_ref_and_link(client, near="60614", stats=token)
    assert again == ref
    # ...but the public ref alone (or garbage) gets a new one, never someone else's counts.
    for bad in (ref, "garbage", "x" * 3000):
        assert _builder_ref_and_link(client, stats=bad)[0] != ref


def test_the_stats_page_shows_counts_and_gaps_and_stays_private(client):
    ref, link, _ = _builder_ref_and_link(client)
    today = timezone.localdate()
    EmbedDailyCount.objects.create(ref=ref, day=today, searches=7, views=3, messages=1)
    EmbedDailyCount.objects.create(
        ref=ref, day=today - datetime.timedelta(days=60), searches=100, views=0, messages=0
    )
    EmbedDailyCount.objects.create(ref=stats.issue_ref(), day=today, searches=999)
    EmbedGapCount.objects.create(ref=ref, day=today, area="590", searches=4)
    EmbedGapCount.objects.create(
        ref=ref, day=today - datetime.timedelta(days=1), area="590", searches=1
    )
    response = client.get(link)
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert not response.cookies
    totals = re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", html)
    assert totals == [("Searches", "7"), ("Groups opened", "3"), ("Messages sent", "1")]
    assert (
        '<th scope="row">590xx</th><td>Absarokee, MT</td><td class="stats__number">5</td>' in html
    )
    assert "999" not in html
    ninety = client.get(link, {"days": "90"}).content.decode()
    assert re.findall(r"<dt>Searches</dt><dd>(\d+)</dd>", ninety) == ["107"]
    assert client.get(link, {"days": "1000"}).status_code == 200  # anything else: 30 days


@pytest.mark.parametrize("token", ["nothing", "a" * 500, "ñ", stats.issue_ref()])
def test_a_bad_stats_link_is_a_clear_404(client, token):
    response = client.get(reverse("embed:stats", kwargs={"token": token}))
    assert response.status_code == 404
    assert "This link does not open any counts" in response.content.decode()
    assert "no-store" in response.headers["Cache-Control"]


def test_the_stats_page_in_spanish(client):
    _, link, _ = _builder_ref_and_link(client)
    html = client.get("/es" + urlsplit(link).path).content.decode()
    assert "Lo que hizo tu widget" in html


# --- Curators ------------------------------------------------------------------------------------


def test_curators_see_the_counts_read_only(admin_client):
    ref = stats.issue_ref()
    row = EmbedDailyCount.objects.create(ref=ref, day=timezone.localdate(), searches=2)
    EmbedGapCount.objects.create(ref=ref, day=timezone.localdate(), area="590", searches=1)
    for model in ("embeddailycount", "embedgapcount"):
        changelist = admin_client.get(reverse(f"admin:embed_{model}_changelist"))
        assert changelist.status_code == 200 and ref in changelist.content.decode()
        assert admin_client.get(reverse(f"admin:embed_{model}_add")).status_code == 403
    change = admin_client.get(reverse("admin:embed_embeddailycount_change", args=[row.pk]))
    assert change.status_code == 200 and 'name="searches"' not in change.content.decode()
    posted = admin_client.post(
        reverse("admin:embed_embeddailycount_change", args=[row.pk]), {"searches": 9000}
    )
    assert posted.status_code == 403
    EmbedDailyCount.objects.get(pk=row.pk, searches=2)


def test_editors_see_the_counts_and_change_nothing(client):
    from django.contrib.auth.models import Group, User

    editor = User.objects.create_user("editor", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    EmbedDailyCount.objects.create(ref=stats.issue_ref(), day=timezone.localdate(), searches=2)
    assert client.get(reverse("admin:embed_embeddailycount_changelist")).status_code == 200
    assert client.get(reverse("admin:embed_embedgapcount_changelist")).status_code == 200
    assert client.get(reverse("admin:embed_embeddailycount_add")).status_code == 403
    assert not editor.has_perm("embed.change_embeddailycount")
    assert not editor.has_perm("embed.delete_embedgapcount")


# --- Nothing personal ----------------------------------------------------------------------------


def test_no_stored_row_holds_anything_about_a_reader(client):
    ref = stats.issue_ref()
    reader = {"REMOTE_ADDR": "203.0.113.77", "HTTP_USER_AGENT": "Reader-Browser/1.0"}
    words = "knowyourrightsxyz"
    client.get("/embed/", {"near": FAR, "q": words, "ref": ref, "reader": "1"}, **reader)
    client.get("/embed/", {"near": FAR, "ref": ref, "reader": "1"}, **reader)
    client.get("/embed/", {"near": "Absarokee, MT", "ref": ref, "reader": "1"}, **reader)
    slug = Organization.objects.published().values_list("slug", flat=True).first()
    client.get(f"/embed/to/{slug}/", {"ref": ref, "near": FAR}, **reader)
    assert not client.cookies

    seen = []
    for model in (EmbedDailyCount, EmbedGapCount):
        columns = {f.column for f in model._meta.concrete_fields}
        with connection.cursor() as cursor:
            # Every column of every row, as stored (the table name is our own).
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")  # noqa: S608
            names = [d[0] for d in cursor.description]
            assert set(names) == columns
            seen += [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    assert seen, "the reader's searches were counted"
    allowed = {"id", "ref", "day", "searches", "views", "messages", "area"}
    for row in seen:
        assert set(row) <= allowed, row
        assert row["ref"] == ref
        assert "area" not in row or re.fullmatch(r"\d{3}", row["area"])
        text = " ".join(str(value) for value in row.values())
        for personal in (FAR, words, "203.0.113", "Reader-Browser", "Absarokee", slug):
            assert personal not in text, (personal, row)
