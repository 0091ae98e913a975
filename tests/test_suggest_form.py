"""The suggest form's layout: grouped fields, a box for what the group does, lists to pick from."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from curation.forms import SuggestForm
from directory.models import Organization
from tests.factories import aged_token


def data(cause, **fields):
    return {
        "name": "Tucson Tenants",
        "causes": [cause.slug],
        "coverage": "local",
        "city": "Tucson",
        "state": "AZ",
        "country": "US",
        "summary": "Tenants organizing\nfor repairs.",
        "email": "reader@example.com",
        "token": aged_token("suggest"),
        **fields,
    }


def test_every_field_a_person_fills_in_is_in_one_group(db):
    form = SuggestForm(subject="suggest")
    grouped = [field.name for _, fields in form.fieldsets() for field in fields]
    visible = [field.name for field in form if field.name not in ("leave_empty", "token")]
    assert sorted(grouped) == sorted(visible) and len(grouped) == len(set(grouped))


def test_page_groups_fields_with_a_textarea_and_selects(client, cause):
    html = client.get("/suggest/").content.decode()
    legends = re.findall(r'<legend class="form-group__legend">([^<]+)</legend>', html)
    assert legends == ["The group", "Where", "How to join", "About you"]
    assert re.search(r'<textarea name="summary"[^>]*id="id_summary"', html)
    assert re.search(r'<select name="state"[^>]*id="id_state"', html)
    assert '<option value="AZ">Arizona</option>' in html
    assert re.search(r'<select name="country"[^>]*id="id_country"', html)
    assert '<option value="US" selected>United States</option>' in html
    assert 'type="url" name="website"' in html
    # The checkbox comes before its label, in one row.
    assert re.search(
        r'<div class="field field--check">\s*<input type="checkbox" name="is_organizer"[^>]*>\s*'
        r'<label for="id_is_organizer">',
        html,
    )


def test_spanish_page_names_its_groups(client, cause):
    with translation.override("es"):
        path = reverse("curation:suggest")
    html = client.get(path).content.decode()
    legends = re.findall(r'<legend class="form-group__legend">([^<]+)</legend>', html)
    assert legends == ["El grupo", "Dónde", "Cómo unirse", "Sobre ti"]
    assert "Estados Unidos" in html and "Elige un estado" in html


def test_a_summary_on_several_lines_is_kept_as_one(client, cause):
    response = client.post("/suggest/", data(cause))
    assert response.status_code == 302
    org = Organization.objects.get(name="Tucson Tenants")
    assert (org.summary, org.state, org.country) == ("Tenants organizing for repairs.", "AZ", "US")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"state": "ZZ"}, "state", "Select a valid choice"),
        ({"country": "USA"}, "country", "Select a valid choice"),
        ({"country": "CA", "state": "AZ"}, "state", "States are for groups in the US"),
    ],
)
def test_bad_choices_are_clear_errors_and_keep_what_was_written(
    client, cause, fields, field, message
):
    response = client.post("/suggest/", data(cause, **fields))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assert "Tenants organizing\nfor repairs." in response.content.decode()
