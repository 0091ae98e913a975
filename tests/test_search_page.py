"""The results page as a reader sees it: results first under a one-line summary of the search,
the far case (no local group within reach) leading with what can be joined from anywhere, block
order by distance, and place labels that read right on the page, in the widget and in the API."""

import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation

from directory.models import Organization
from directory.reach import far_from_everyone
from tests.factories import make_category, make_org

pytestmark = pytest.mark.django_db
DENVER = {"city": "Denver", "state": "CO", "postal_code": "80202"}


def page(client, **query):
    response = client.get(reverse("directory:search"), query)
    assert response.status_code == 200
    return response, unescape(response.content.decode())


def block_keys(html):
    return re.findall(r'<h2 id="block-(\w+)"', html)


def title(html):
    return re.search(r"<title>(.*?)</title>", html, re.S)[1].strip()


def test_after_a_search_the_form_is_one_line_that_opens_it(client):
    cause = make_category(name="Immigrant rights", slug="immigrant-rights")
    make_org(causes=[cause])
    _response, html = page(client, near="94704", cause="immigrant-rights")
    summary = re.search(r'<details class="search-summary">\s*<summary>(.*?)</summary>', html, re.S)
    assert summary, "the form is folded in a closed <details>"
    text = " ".join(re.sub(r"<[^>]+>", " ", summary[1]).split())
    assert text == "Your search: Berkeley, CA 94704 · Immigrant rights · 25 mi Change"
    folded = html.split('<details class="search-summary">', 1)[1].split("</details>", 1)[0]
    assert 'role="search"' in folded and 'name="near"' in folded and 'name="cause"' in folded


def test_the_summary_counts_more_causes_and_shows_words(client):
    causes = [make_category(name=f"Cause {n}") for n in range(3)]
    make_org(causes=causes)
    _response, html = page(client, near="94704", cause=[c.slug for c in causes], q="rent")
    summary = re.search(r"data-search-summary>(.*?)</span>", html, re.S)[1]
    assert "Cause 0 +2 causes" in summary and "“rent”" in summary


def summary_text(html):
    return " ".join(
        re.sub(
            r"<[^>]+>", " ", re.search(r"data-search-summary>(.*?)</span>", html, re.S)[1]
        ).split()
    )


def test_the_summary_shows_the_radius_the_search_widened_to(client):
    # About 60 miles from Berkeley: nothing within the default 25, so the search widens.
    make_org(name="Sacramento", latitude=38.58, longitude=-121.49, city="Sacramento")
    _response, html = page(client, near="94704")
    widened = re.search(r"so we widened the search to (\d+) miles", html)[1]
    assert summary_text(html) == f"Berkeley, CA 94704 · {widened} mi (widened)"
    with translation.override("es"):
        url = reverse("directory:search")
    spanish = unescape(client.get(url, {"near": "94704"}).content.decode())
    assert re.search(r"Berkeley, CA 94704 · [\d.,]+ (km|mi) \(ampliado\)", summary_text(spanish))


def test_the_summary_says_nearest_when_nothing_is_within_any_radius(client):
    make_org(name="Far away", latitude=-33.87, longitude=151.21, city="Sydney", state="NSW")
    _response, html = page(client, near="94704", radius="5")
    assert summary_text(html) == "Berkeley, CA 94704 · Nearest groups"


def test_a_search_with_errors_shows_the_whole_form_open(client):
    _response, html = page(client, near="Nowhereville, ZZ")
    assert 'class="search-summary"' not in html and 'role="search"' in html


def far_fixture():
    """Absarokee, MT: a local group in Denver (about 450 miles), and groups joinable from there."""
    cause = make_category(name="Tenants", slug="tenants")
    denver = make_org(name="Denver Tenants", latitude=39.75, longitude=-104.99, **DENVER)
    make_org(name="Montana Statewide", coverage="statewide", state="MT")
    make_org(name="National Tenants", coverage="national")
    make_org(name="Online Tenants", coverage="online")
    for org in Organization.objects.all():
        org.causes.add(cause)
    return denver


def test_far_from_everyone_says_so_and_leads_with_groups_joinable_from_anywhere(client):
    far_fixture()
    _response, html = page(client, near="59001")
    assert "No local group near Absarokee yet" in html
    assert re.search(r"The nearest local group is \d+ mi away", html)
    assert block_keys(html) == ["statewide", "national", "online", "nearby"]
    suggest = re.search(r'href="(/suggest/\?[^"]+)">Know a group here\? Suggest it', html)[1]
    assert suggest == "/suggest/?city=Absarokee&country=US&state=MT&postal_code=59001"
    alert = re.search(r'href="([^"]+)">Get told when a group near you is listed', html)[1]
    assert alert == "/alerts/?near=59001"
    # The widened-radius sentence is replaced by the plain one, not added to it.
    assert "so we widened the search" not in html


def test_the_alert_link_keeps_the_search_causes(client):
    far_fixture()
    _response, html = page(client, near="59001", cause="tenants")
    assert 'href="/alerts/?near=59001&cause=tenants"' in html


def test_a_local_group_within_reach_keeps_the_usual_order(client):
    make_org(name="Berkeley Local")
    make_org(name="National", coverage="national")
    _response, html = page(client, near="94704")
    assert "No local group near" not in html
    assert block_keys(html) == ["covering", "national"]


def test_how_far_is_beyond_reach_is_a_setting(client, settings):
    # About 60 miles from Berkeley, covering 10: "nearby", not "covering".
    make_org(name="Sacramento", latitude=38.58, longitude=-121.49, city="Sacramento")
    make_org(name="National", coverage="national")
    settings.SEARCH_FAR_MILES = 100
    _response, html = page(client, near="94704", radius="100")
    assert block_keys(html) == ["nearby", "national"] and "No local group near" not in html
    settings.SEARCH_FAR_MILES = 50
    _response, html = page(client, near="94704", radius="100")
    assert block_keys(html) == ["national", "nearby"] and "No local group near Berkeley" in html


def test_no_local_group_at_all_is_far_too(client):
    make_org(name="National", coverage="national")
    _response, html = page(client, near="59001")
    assert "No local group matches this search" in html
    assert block_keys(html) == ["national"]


def test_reordering_adds_no_query(client, settings, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    far_fixture()
    settings.SEARCH_CACHE_SECONDS = 0
    counts = []
    for miles in (100, 1000):  # far, then within reach
        settings.SEARCH_FAR_MILES = miles
        with CaptureQueriesContext(connection) as queries:
            page(client, near="59001")
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]


def test_far_from_everyone_is_none_without_a_place_or_an_outcome():
    assert far_from_everyone(None) is None


def test_distances_run_in_order_within_each_block_stale_entries_included(client):
    import datetime

    old = datetime.date(2000, 1, 1)
    # Local groups north of Berkeley, each covering 30 miles, some long unconfirmed.
    for n, (miles, verified) in enumerate([(5.8, None), (1.2, old), (4.2, old), (3.8, None)]):
        make_org(
            name=f"G{n}",
            latitude=37.8716 + miles / 69.0,
            longitude=-122.2727,
            coverage_radius=30,
            last_verified=verified,
        )
    _response, html = page(client, near="37.8716,-122.2727")
    shown = [float(d) for d in re.findall(r'class="card__distance"[^>]*>([\d.]+) mi', html)]
    assert len(shown) == 4 and shown == sorted(shown)


def test_a_located_point_reads_groups_near_berkeley_everywhere(client):
    make_org(name="Berkeley Local")
    _response, html = page(client, near="37.872,-122.273")
    assert title(html).startswith("Groups near Berkeley, CA ·")
    assert "1 group for Berkeley, CA" in html and "near near" not in html
    assert "for near" not in html
    api = client.get(reverse("api:organizations"), {"near": "37.872,-122.273"}).json()
    assert api["place"]["label"] == "Berkeley, CA"
    assert api["place"]["precision"] == "coordinates"
    frame = unescape(
        client.get(reverse("embed:frame"), {"near": "37.872,-122.273"}).content.decode()
    )
    assert "Groups near Berkeley, CA" in title(frame) and "near near" not in frame


def test_the_suggest_link_fills_in_the_place(client):
    far_fixture()
    _response, html = page(client, near="59001")
    link = re.search(r'href="(/suggest/\?[^"]+)"', html)[1]
    form = unescape(client.get(link).content.decode())
    assert re.search(r'name="city"[^>]*value="Absarokee"|value="Absarokee"[^>]*name="city"', form)
    assert re.search(
        r'name="postal_code"[^>]*value="59001"|value="59001"[^>]*name="postal_code"', form
    )
    assert re.search(r'<option value="MT" selected|name="state"[^>]*value="MT"', form)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "cause=labor&cause=immigrant-rights&coverage=online&coverage=local",
        "cause=no-such-cause&coverage=nowhere&near=zzzz",
    ],
)
def test_the_search_forms_checkboxes_are_djangos_own_inputs(query):
    """The `checkboxes` filter writes what `{% for choice in field %}` would: same inputs, ids,
    checked boxes and error attributes, labels."""
    from django.http import QueryDict

    from directory.filters import OrganizationSearch
    from directory.templatetags.directory import checkboxes

    make_category(name="Labor", slug="labor")
    make_category(name="Immigrant rights", slug="immigrant-rights")
    search = OrganizationSearch(QueryDict(query), queryset=Organization.objects.published())
    search.is_valid()
    for name in ("cause", "coverage"):
        field = search.form[name]
        django = [(str(box.tag()), box.id_for_label, str(box.choice_label)) for box in field]
        ours = [
            (str(box.tag), box.id_for_label, str(box.choice_label)) for box in checkboxes(field)
        ]
        assert ours == django
        assert len(ours) >= 2
    if "labor" in query:
        assert sum(" checked" in str(box.tag) for box in checkboxes(search.form["cause"])) == 2
