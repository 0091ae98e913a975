"""The curators' dashboard and entries list in Chromium: counts that match their queues, and a
list whose status and freshness columns fit a 1280 px screen."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.test import Client

from tests.test_admin_dashboard import waiting_items

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def curator_page(live_server, browser):
    """A tab signed in as staff allowed to see every queue, 1280 px wide."""
    user = User.objects.create_user("curator", password="a long curator password", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["directory", "curation", "referrals"]
        )
    )
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "domain": re.sub(r"^https?://|:\d+$", "", live_server.url),
                "path": "/",
            }
        ]
    )
    yield context.new_page()
    context.close()


def listed(page):
    """The number of rows the changelist says it shows ("3 organizations", "1 suggestion")."""
    text = page.locator("#changelist-form .paginator").inner_text()
    return int(re.search(r"\d+", text).group())


def test_each_dashboard_count_is_its_queue_length(live_server, curator_page):
    expected = waiting_items()
    page = curator_page
    page.goto(live_server.url + "/admin/")
    assert page.title().startswith("Curators’ dashboard")
    tiles = page.locator(".curator-dashboard__queue")
    assert tiles.count() == len(expected)
    shown = {}
    for index in range(tiles.count()):
        tile = tiles.nth(index)
        shown[tile.get_attribute("data-queue")] = (
            int(tile.locator(".curator-dashboard__count").inner_text()),
            tile.locator("a").get_attribute("href"),
        )
    assert {key: count for key, (count, _url) in shown.items()} == expected
    for key, (count, url) in shown.items():
        page.goto(live_server.url + "/admin/")
        page.locator(f'[data-queue="{key}"] a').click()
        page.wait_for_load_state()
        assert page.url.endswith(url), key
        assert listed(page) == count, (key, page.url)


@pytest.mark.parametrize("language", ["en", "es"])
def test_status_verified_date_and_freshness_show_at_1280px(live_server, curator_page, language):
    """Every column ends left of the filter panel: none is cut off by the list's scroll box."""
    from tests.factories import make_org

    for n in range(3):
        make_org(
            name=f"Coalition for Humane Immigrant Rights of the Greater Los Angeles Area {n}",
            city="Rancho Palos Verdes",
            state="CA",
            last_verified=None,
        )
    page = curator_page
    prefix = "" if language == "en" else f"/{language}"
    page.goto(f"{live_server.url}{prefix}/admin/directory/organization/")
    visible = page.locator("#changelist-form .results").bounding_box()
    filters = page.locator("#changelist-filter").bounding_box()
    assert visible["x"] + visible["width"] <= filters["x"]
    for column in ("name", "place", "status", "last_verified", "confirmed"):
        box = page.locator(f"#result_list th.column-{column}").bounding_box()
        assert box is not None and box["width"] > 0, column
        assert box["x"] + box["width"] <= visible["x"] + visible["width"], (column, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
