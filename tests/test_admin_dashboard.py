"""The curators' admin as its own product: the site's name, a dashboard of what is waiting, a
changelist that fits, a day picker and a language list instead of codes, and the public card."""

import datetime
import uuid

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from curation.models import LinkCheck, Report, Review, Suggestion
from curation.widgets import byday_parts, byday_value
from directory.models import Organization
from referrals.models import Referral
from tests.factories import make_org

CHANGELIST = "/admin/directory/organization/"


def failed_referral(org):
    return Referral.objects.create(
        organization=org,
        created=timezone.now(),
        status=Referral.Status.FAILED,
        message_id=f"<{uuid.uuid4()}@test>",
        origin="http://testserver",
    )


def link_check(org, failures, url="https://example.org/"):
    return LinkCheck.objects.create(
        organization=org, url=url, checked_at=timezone.now(), consecutive_failures=failures
    )


def waiting_items():
    """One of everything the dashboard counts, and some of what it must not count."""
    today = timezone.localdate()
    fresh = make_org(name="Fresh", last_verified=today)
    stale = make_org(name="Stale", last_verified=today - datetime.timedelta(days=800))
    make_org(name="Never", last_verified=None)  # stale too
    make_org(name="Archived stale", status="archived", last_verified=None)
    suggested = make_org(name="Suggested", status="pending")
    Suggestion.objects.create(organization=suggested, email="a@example.com")
    Suggestion.objects.create(
        organization=fresh, status=Review.APPROVED, reviewed_at=timezone.now()
    )
    Report.objects.create(organization=fresh, reason="moved")
    Report.objects.create(organization=fresh, reason="moved", status=Report.Status.RESOLVED)
    failed_referral(fresh)
    link_check(stale, 2)
    link_check(stale, 3, url="https://example.org/join")
    link_check(fresh, 1)
    return {"suggestions": 1, "reports": 1, "stale": 2, "links": 1, "deliveries": 1}


def dashboard(client):
    response = client.get("/admin/")
    assert response.status_code == 200
    return {queue.key: queue for queue in response.context["queues"]}


def test_the_admin_is_named_after_the_site_and_opens_on_the_dashboard(admin_client, settings):
    settings.SITE_NAME = "Join Local"
    html = admin_client.get("/admin/").content.decode()
    assert "Django administration" not in html and "Django site admin" not in html
    assert "Join Local curators" in html and "Curators’ dashboard" in html
    spanish = admin_client.get("/es/admin/").content.decode()
    assert "Panel de quienes curan" in spanish and "Sugerencias en espera" in spanish


def test_dashboard_counts_what_waits_and_each_count_opens_its_queue(admin_client):
    expected = waiting_items()
    queues = dashboard(admin_client)
    assert {key: queue.count for key, queue in queues.items()} == expected
    for key, queue in queues.items():
        response = admin_client.get(queue.url)
        assert response.status_code == 200, key  # an unknown filter would redirect with ?e=1
        listed = response.context["cl"].result_count
        assert listed == expected[key], (key, queue.url, listed)


def test_dashboard_queries_do_not_grow_with_the_data(admin_client, django_assert_num_queries):
    admin_client.get("/admin/")  # sessions, permissions and the like, once
    with CaptureQueriesContext(connection) as empty:
        admin_client.get("/admin/")
    waiting_items()
    waiting_items()
    with django_assert_num_queries(len(empty.captured_queries)):
        admin_client.get("/admin/")


def test_a_curator_sees_only_the_queues_they_may_open(client, db):
    waiting_items()
    user = User.objects.create_user("reviewer", password="x" * 20, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_suggestion"))
    client.force_login(user)
    assert list(dashboard(client)) == ["suggestions"]


def test_the_changelist_shows_place_status_and_freshness(admin_client):
    make_org(name="Oakland Tenants", city="Oakland", state="CA", last_verified=None)
    html = admin_client.get(CHANGELIST).content.decode()
    for column in ("column-name", "column-place", "column-status", "column-last_verified"):
        assert column in html
    assert "column-confirmed" in html and "Oakland, CA" in html


@pytest.mark.parametrize(
    "value, parts",
    [
        ("", ([], [])),
        ("TU", (["every"], ["TU"])),
        ("TU,TH", (["every"], ["TU", "TH"])),
        ("2TH,4TH", (["2", "4"], ["TH"])),
        ("-1SA", (["-1"], ["SA"])),
        ("1MO,1WE,3MO,3WE", (["1", "3"], ["MO", "WE"])),
        ("1MO,3WE", None),  # no product of weeks and days: the picker cannot show it
        ("TU,2TU", None),
    ],
)
def test_a_day_rule_is_weeks_of_the_month_times_days(value, parts):
    assert byday_parts(value) == parts
    if parts is not None:
        assert byday_value(*parts) == value


def change_data(org, **fields):
    """The change form's fields as saved, with `fields` changed."""
    data = {
        "name": org.name,
        "slug": org.slug,
        "status": org.status,
        "causes": [cause.pk for cause in org.causes.all()],
        "country": "US",
        "precision": org.precision,
        "coverage": org.coverage,
        "latitude": org.latitude,
        "longitude": org.longitude,
        "coverage_radius": "15",
        "last_verified": org.last_verified or "",
        "expected_version": org.version,
        "languages": org.language_codes,
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def org(db):
    from tests.factories import make_category

    return make_org(name="Day Rule Group", causes=[make_category()], languages="en,es,xx")


def test_the_day_picker_writes_the_same_rule(admin_client, org):
    url = f"{CHANGELIST}{org.pk}/change/"
    html = admin_client.get(url).content.decode()
    assert 'name="meeting_byday_0"' in html and 'name="meeting_byday_1"' in html
    assert 'name="meeting_timezone"' in html and 'name="events_feed_url"' in html
    assert "iCalendar" not in html and "ISO 639" not in html
    response = admin_client.post(
        url, change_data(org, meeting_byday_0=["2", "4"], meeting_byday_1=["TH"])
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    org.refresh_from_db()
    assert org.meeting_byday == "2TH,4TH"
    form = admin_client.get(url).context["adminform"].form
    assert form["meeting_byday"].value() == "2TH,4TH"
    assert form.fields["meeting_byday"].widget.decompress("2TH,4TH") == [["2", "4"], ["TH"]]


@pytest.mark.parametrize(
    "weeks, days, message",
    [
        (["2"], [], "Choose the day of the week too."),
        (["every", "2"], ["TU"], "not both"),
        (["1", "2", "3", "4"], ["MO", "TU"], "more meeting days than an entry can hold"),
    ],
)
def test_the_day_picker_explains_what_it_cannot_save(admin_client, org, weeks, days, message):
    url = f"{CHANGELIST}{org.pk}/change/"
    response = admin_client.post(url, change_data(org, meeting_byday_0=weeks, meeting_byday_1=days))
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors["meeting_byday"])
    org.refresh_from_db()
    assert org.meeting_byday == ""


def test_a_rule_the_picker_cannot_show_stays_a_text_box(admin_client, org):
    Organization.objects.filter(pk=org.pk).update(meeting_byday="1MO,3WE")
    org.refresh_from_db()
    url = f"{CHANGELIST}{org.pk}/change/"
    html = admin_client.get(url).content.decode()
    assert 'name="meeting_byday"' in html and 'value="1MO,3WE"' in html
    response = admin_client.post(url, change_data(org, meeting_byday="1MO,3WE"))
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.meeting_byday == "1MO,3WE"


def test_languages_are_a_list_of_names_that_keeps_unknown_codes(admin_client, org):
    url = f"{CHANGELIST}{org.pk}/change/"
    html = admin_client.get(url).content.decode()
    assert 'name="languages" value="es" id="id_languages_1" checked' in html
    assert " Spanish</label>" in html
    assert 'value="xx"' in html  # a code stored already is offered, so a save keeps it
    response = admin_client.post(url, change_data(org, languages=["es", "vi", "xx"]))
    assert response.status_code == 302, response.context["adminform"].form.errors
    org.refresh_from_db()
    assert org.languages == "es,vi,xx"


def test_the_change_form_previews_the_public_card(admin_client, org):
    html = admin_client.get(f"{CHANGELIST}{org.pk}/change/").content.decode()
    assert 'class="module card-preview"' in html and 'class="card"' in html
    assert f'href="{org.get_absolute_url()}"' in html
    assert "card-preview" not in admin_client.get(f"{CHANGELIST}add/").content.decode()


def test_the_broken_links_queue_lists_published_entries_failing_twice(admin_client):
    failing = make_org(name="Failing")
    once = make_org(name="Failed once")
    archived = make_org(name="Archived failing", status="archived")
    link_check(failing, 2), link_check(once, 1), link_check(archived, 5)
    response = admin_client.get(CHANGELIST + "?links=failing")
    assert [org.name for org in response.context["cl"].result_list] == ["Failing"]
