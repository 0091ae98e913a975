"""The search FilterSet, tested directly with dicts, as the HTML view, API and widget use it."""

import pytest

from directory.filters import OrganizationSearch
from directory.models import Organization
from tests.factories import make_category, make_org


def search(data):
    return OrganizationSearch(data, queryset=Organization.objects.published())


@pytest.fixture
def groups(db):
    immigrant = make_category(slug="immigrant-rights", name="Immigrant rights")
    labor = make_category(slug="labor", name="Labor")
    return {
        "spanish": make_org(
            name="Comité de Inquilinos",
            languages="en,es",
            causes=[immigrant],
            description="Tenant defence in the Mission.",
        ),
        "english": make_org(name="Workers Center", languages="en", causes=[labor]),
        "both": make_org(name="Solidarity Hall", causes=[immigrant, labor]),
        "online": make_org(name="Online Study Group", coverage="online", causes=[labor]),
    }


def names(qs):
    return sorted(qs.values_list("name", flat=True))


def test_place_is_parsed_once_into_a_place(groups):
    form = search({"near": "94704"})
    assert form.is_valid(), form.errors
    assert form.place.postal_code == "94704" and form.place.state == "CA"
    assert form.form.cleaned_data["radius"] == 25


def test_causes_are_slugs_and_any_of_them_matches(groups):
    assert names(search({"cause": ["labor"]}).qs) == [
        "Online Study Group",
        "Solidarity Hall",
        "Workers Center",
    ]
    both = search({"cause": ["labor", "immigrant-rights"]}).qs
    assert names(both) == sorted(o.name for o in groups.values())
    assert both.count() == len(set(both.values_list("pk", flat=True)))


def test_words_language_and_coverage(groups):
    assert names(search({"q": "mission tenant"}).qs) == ["Comité de Inquilinos"]
    assert names(search({"lang": "es"}).qs) == ["Comité de Inquilinos"]
    assert names(search({"coverage": ["online"]}).qs) == ["Online Study Group"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"near": "00000"}, "near", "ZIP"),
        ({"near": "Xqzvbn Fjord, ZZ"}, "near", "find"),
        ({"near": "x" * 10_000}, "near", "at most 200 characters"),
        ({"near": "947\x0004"}, "near", "Null characters are not allowed"),
        ({"radius": "-5"}, "radius", "at least 1 mile"),
        ({"radius": "1000000000"}, "radius", "at most 3000 miles"),
        ({"radius": "ten"}, "radius", "whole number"),
        ({"radius": "25.0"}, "radius", "whole number"),
        ({"radius": "2.5e1"}, "radius", "whole number"),
        ({"radius": "\x00"}, "radius", "whole number"),
        ({"cause": ["no-such-cause"]}, "cause", "no cause called “no-such-cause”"),
        ({"cause": ["bad\x00slug"]}, "cause", "not a cause we know"),
        ({"cause": [f"c{i}" for i in range(50)]}, "cause", "at most 20 causes"),
        ({"lang": "xx"}, "lang", "Select a valid choice"),
        ({"q": "y" * 10_000}, "q", "at most 200 characters"),
        ({"coverage": ["galactic"]}, "coverage", "Select a valid choice"),
    ],
)
def test_bad_input_is_a_form_error_with_a_clear_message(groups, data, field, message):
    form = search(data)
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


def test_misspelled_place_offers_suggestions(groups):
    form = search({"near": "Berkly, CA"})
    assert not form.is_valid()
    assert any("Berkeley" in place.label for place in form.form.place_suggestions)


def test_outcome_without_a_place_lists_place_free_groups(groups):
    form = search({"cause": ["labor"]})
    assert form.is_valid()
    outcome = form.outcome()
    assert outcome.place is None
    assert [r.organization.name for r in outcome.results] == ["Online Study Group"]


def test_outcome_with_a_place_runs_the_block_search(groups):
    form = search({"near": "Berkeley, CA", "radius": "10"})
    assert form.is_valid(), form.errors
    outcome = form.outcome()
    assert outcome.requested_radius == 10
    assert outcome.blocks[0].key == "covering"
