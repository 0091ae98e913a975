"""Printing in real Chromium: a group page is a one-page referral sheet with its addresses written
out and a QR code of the page; results and cause pages print as plain lists without the form, the
map or the site's navigation."""

import io
import re
import unicodedata

import pytest
import qrcode
from django.conf import settings
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from directory.templatetags.printing import QUIET_ZONE
from tests.factories import make_category, make_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, transactional_db):
    return live_server.url


@pytest.fixture
def long_group(site):
    """A group with as much to print as a listing holds: every channel, the longest first step,
    three social links, meetings, access notes and a public address."""
    cause = make_category(slug="immigrant-rights", name="Immigrant rights", name_es="Inmigración")
    labor = make_category(slug="labor", name="Labor & workers", name_es="Trabajo")
    for n in range(3):
        make_org(causes=[cause], name=f"Neighbour group {n}", slug=f"neighbour-{n}")
    return make_org(
        causes=[cause, labor],
        name="East Bay Garment and Domestic Workers Solidarity Circle of the Bay",
        slug="east-bay-garment-and-domestic-workers-solidarity-circle",
        summary="Workers helping each other organize on the job, from first conversations to "
        "contract fights, in English, Spanish and Tagalog.",
        description="We meet every month. " * 60,
        first_step=("Come to the new-member orientation on the second Saturday of the month. " * 5)[
            :300
        ],
        website="https://example.org/east-bay-garment-and-domestic-workers-solidarity-circle",
        signup_url="https://example.org/east-bay-garment-and-domestic-workers-solidarity-circle/join",
        phone="(510) 555-0112",
        social_links="https://example.net/facebook/eastbaygarment\n"
        "https://example.net/instagram/eastbaygarment\nhttps://example.net/x/eastbaygarment",
        meeting_schedule="Second Saturday of the month, 11am, and every Tuesday at 6:30pm online",
        accessibility="Step-free entrance; seating with back support; masks requested; "
        "interpretation on request.",
        address="3396 Example St, Room 3",
        address_public=True,
        childcare=True,
        asl=True,
        virtual_participation=True,
        last_verified=timezone.localdate(),
    )


def _pdf(page, paper):
    reader = PdfReader(io.BytesIO(page.pdf(format=paper)))
    # NFKC undoes the ligatures the PDF's fonts use ("ﬁ" for "fi").
    text = unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in reader.pages))
    return reader, text


def _squashed(text):
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("paper", ["Letter", "A4"])
def test_a_group_page_prints_on_one_page_with_its_addresses(site, browser, long_group, paper):
    page = browser.new_page()
    page.goto(f"{site}{long_group.get_absolute_url()}?near=94704")
    reader, text = _pdf(page, paper)
    assert len(reader.pages) == 1
    flat = _squashed(text)
    assert long_group.name in " ".join(text.split())
    for url in (
        long_group.website,
        long_group.signup_url,
        *dict(long_group.social_link_list).values(),
    ):
        assert _squashed(url) in flat, url
    assert long_group.phone in text
    # The page's own address under its QR code (the canonical one, without the reader's query),
    # and the site's name and address at the foot.
    assert _squashed(f"{site}{long_group.get_absolute_url()}") in flat
    assert "near=94704" not in flat
    assert _squashed(f"From {settings.SITE_NAME}, {site}/") in flat
    for screen_only in (
        "Write to the organizers",
        "Back to search",
        "map needs JavaScript",
        "Report a problem",
        "Print a flyer",
        "Causes About",
    ):
        assert screen_only not in text, screen_only
    for kept in ("Your first step", "Meetings", "Reach the group"):
        assert kept in text, kept
    page.close()


def _expected(url):
    """The code the qrcode library makes of `url` at the site's settings, regenerated here."""
    code = qrcode.QRCode(border=QUIET_ZONE, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()


def _modules_seen(page, url):
    """The QR code as Chromium draws it for print, read back module by module."""
    page.emulate_media(media="print")
    picture = Image.open(io.BytesIO(page.locator(".print-qr svg").screenshot())).convert("L")
    size = len(_expected(url))
    step = picture.width / size
    return [
        [
            picture.getpixel((int((x + 0.5) * step), int((y + 0.5) * step))) < 128
            for x in range(size)
        ]
        for y in range(size)
    ]


def test_the_printed_qr_code_reads_as_the_pages_address(site, browser, long_group):
    page = browser.new_page()
    page.goto(f"{site}/es{long_group.get_absolute_url()}")
    assert not page.locator(".print-qr").is_visible()  # paper only
    url = f"{site}/es{long_group.get_absolute_url()}"
    assert page.locator(".print-qr figcaption").inner_text() == url
    assert _modules_seen(page, url) == _expected(url)
    page.close()


def test_results_and_cause_pages_print_as_plain_lists(site, browser, long_group):
    page = browser.new_page()
    page.goto(f"{site}/search/?near=94704&cause=immigrant-rights")
    assert page.locator(".card").count() == 4
    reader, text = _pdf(page, "Letter")
    assert len(reader.pages) == 1
    first = page.locator(".card__title").first.inner_text()
    assert first in " ".join(text.split())
    for screen_only in ("ZIP code or city", "map needs JavaScript", "Skip to", "Show more"):
        assert screen_only not in text, screen_only
    # The one-line summary of the search is a way to change it: the printed list has the count.
    assert page.locator(".search-summary").is_visible()
    assert "Your search" not in text and "Change" not in text
    # Far from every group (Absarokee, MT): the plain sentence prints, its prompts do not.
    page.goto(f"{site}/search/?near=59001&cause=immigrant-rights")
    assert page.locator(".far__actions").is_visible()
    _reader, text = _pdf(page, "Letter")
    assert "No local group near Absarokee yet" in " ".join(text.split())
    assert "Suggest it" not in text and "Get told" not in text
    page.emulate_media(media="print")
    assert page.locator(".far").is_visible()
    # Hidden as a whole, not only its buttons: a link added to it later stays off paper too.
    assert page.locator(".far__actions").evaluate("e => getComputedStyle(e).display") == "none"
    assert not page.locator(".search-summary").is_visible()
    page.emulate_media(media="null")
    page.goto(f"{site}/causes/immigrant-rights/")
    _reader, text = _pdf(page, "Letter")
    assert "Immigrant rights" in text
    assert "Suggest a group" not in text and "Causes" not in text
    page.close()
