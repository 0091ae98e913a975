"""Suggest a group and report a problem: the public forms, their spam controls and bad input."""

import pytest
from django.test import override_settings

from curation.models import Report, Suggestion
from directory.models import Organization
from tests.factories import aged_token, make_org


def suggestion(cause, **fields):
    data = {
        "name": "Fresno Tenants Union",
        "causes": [cause.slug],
        "coverage": "local",
        "city": "Fresno",
        "state": "CA",
        "postal_code": "93721",
        "country": "US",
        "website": "fresnotenants.example.org",
        "summary": "Tenants organizing for repairs.",
        "first_step": "Come to the Tuesday meeting.",
        "email": "reader@example.com",
        "token": aged_token("suggest"),
    }
    data.update(fields)
    return data


def test_suggest_page_works_without_javascript_and_labels_every_control(client, cause):
    html = client.get("/suggest/").content.decode()
    assert '<form class="curation-form" method="post" action="/suggest/">' in html
    assert "<script>" not in html and "style=" not in html
    assert 'name="token"' in html and 'name="leave_empty"' in html
    for name in ("name", "city", "postal_code", "email", "website", "note"):
        assert f'for="id_{name}"' in html


def test_a_suggestion_is_stored_pending_geocoded_and_not_public(client, cause):
    response = client.post("/suggest/", suggestion(cause))
    assert response.status_code == 302 and response["Location"] == "/suggest/thanks/"
    org = Organization.objects.get(name="Fresno Tenants Union")
    assert org.status == "pending" and org.slug == "fresno-tenants-union"
    assert 36.6 < org.latitude < 36.8 and org.precision == "approximate"
    assert org.coverage_radius == 10 and org.website == "https://fresnotenants.example.org"
    assert org.suggestion.email == "reader@example.com"
    assert org.history.count() == 1
    assert list(org.history.first().causes.values_list("category_id", flat=True)) == [cause.pk]
    thanks = client.get("/suggest/thanks/").content.decode()
    assert "review" in thanks
    assert client.get(f"/groups/{org.slug}/").status_code == 404
    assert "Fresno Tenants Union" not in client.get("/search/?near=93721").content.decode()


def test_suggestions_with_the_same_name_get_their_own_slugs(client, cause):
    for _ in range(2):
        client.post("/suggest/", suggestion(cause))
    slugs = sorted(Organization.objects.values_list("slug", flat=True))
    assert slugs == ["fresno-tenants-union", "fresno-tenants-union-2"]


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 10_000}, "name"),
        ({"name": "Null\x00Group"}, "name"),
        ({"name": "Two\nlines"}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"causes": ["999999"]}, "causes"),
        ({"causes": ["99999999999999999999999"]}, "causes"),
        ({"email": "a" * 300 + "@example.org"}, "email"),
        ({"contact_email": "b" * 300 + "@example.org"}, "contact_email"),
        ({"causes": ["<script>"]}, "causes"),
        ({"coverage": "galactic"}, "coverage"),
        ({"country": "USA"}, "country"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"city": "", "postal_code": ""}, "city"),
        ({"note": "n" * 10_000}, "note"),
    ],
)
def test_bad_suggestions_get_a_message_and_store_nothing(client, cause, fields, field):
    response = client.post("/suggest/", suggestion(cause, **fields))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Organization.objects.exists() and not Suggestion.objects.exists()


def test_script_in_a_suggestion_is_escaped_everywhere(client, cause, admin_client):
    client.post("/suggest/", suggestion(cause, name="<script>alert(1)</script> Union"))
    org = Organization.objects.get()
    html = admin_client.get("/admin/curation/suggestion/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Union" in html
    assert org.slug == "scriptalert1script-union"


def test_honeypot_too_fast_and_tampered_forms_are_refused_keeping_the_text(client, cause):
    robot = client.post("/suggest/", suggestion(cause, leave_empty="http://spam.example"))
    assert "hidden field" in robot.content.decode()
    fast = client.post("/suggest/", suggestion(cause, token=aged_token("suggest", seconds=0)))
    assert "within seconds" in fast.content.decode()
    assert 'value="Fresno Tenants Union"' in fast.content.decode()
    forged = client.post("/suggest/", suggestion(cause, token="abc:def"))
    assert "could not be checked" in forged.content.decode()
    other_form = client.post("/suggest/", suggestion(cause, token=aged_token("report:1")))
    assert "could not be checked" in other_form.content.decode()
    old = client.post("/suggest/", suggestion(cause, token=aged_token("suggest", 2 * 86400)))
    assert "open too long" in old.content.decode()
    assert not Organization.objects.exists()


@override_settings(CURATION_CLIENT_LIMIT=2)
def test_the_rate_limit_holds_back_a_client_and_keeps_the_form(client, cause):
    for n in range(2):
        assert client.post("/suggest/", suggestion(cause, name=f"Group {n}")).status_code == 302
    held = client.post("/suggest/", suggestion(cause, name="Group three"))
    assert held.status_code == 429 and "try again in an hour" in held.content.decode()
    assert 'value="Group three"' in held.content.decode()
    assert Organization.objects.count() == 2


def test_report_a_problem_lands_in_the_queue(client, cause):
    org = make_org(name="Berkeley Tenants", causes=[cause])
    page = client.get(f"/groups/{org.slug}/report/").content.decode()
    assert 'name="reason"' in page and "Berkeley Tenants" in page
    response = client.post(
        f"/groups/{org.slug}/report/",
        {
            "reason": "inactive",
            "details": "They stopped meeting <b>in 2024</b>.",
            "token": aged_token(f"report:{org.pk}"),
        },
    )
    assert response.status_code == 200 and "Thank you for the report" in response.content.decode()
    report = Report.objects.get()
    assert (report.organization, report.reason, report.status) == (org, "inactive", "open")


@pytest.mark.parametrize(
    "fields",
    [
        {"reason": "bored"},
        {"reason": ""},
        {"reason": "other", "details": "d" * 10_000},
        {"reason": "other", "email": "nope"},
        {"reason": "other", "details": "nul \x00"},
        {"reason": "other", "email": "c" * 300 + "@example.org"},
    ],
)
def test_bad_reports_store_nothing(client, cause, fields):
    org = make_org(causes=[cause])
    fields["token"] = aged_token(f"report:{org.pk}")
    response = client.post(f"/groups/{org.slug}/report/", fields)
    assert response.status_code == 200 and response.context["form"].errors
    assert not Report.objects.exists()


def test_only_published_groups_can_be_reported(client, cause):
    org = make_org(status="pending", causes=[cause])
    assert client.get(f"/groups/{org.slug}/report/").status_code == 404
    assert client.get("/groups/no-such-group/report/").status_code == 404


def test_the_includes_for_the_organization_page_and_card(cause):
    from django.template.loader import render_to_string

    fresh = make_org(last_verified="2026-01-05", causes=[cause])
    fresh.refresh_from_db()
    link = render_to_string("curation/includes/report_link.html", {"org": fresh})
    assert f'href="/groups/{fresh.slug}/report/"' in link
    assert "Confirmed current: January 2026" in render_to_string(
        "curation/includes/confirmed.html", {"org": fresh}
    )
    stale = make_org(last_verified="2020-03-01", causes=[cause])
    stale.refresh_from_db()
    note = render_to_string("curation/includes/unconfirmed_note.html", {"org": stale})
    assert "Unconfirmed since March 2020" in note
    assert render_to_string("curation/includes/unconfirmed_note.html", {"org": fresh}).strip() == ""
