"""A widget that fits under a post, in real Chromium: the default snippet on a writer's page (on
another origin) stays short, and the builder's preview shows an example search before anything
is typed. The host page, its strict CSP and the fitting check come from test_embed_browser."""

import re

import pytest

from tests.test_embed_browser import (  # noqa: F401 (host and site are fixtures)
    WIDGET_FRAMES,
    Tab,
    host,
    post,
    site,
    snippet_from_builder,
    wait_fitted,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails, in CI) with the reason
    expect = None

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_DEFAULT_HEIGHT = 1200  # px: about one and a half desktop screens, under a post


@pytest.mark.parametrize("width", [1280, 375])
def test_the_default_widget_fits_under_a_post(site, host, browser, width):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900})
    tab = Tab(context, {"localhost", "127.0.0.1", "127.0.0.2"})
    page = tab.page
    # The builder's defaults, with only a cause and a place chosen.
    snippet = snippet_from_builder(page, site, "cause=immigrant-rights&near=94704")
    assert "data-max" not in snippet and "data-layout" not in snippet
    page.goto(host.page("/post.html", post(snippet), site))
    wait_fitted(tab, 0)
    frame = tab.frames()[0]
    height = tab.frame_height(0)
    print(f"\ndefault widget at {width} px: {height:.0f} px tall")
    assert height < MAX_DEFAULT_HEIGHT
    assert frame.locator(".card").count() == 5
    # "See all" leads to the full search on the site, outside the frame.
    more = frame.locator(".results__more a")
    expect(more).to_have_text(re.compile(r"^See all \d+ groups on "))
    assert more.get_attribute("target") == "_blank"
    with context.expect_page() as opened:
        more.click()
    full = opened.value
    full.wait_for_load_state()
    assert "/search/" in full.url and "near=94704" in full.url
    assert page.url.endswith("/post.html")
    # A reader's search keeps it short.
    frame.locator("#embed-near").fill("60614")
    frame.locator("#embed-near").press("Enter")
    expect(frame.locator(".results__summary")).to_contain_text("Chicago")
    wait_fitted(tab, 0)
    assert tab.frame_height(0) < MAX_DEFAULT_HEIGHT
    # So does a far one, with its "no local group" prompts above the joinable groups.
    frame.locator("#embed-near").fill("59001")
    frame.locator("#embed-near").press("Enter")
    expect(frame.locator(".far__title")).to_have_text("No local group near Absarokee yet")
    wait_fitted(tab, 0)
    print(f"far-search widget at {width} px: {tab.frame_height(0):.0f} px tall")
    assert tab.frame_height(0) < MAX_DEFAULT_HEIGHT
    tab.assert_clean()
    context.close()


def test_the_builders_preview_shows_an_example_before_anything_is_typed(site, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = Tab(context, {"localhost", "127.0.0.1"})
    page = tab.page
    page.goto(f"{site}/embed/builder/")
    assert page.get_by_label("Place").input_value() == ""
    expect(page.locator(".builder__sample")).to_contain_text("An example search for 94612")
    preview = page.locator(WIDGET_FRAMES).last
    preview.scroll_into_view_if_needed()
    frame = preview.element_handle().content_frame()
    frame.wait_for_selector(".card")
    assert "groups for Oakland, CA 94612" in frame.locator(".results__summary").inner_text()
    # The example is the preview's alone: the snippets leave the place to the reader.
    snippet = page.locator("#snippet-script").input_value()
    assert "data-near" not in snippet and "94612" not in snippet
    # Choosing a place replaces the example.
    page.get_by_label("Place").fill("60614")
    expect(page.locator("#snippet-script")).to_have_value(re.compile(r'data-near="60614"'))
    expect(page.locator(".builder__sample")).to_have_count(0)
    frame = page.locator(WIDGET_FRAMES).last.element_handle().content_frame()
    frame.wait_for_selector(".card")
    expect(frame.locator(".results__summary")).to_contain_text("Chicago")
    tab.assert_clean()
    context.close()
