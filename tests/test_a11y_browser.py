"""Accessibility in real Chromium: axe-core on every kind of page in both languages, the keyboard
path from a search to a group, the focus ring's contrast, and the error pattern on a form.

axe-core comes from npm (package.json, installed by `make test` with `npm ci`); it is injected
into the page by the test and never served by the site.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from directory.models import Organization
from tests.browser import _unavailable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        _unavailable(f"{AXE} is missing (make test installs it with npm ci)")
    return AXE.read_text()


@pytest.fixture
def site(live_server, transactional_db):
    call_command("loadseeds", verbosity=0)
    return live_server.url


@pytest.fixture
def org(site):
    return Organization.objects.published().exclude(contact_email="").order_by("pk").first()


@pytest.fixture
def curator_cookie(site):
    """A signed-in curator's session cookie (staff with the directory's permissions)."""
    user = User.objects.create_user("curator", password="a long curator password", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="directory"))
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _path(language, name, *args, **kwargs):
    with translation.override(language):
        return reverse(name, args=args, kwargs=kwargs)


def _stats_path(language):
    """A writer's private counts page, with a day of counts and a coverage gap to show."""
    from django.utils import timezone

    from embed import stats
    from embed.models import EmbedDailyCount, EmbedGapCount

    ref, today = stats.issue_ref(), timezone.localdate()
    EmbedDailyCount.objects.create(ref=ref, day=today, searches=4, views=2, messages=1)
    EmbedGapCount.objects.create(ref=ref, day=today, area="590", searches=3)
    return _path(language, "embed:stats", stats.stats_token(ref))


def _confirm_message_path(language, org):
    """The reader's link that releases a held message."""
    from django.utils import timezone

    from referrals.models import Referral
    from referrals.services import confirm_token

    referral = Referral.objects.create(
        organization=org,
        created=timezone.now(),
        name="Ana",
        email=f"a11y-{language}@example.com",
        message="Hello",
        origin="http://testserver",
        status=Referral.Status.HELD,
        message_id=f"<a11y-{language}@testserver>",
    )
    return _path(language, "referrals:confirm", confirm_token(referral))


def _pages(language, org):
    """(label, path) of every page axe checks, in `language`."""
    search = _path(language, "directory:search") + "?near=94704&cause=immigrant-rights"
    embed_query = "?near=94704&cause=immigrant-rights" + (
        f"&locale={language}" if language != "en" else ""
    )
    return [
        ("home", _path(language, "directory:home")),
        ("results", search),
        ("group", _path(language, "directory:organization", org.slug)),
        ("cause", _path(language, "directory:category", "immigrant-rights")),
        ("contact", _path(language, "referrals:contact", org.slug)),
        ("check your mail", _path(language, "referrals:check_mail", org.slug)),
        ("confirm message", _confirm_message_path(language, org)),
        ("suggest", _path(language, "curation:suggest")),
        ("report", _path(language, "curation:report", org.slug)),
        ("about", _path(language, "directory:about")),
        ("embed", _path("en", "embed:frame") + embed_query),
        ("builder", _path(language, "embed:builder")),
        ("widget stats", _stats_path(language)),
        *_alert_pages(language),
    ]


def _alert_pages(language):
    """The far search's prompts and the alert's pages, its signed links included."""
    from alerts import services as alerts
    from directory.geocoding import geocode

    subscription = alerts.subscription_request(
        f"a11y-{language}@example.com", geocode("59001"), [], origin="http://testserver"
    )
    return [
        ("far results", _path(language, "directory:search") + "?near=59001"),
        ("alert", _path(language, "alerts:subscribe") + "?near=59001"),
        ("alert sent", _path(language, "alerts:sent")),
        ("alert confirm", _path(language, "alerts:confirm", alerts.confirm_token(subscription))),
        (
            "alert stop",
            _path(language, "alerts:unsubscribe", alerts.unsubscribe_token(subscription)),
        ),
    ]


def _admin_pages(language, org):
    return [
        ("admin dashboard", _path(language, "admin:index")),
        ("admin changelist", _path(language, "admin:directory_organization_changelist")),
        ("admin change form", _path(language, "admin:directory_organization_change", org.pk)),
    ]


def _axe(page, source):
    """axe's violations on the page and in its frames, as short readable lines."""
    for frame in page.frames:
        frame.evaluate(source)
    result = page.evaluate(
        "tags => axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


@pytest.mark.parametrize("language", ["en", "es"])
def test_public_pages_have_no_axe_violations(site, org, browser, axe_source, language):
    context = browser.new_context()
    page = context.new_page()
    found = {}
    for label, path in _pages(language, org):
        response = page.goto(site + path)
        assert response.status == 200, (label, path)
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == language, label
        violations = _axe(page, axe_source)
        if violations:
            found[label] = violations
    context.close()
    assert found == {}, "\n".join(f"{k}: {v}" for k, vs in found.items() for v in vs)


@pytest.mark.parametrize("language", ["en", "es"])
def test_admin_pages_have_no_axe_violations(
    site, org, browser, axe_source, curator_cookie, language
):
    anonymous = browser.new_context()
    page = anonymous.new_page()
    page.goto(site + _path(language, "admin:login"))
    found = {}
    if violations := _axe(page, axe_source):
        found["admin login"] = violations
    anonymous.close()

    context = browser.new_context()
    host = re.sub(r"^https?://|:\d+$", "", site)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": curator_cookie,
                "domain": host,
                "path": "/",
            }
        ]
    )
    page = context.new_page()
    for label, path in _admin_pages(language, org):
        response = page.goto(site + path)
        assert response.status == 200 and "/login/" not in page.url, (label, page.url)
        if violations := _axe(page, axe_source):
            found[label] = violations
    context.close()
    assert found == {}, "\n".join(f"{k}: {v}" for k, vs in found.items() for v in vs)


def _luminance(rgb):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a, b):
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# The focused element's outline colour, and the colour of what the ring is drawn on: the first
# ancestor (from the parent up) with an opaque background.
FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).slice(0, 4).map(Number);
  const style = getComputedStyle(el);
  let node = el.parentElement, background = [255, 255, 255];
  while (node) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] === 1)) { background = c.slice(0, 3); break; }
    node = node.parentElement;
  }
  return {
    tag: el.tagName, text: (el.textContent || el.value || "").trim().slice(0, 40),
    outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
    outline: rgb(style.outlineColor).slice(0, 3), background: background,
  };
}"""


def _assert_visible_focus(page, where):
    focus = page.evaluate(FOCUS_STYLE)
    assert focus["outlineStyle"] != "none" and focus["outlineWidth"] >= 2, (where, focus)
    ratio = _contrast(focus["outline"], focus["background"])
    assert ratio >= 3, (where, focus, round(ratio, 2))
    return focus


def test_keyboard_alone_searches_and_opens_a_result(site, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(site + "/")
    # Tab to the place box, checking the ring on each stop on the way.
    for stop in range(30):
        page.keyboard.press("Tab")
        focus = _assert_visible_focus(page, f"home, tab {stop}")
        if page.evaluate("document.activeElement.name") == "near":
            break
    else:
        pytest.fail("the place box is not reachable by Tab")
    page.keyboard.type("94704")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?*near=94704*")
    page.wait_for_selector("#results .card")

    # A fresh results page: the first Tab offers "Skip to results", and from there the next Tab
    # is on the first result.
    page.goto(page.url)
    page.keyboard.press("Tab")
    focus = _assert_visible_focus(page, "skip link")
    assert focus["text"] == "Skip to results"
    page.keyboard.press("Enter")
    first = page.locator("#results .card a").first.get_attribute("href")
    for _stop in range(3):
        page.keyboard.press("Tab")
        _assert_visible_focus(page, "results")
        if page.evaluate("document.activeElement.getAttribute('href')") == first:
            break
    else:
        pytest.fail("the first result is more than three Tabs after the skip link")
    page.keyboard.press("Enter")
    page.wait_for_url("**/groups/**")
    assert page.locator("h1").inner_text()
    context.close()


def test_focus_ring_reads_on_every_background(site, org, browser):
    """Every focusable element on the busiest pages, and the dark widget, shows a 3:1 ring."""
    context = browser.new_context()
    page = context.new_page()
    pages = [
        "/search/?near=94704&cause=immigrant-rights",
        f"/groups/{org.slug}/",
        "/embed/?near=94704&theme=dark",
        "/embed/?near=94704&accent=ffe066",
    ]
    for path in pages:
        page.goto(site + path)
        page.wait_for_load_state("networkidle")
        page.evaluate("document.activeElement && document.activeElement.blur()")
        seen = 0
        for _stop in range(60):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement === document.body"):
                break
            _assert_visible_focus(page, path)
            seen += 1
        assert seen > 5, path
    context.close()


def test_a_form_error_follows_the_govuk_pattern(site, org, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site}/es/groups/{org.slug}/contact/")
    # The browser would stop an empty form itself; the server's answer is what is tested here.
    page.evaluate("document.querySelector('form[data-contact-form]').noValidate = true")
    page.locator("form[data-contact-form] button[type=submit]").click()
    page.wait_for_load_state("load")
    # The title says there is an error; the summary has focus and links to each field.
    assert page.title().startswith("Error: ")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    links = page.locator("[data-error-summary] a")
    assert links.count() >= 3
    for i in range(links.count()):
        target = links.nth(i).get_attribute("href")[1:]
        field = page.locator(f"#{target}")
        assert field.get_attribute("aria-invalid") == "true"
        described = (field.get_attribute("aria-describedby") or "").split()
        assert f"{target}_error" in described
        assert page.locator(f"#{target}_error").inner_text().startswith("Error:")
    # Following a link puts the cursor in that field.
    links.first.click()
    assert page.evaluate("document.activeElement.id") == links.first.get_attribute("href")[1:]
    context.close()


def test_live_results_are_announced_in_a_region_that_stays(site, browser):
    from playwright.sync_api import expect

    context = browser.new_context()
    page = context.new_page()
    page.goto(site + "/search/?near=94704")
    status = page.locator("[data-results-status]")
    handle = status.element_handle()
    page.locator(".search-summary > summary").click()  # results first: the form is folded
    page.get_by_text("Immigrant rights", exact=True).first.click()
    page.wait_for_url("**cause=immigrant-rights**")
    expect(status).to_have_text(re.compile(r"\d+ groups? for Berkeley"))
    # The same element, now holding the count; the list itself is not a live region.
    assert page.evaluate("(el) => el === document.querySelector('[data-results-status]')", handle)
    assert re.search(r"\d+ groups? for Berkeley", status.inner_text())
    assert page.locator("#results").get_attribute("aria-live") is None
    context.close()


MOVING = """() => {
  const el = document.createElement("div");
  el.style.transition = "opacity 1s";  // CSSOM, which the content security policy allows
  document.body.append(el);
  return getComputedStyle(el).transitionDuration;
}"""


@pytest.mark.parametrize("motion, duration", [("reduce", "0s"), ("no-preference", "1s")])
def test_reduced_motion_turns_transitions_off(site, browser, motion, duration):
    context = browser.new_context(reduced_motion=motion)
    page = context.new_page()
    page.goto(site + "/")
    assert page.evaluate(MOVING) == duration
    context.close()
