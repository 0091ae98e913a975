"""A sensitive entry (a group at risk of harassment) is shown at city level only: a coarse public
point, no street address, no map marker, kept out of search engines, the sitemap and the open-data
export, and with no coordinates in the HSDS API. (That the coarse point cannot be narrowed is
proved in test_location_privacy.py.)"""

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from directory.geo import haversine_miles
from directory.models import Organization
from hsds import exporting, tabular
from tests.factories import make_category, make_org

# The organizer's exact point, and what the public may see of it (one decimal).
PRIVATE = (37.871234, -122.258765)
COARSE = (37.9, -122.3)
STREET = "12 Hidden Lane"


@pytest.fixture
def cause(db):
    return make_category(slug="immigrant-rights", name="Immigrant rights")


@pytest.fixture
def sensitive(cause):
    # The worst case: an exact point whose address the entry says is public.
    return make_org(
        causes=[cause],
        name="Safe Harbor Network",
        slug="safe-harbor",
        latitude=PRIVATE[0],
        longitude=PRIVATE[1],
        precision="exact",
        address=STREET,
        address_public=True,
        sensitive=True,
        coverage_radius=10,
    )


@pytest.fixture
def ordinary(cause):
    return make_org(
        causes=[cause],
        name="Open Door Tenants",
        slug="open-door",
        latitude=37.8664,
        longitude=-122.2570,
        precision="exact",
        address="1 Open Street",
        address_public=True,
        coverage_radius=10,
    )


def _map_markers(html):
    found = re.search(r'id="map-data"[^>]*>([^<]*)<', html)
    return [m["name"] for m in json.loads(found.group(1))["markers"]] if found else []


def _json_ld(html):
    return json.loads(re.search(r'type="application/ld\+json">(.*?)</script>', html, re.S)[1])


def test_the_public_point_is_coarse_whatever_the_address_says(sensitive):
    sensitive.refresh_from_db()
    assert (sensitive.public_latitude, sensitive.public_longitude) == COARSE


def test_the_group_page_shows_the_city_only_and_asks_not_to_be_indexed(client, sensitive, ordinary):
    html = client.get("/groups/safe-harbor/").content.decode()
    assert '<meta name="robots" content="noindex">' in html
    assert STREET not in html
    assert "Berkeley, CA" in html
    assert 'id="map-data"' not in html and "leaflet" not in html
    data = _json_ld(html)
    assert "address" not in data and "geo" not in data
    assert STREET not in json.dumps(data)
    # An ordinary entry with a public address keeps all of it.
    html = client.get("/groups/open-door/").content.decode()
    assert 'name="robots"' not in html
    assert "1 Open Street" in html
    assert _map_markers(html) == ["Open Door Tenants"]
    assert _json_ld(html)["address"]["streetAddress"] == "1 Open Street"


def test_the_distance_readers_see_is_to_the_coarse_point(client, sensitive):
    body = client.get("/api/v1/organizations/", {"near": "37.80,-122.27", "radius": 25}).json()
    (row,) = [r for r in body["results"] if r["organization"]["slug"] == "safe-harbor"]
    assert row["distance_miles"] == pytest.approx(
        haversine_miles(37.80, -122.27, *COARSE), abs=0.01
    )
    org = row["organization"]
    assert (org["latitude"], org["longitude"]) == COARSE
    assert org["address"] is None
    assert org["precision"] == "approximate"
    assert STREET not in json.dumps(body)


def test_search_and_widget_list_it_without_a_marker(client, sensitive, ordinary):
    for url in ("/search/", "/embed/"):
        html = client.get(url, {"near": "94704", "layout": "map"}).content.decode()
        assert "Safe Harbor Network" in html, url
        assert _map_markers(html) == ["Open Door Tenants"], url
        assert STREET not in html


def test_the_sitemap_leaves_it_out(client, sensitive, ordinary):
    root = ET.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 - our own sitemap
    locations = [loc.text for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "http://testserver/groups/open-door/" in locations
    assert not [loc for loc in locations if "safe-harbor" in loc]


def test_the_open_data_export_leaves_it_out(sensitive, ordinary, tmp_path):
    counts = exporting.export_package(tmp_path)
    assert counts["organization"] == 1
    tables, invalid = tabular.read(tmp_path)
    assert invalid == []
    assert [row["name"] for row in tables["organization"]] == ["Open Door Tenants"]
    everything = "".join(path.read_text() for path in tmp_path.glob("*.csv"))
    assert "Safe Harbor" not in everything and STREET not in everything


def test_the_hsds_api_gives_its_location_no_coordinates_and_no_address(client, sensitive):
    body = client.get(
        "/api/hsds/service_at_locations", {"postcode": "94704", "proximity": 9000, "full": "true"}
    ).json()
    (item,) = body["contents"]
    location = item["location"]
    assert "latitude" not in location and "longitude" not in location
    assert location.get("addresses", []) == []
    text = json.dumps(body)
    assert STREET not in text and "37.9" not in text and "37.87" not in text
    services = client.get("/api/hsds/services", {"full": "true"}).json()
    assert "latitude" not in json.dumps(services) and STREET not in json.dumps(services)


def test_an_ordinary_entry_keeps_its_hsds_coordinates(client, ordinary):
    body = client.get("/api/hsds/services", {"full": "true"}).json()
    (link,) = body["contents"][0]["service_at_locations"]
    location = link["location"]
    assert (location["latitude"], location["longitude"]) == (37.8664, -122.257)


def test_turning_it_on_takes_the_marker_and_address_away_at_once(client, ordinary):
    ordinary.sensitive = True
    ordinary.save()
    html = client.get("/groups/open-door/").content.decode()
    assert "1 Open Street" not in html and 'id="map-data"' not in html
    ordinary.refresh_from_db()
    assert (ordinary.public_latitude, ordinary.public_longitude) == (37.9, -122.3)


def test_words_still_find_groups_written_after_the_migrations(db):
    """Migration 0007 makes the table again on SQLite; the full-text index still follows it."""
    make_org(name="Zebrafish Defenders", slug="zebrafish")
    assert [o.slug for o in Organization.objects.matching("zebrafish")] == ["zebrafish"]
    Organization.objects.filter(slug="zebrafish").update(name="Axolotl Defenders")
    assert not Organization.objects.matching("zebrafish").exists()
    assert Organization.objects.matching("axolotl").exists()


def test_curators_see_a_note_and_can_list_sensitive_entries(client, sensitive, ordinary):
    curator = User.objects.create_superuser("curator", "curator@example.com", "a long password!")
    client.force_login(curator)
    changelist = reverse("admin:directory_organization_changelist")
    html = client.get(changelist, {"sensitive__exact": "1"}).content.decode()
    assert "Safe Harbor Network" in html and "Open Door Tenants" not in html
    html = client.get(reverse("admin:directory_organization_change", args=[sensitive.pk]))
    html = html.content.decode()
    assert "A sensitive entry is shown to the public at city level only" in html
    assert re.search(r'<input type="checkbox" name="sensitive"[^>]* checked', html)
    # Curators still see the street address.
    assert STREET in html
