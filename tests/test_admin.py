"""Curators' admin: lists, filters, search, map preview, and points filled from a ZIP."""

from directory.models import Organization
from tests.factories import make_category, make_org


def test_changelist_filters_and_search(admin_client, db):
    make_org(name="Old Friends", last_verified="2020-01-01")
    make_org(name="Fresh Faces", last_verified=None)
    base = "/admin/directory/organization/"
    for query in (
        "",
        "?status__exact=published",
        "?coverage__exact=local",
        "?stale=yes",
        "?stale=no",
        "?state__exact=CA",
        "?q=Old",
    ):
        response = admin_client.get(base + query)
        assert response.status_code == 200, query
    assert "Old Friends" in admin_client.get(base + "?q=Old").content.decode()
    assert "Old Friends" in admin_client.get(base + "?stale=yes").content.decode()


def add_group(admin_client, **fields):
    """Post the admin's add form for a published local group, with `fields` changed."""
    data = {
        "status": "published",
        "causes": [make_category().pk],
        "country": "US",
        "precision": "exact",
        "coverage": "local",
        "coverage_radius": "15",
        "languages": "en",
    }
    data.update(fields)
    return admin_client.post("/admin/directory/organization/add/", data)


def test_adding_a_group_with_only_a_zip_places_it_approximately(admin_client, db):
    response = add_group(
        admin_client, name="Fresno Neighbors", slug="fresno-neighbors", postal_code="93721"
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    org = Organization.objects.get(slug="fresno-neighbors")
    assert org.precision == "approximate"
    assert org.state == "CA"
    assert 36.6 < org.latitude < 36.8 and -119.9 < org.longitude < -119.7


def test_adding_a_group_by_city_name_places_it(admin_client, db):
    response = add_group(
        admin_client, name="Tulsa Tenants", slug="tulsa-tenants", city="Tulsa", state="OK"
    )
    assert response.status_code == 302
    org = Organization.objects.get(slug="tulsa-tenants")
    assert 36.0 < org.latitude < 36.3 and org.precision == "approximate"


def test_a_published_local_group_needs_a_place(admin_client, db):
    response = add_group(admin_client, name="Nowhere", slug="nowhere", postal_code="00000")
    assert response.status_code == 200
    assert "needs a place" in response.content.decode()
    assert not Organization.objects.filter(slug="nowhere").exists()


def test_change_page_shows_the_map_preview_with_the_exact_point(admin_client, db):
    org = make_org(name="<b>Bold</b> Group", latitude=37.801234, longitude=-122.271234)
    html = admin_client.get(f"/admin/directory/organization/{org.pk}/change/").content.decode()
    assert 'id="map-data"' in html and "37.801234" in html
    assert "<b>Bold</b> Group" not in html


def test_category_admin(admin_client, db):
    make_category(name="Mutual aid")
    assert "Mutual aid" in admin_client.get("/admin/directory/category/").content.decode()
