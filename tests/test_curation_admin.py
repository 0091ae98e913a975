"""Moderation in the admin: queues, bulk actions, history with revert, conflicts, editors."""

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from curation import services
from curation.duplicates import name_similarity, possible_duplicates
from curation.models import Report, Suggestion
from directory.filters import OrganizationSearch
from directory.models import Organization
from tests.factories import make_category, make_org


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor", "editor@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def suggest(cause, **fields):
    data = {
        "name": "Fresno Tenants Union",
        "causes": [cause],
        "coverage": "local",
        "city": "Fresno",
        "state": "CA",
        "postal_code": "93721",
        "email": "reader@example.com",
    }
    data.update(fields)
    return services.suggestion_submit(data)


def found_in_search(near, name):
    search = OrganizationSearch({"near": near}, queryset=Organization.objects.published())
    assert search.is_valid(), search.errors
    return name in [result.organization.name for result in search.outcome().results]


def test_suggestion_approved_in_the_admin_is_visible_in_search(client, cause, curator):
    suggestion = suggest(cause)
    assert not found_in_search("93721", "Fresno Tenants Union")
    client.force_login(curator)
    queue = client.get("/admin/curation/suggestion/").content.decode()
    assert "Fresno Tenants Union" in queue
    response = client.post(
        "/admin/curation/suggestion/",
        {"action": "approve", "_selected_action": [suggestion.pk]},
        follow=True,
    )
    assert "1 suggestions approved" in response.content.decode()
    suggestion.refresh_from_db()
    assert suggestion.status == "approved" and suggestion.reviewed_by == curator
    assert suggestion.reviewed_at is not None
    org = suggestion.organization
    org.refresh_from_db()
    assert org.status == "published" and org.last_verified == timezone.localdate()
    assert found_in_search("93721", "Fresno Tenants Union")
    assert client.get(f"/groups/{org.slug}/").status_code == 200
    latest = org.history.first()
    assert latest.history_user == curator and latest.history_change_reason == "Suggestion approved"
    # The queue opens on what is still waiting; "All" shows the reviewed ones too.
    assert "Fresno Tenants Union" not in client.get("/admin/curation/suggestion/").content.decode()
    assert "Fresno" in client.get("/admin/curation/suggestion/?queue=all").content.decode()


def test_rejection_archives_the_entry_and_approving_twice_is_refused(cause, curator):
    suggestion = suggest(cause)
    services.suggestion_reject(suggestion, curator)
    assert Organization.objects.get().status == "archived"
    with pytest.raises(services.CurationError, match="already reviewed"):
        services.suggestion_approve(suggestion, curator)
    assert not found_in_search("93721", "Fresno Tenants Union")


def test_an_entry_that_cannot_be_published_says_why(client, cause, curator):
    suggestion = suggest(cause, city="Nowhere", state="ZZ", postal_code="")
    with pytest.raises(services.CurationError, match="needs a place"):
        services.suggestion_approve(suggestion, curator)
    suggestion.refresh_from_db()
    assert suggestion.status == "pending"
    assert Organization.objects.get().status == "pending"


@pytest.mark.parametrize(
    "existing, suggested",
    [
        ("Oakland Tenants Union", "Oakland Tenants' Union"),
        ("East Bay DSA", "East Bay Democratic Socialists of America"),
        ("Fresno Immigrant & Refugee Alliance", "Fresno Immigrant and Refugee Alliance"),
        ("The Berkeley Mutual Aid Network", "Berkeley Mutual Aid Network"),
        ("Sunrise Movement Oakland Hub", "Sunrise Movement - Oakland hub"),
    ],
)
def test_realistic_near_duplicates_are_found(cause, existing, suggested):
    original = make_org(name=existing, latitude=37.80, longitude=-122.27, causes=[cause])
    suggestion = suggest(cause, name=suggested, city="Oakland", postal_code="94612")
    assert list(suggestion.possible_duplicates.all()) == [original]


def test_different_groups_and_far_namesakes_are_not_duplicates(cause):
    make_org(name="Oakland Tenants Union", latitude=37.80, longitude=-122.27, causes=[cause])
    make_org(name="Fresno Tenants Union", latitude=36.74, longitude=-119.78, causes=[cause])
    make_org(name="Oakland Climate Action", latitude=37.80, longitude=-122.27, causes=[cause])
    suggestion = suggest(
        cause, name="Oakland Tenants Union", city="Portland", state="OR", postal_code="97201"
    )
    assert list(suggestion.possible_duplicates.all()) == []
    assert name_similarity("Oakland Tenants Union", "Oakland Climate Action") < 0.82


def test_the_same_website_is_a_duplicate_wherever_it_is(cause):
    original = make_org(
        name="Chispa",
        website="https://www.chispa.example.org/about",
        latitude=40.0,
        longitude=-75.0,
        causes=[cause],
    )
    make_org(name="Other", website="https://facebook.com/othergroup", causes=[cause])
    org = make_org(
        name="CHISPA Fresno", website="https://chispa.example.org", status="pending", causes=[cause]
    )
    assert possible_duplicates(org) == [original]
    fb = make_org(name="Elsewhere", website="https://facebook.com/somebodyelse", causes=[cause])
    assert possible_duplicates(fb) == []


def test_the_suggestion_page_shows_the_duplicates_to_the_curator(client, cause, curator):
    original = make_org(
        name="Fresno Tenants Union", latitude=36.74, longitude=-119.78, causes=[cause]
    )
    suggestion = suggest(cause, name="Fresno Tenants' Union")
    client.force_login(curator)
    html = client.get(f"/admin/curation/suggestion/{suggestion.pk}/change/").content.decode()
    assert f"/admin/directory/organization/{original.pk}/change/" in html


def test_report_queue_resolve_and_dismiss(client, cause, curator):
    org = make_org(name="Berkeley Tenants", causes=[cause])
    first = Report.objects.create(organization=org, reason="moved", details="<i>now in SF</i>")
    second = Report.objects.create(organization=org, reason="other")
    client.force_login(curator)
    html = client.get("/admin/curation/report/").content.decode()
    assert "Berkeley Tenants" in html and "&lt;i&gt;now in SF&lt;/i&gt;" in html
    client.post("/admin/curation/report/", {"action": "resolve", "_selected_action": [first.pk]})
    client.post("/admin/curation/report/", {"action": "dismiss", "_selected_action": [second.pk]})
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, first.resolved_by) == ("resolved", curator)
    assert second.status == "dismissed"
    assert "Berkeley Tenants" not in client.get("/admin/curation/report/").content.decode()
    with pytest.raises(services.CurationError):
        services.report_resolve(first, curator)


def test_bulk_archive_mark_verified_and_merge(client, cause, curator):
    other_cause = make_category(slug="cur-housing", name="Housing")
    keep = make_org(name="Oakland Tenants Union", last_verified="2026-06-01", causes=[cause])
    dup = make_org(
        name="Oakland Tenants' Union",
        phone="(510) 555-0100",
        external_id="list-7",
        causes=[other_cause],
        status="pending",
    )
    Report.objects.create(organization=dup, reason="moved")
    Suggestion.objects.create(organization=dup, email="a@example.com")
    client.force_login(curator)
    client.post(
        "/admin/directory/organization/", {"action": "merge", "_selected_action": [keep.pk, dup.pk]}
    )
    keep.refresh_from_db(), dup.refresh_from_db()
    assert dup.status == "archived" and dup.external_id == ""
    assert keep.phone == "(510) 555-0100" and keep.external_id == "list-7"
    assert set(keep.causes.values_list("slug", flat=True)) == {"cur-tenants", "cur-housing"}
    assert keep.reports.count() == 1 and Suggestion.objects.get().status == "rejected"
    assert "Merged with" in keep.history.first().history_change_reason

    stale = make_org(name="Stale", last_verified="2019-01-01", causes=[cause])
    client.post(
        "/admin/directory/organization/",
        {"action": "mark_verified", "_selected_action": [stale.pk]},
    )
    stale.refresh_from_db()
    assert stale.last_verified == timezone.localdate() and not stale.is_stale
    client.post(
        "/admin/directory/organization/", {"action": "archive", "_selected_action": [stale.pk]}
    )
    stale.refresh_from_db()
    assert stale.status == "archived"
    assert stale.history.first().history_user == curator


def test_a_merge_keeps_the_published_entry_confirmed_most_recently(cause):
    day = datetime.date
    pending = make_org(name="Tenants A", last_verified=day(2026, 9, 1), status="pending")
    older = make_org(name="Tenants B", last_verified=day(2025, 1, 1), causes=[cause])
    newer = make_org(name="Tenants C", last_verified=day(2026, 6, 1), causes=[cause])
    assert services.organizations_merge([pending, older, newer], None) == newer
    assert services.merge_keeper([pending]) == pending
    with pytest.raises(services.CurationError):
        services.organizations_merge([newer], None)


def change_data(org, **fields):
    """The admin change form's data for `org`, as a curator's browser would post it."""
    data = {
        "name": org.name,
        "slug": org.slug,
        "status": org.status,
        "summary": org.summary,
        "description": org.description,
        "causes": [c.pk for c in org.causes.all()],
        "address": org.address,
        "city": org.city,
        "state": org.state,
        "postal_code": org.postal_code,
        "country": org.country,
        "latitude": org.latitude,
        "longitude": org.longitude,
        "precision": org.precision,
        "coverage": org.coverage,
        "coverage_radius": org.coverage_radius or "",
        "website": org.website,
        "signup_url": org.signup_url,
        "phone": org.phone,
        "social_links": org.social_links,
        "first_step": org.first_step,
        "meeting_schedule": org.meeting_schedule,
        "meeting_frequency": "",
        "meeting_byday": "",
        "meeting_time": "",
        "languages": org.languages,
        "accessibility": org.accessibility,
        "last_verified": org.last_verified or "",
        "source": org.source,
        "external_id": org.external_id,
        "contact_email": org.contact_email,
        "expected_version": org.version,
    }
    data.update(fields)
    return data


def test_admin_edits_keep_history_and_revert_restores_fields_and_causes(client, cause, curator):
    housing = make_category(slug="cur-housing", name="Housing")
    org = make_org(name="Berkeley Tenants", summary="Good summary", causes=[cause])
    client.force_login(curator)
    before = org.history.count()  # the factory saves, then sets causes: two records
    url = f"/admin/directory/organization/{org.pk}/change/"
    response = client.post(url, change_data(org, summary="Vandalised", causes=[housing.pk]))
    assert response.status_code == 302, response.context["adminform"].form.errors
    org.refresh_from_db()
    assert org.summary == "Vandalised" and org.version == 2
    records = list(org.history.all())
    # One record per save, with the causes as saved.
    assert len(records) == before + 1 and records[0].history_type == "~"
    assert records[0].history_user == curator
    assert list(records[0].causes.values_list("category_id", flat=True)) == [housing.pk]

    history_page = client.get(f"/admin/directory/organization/{org.pk}/history/")
    assert history_page.status_code == 200 and "curator" in history_page.content.decode()
    good = records[1]
    revert_url = f"/admin/directory/organization/{org.pk}/history/{good.history_id}/"
    form = client.get(revert_url).context["adminform"].form
    assert form.initial["summary"] == "Good summary"
    assert form.initial["causes"] == [cause.pk]
    assert form.initial["expected_version"] == 2
    response = client.post(
        revert_url, change_data(org, summary="Good summary", causes=[cause.pk], expected_version=2)
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.summary == "Good summary" and list(org.causes.all()) == [cause]
    assert org.version == 3
    assert org.history.first().history_change_reason.startswith("Reverted to the version of")


def test_a_second_curator_saving_a_stale_form_gets_a_clear_message(client, cause, curator):
    org = make_org(name="Berkeley Tenants", causes=[cause])
    other = User.objects.create_superuser("other", "other@example.org", "pw")
    opened = change_data(org)  # both curators open the form at version 1
    url = f"/admin/directory/organization/{org.pk}/change/"
    client.force_login(other)
    assert client.post(url, {**opened, "summary": "First save"}).status_code == 302
    client.force_login(curator)
    response = client.post(url, {**opened, "phone": "(510) 555-0199"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "changed by other" in html and "your changes were not saved" in html
    org.refresh_from_db()
    assert org.summary == "First save" and org.phone == "" and org.version == 2
    missing = response.context["adminform"].form.data.copy()
    missing.pop("expected_version")
    assert client.post(url, missing).status_code == 200


def test_hard_delete_only_for_superusers_and_it_leaves_history(client, cause, curator, editor):
    org = make_org(name="Doomed", causes=[cause])
    client.force_login(editor)
    url = f"/admin/directory/organization/{org.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Organization.objects.filter(pk=org.pk).exists()
    client.force_login(curator)
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Organization.objects.filter(pk=org.pk).exists()
    assert Organization.history.filter(id=org.pk, history_type="-").exists()


def test_editors_curate_but_cannot_manage_users_or_groups(client, cause, editor):
    suggestion = suggest(cause)
    org = make_org(name="Kept", causes=[cause])
    Report.objects.create(organization=org, reason="moved")
    client.force_login(editor)
    for url in (
        "/admin/",
        "/admin/curation/suggestion/",
        "/admin/curation/report/",
        "/admin/curation/proposal/",
        "/admin/directory/organization/",
        f"/admin/directory/organization/{org.pk}/change/",
        f"/admin/directory/organization/{org.pk}/history/",
        "/admin/directory/organization/import/",
        "/admin/directory/organization/export/",
        "/admin/directory/category/",
    ):
        assert client.get(url).status_code == 200, url
    for url in ("/admin/auth/user/", "/admin/auth/group/", "/admin/auth/user/add/"):
        assert client.get(url).status_code == 403, url
    client.post(
        "/admin/curation/suggestion/", {"action": "approve", "_selected_action": [suggestion.pk]}
    )
    suggestion.refresh_from_db()
    assert suggestion.status == "approved" and suggestion.reviewed_by == editor
    index = client.get("/admin/").content.decode()
    assert "/admin/auth/" not in index


def test_queue_pages_take_a_constant_number_of_queries(
    client, cause, curator, django_assert_max_num_queries
):
    client.force_login(curator)
    for n in range(3):
        suggest(cause, name=f"Group {n}")
    client.get("/admin/curation/suggestion/")
    with django_assert_max_num_queries(12):
        client.get("/admin/curation/suggestion/")
    for n in range(3, 20):
        suggest(cause, name=f"Group {n}")
    with django_assert_max_num_queries(12):
        client.get("/admin/curation/suggestion/")


@pytest.fixture
def viewer(db):
    """Staff who may look at the queues and entries, and change nothing."""
    from django.contrib.auth.models import Permission

    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_suggestion", "view_organization", "view_category"]
        )
    )
    return user


def test_staff_who_may_only_look_cannot_approve_or_import(client, cause, viewer):
    suggestion = suggest(cause)
    client.force_login(viewer)
    assert client.get("/admin/curation/suggestion/").status_code == 200
    client.post(
        "/admin/curation/suggestion/", {"action": "approve", "_selected_action": [suggestion.pk]}
    )
    suggestion.refresh_from_db()
    assert suggestion.status == "pending"
    assert suggestion.organization.status == "pending"
    assert client.get("/admin/directory/organization/import/").status_code == 403
