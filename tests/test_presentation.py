"""Template filters and model helpers that decide what a reader sees."""

from django.utils import translation

from directory.maps import public_point
from directory.models import Category, Organization
from directory.templatetags.directory import distance, distance_alt, plaintext
from tests.factories import make_category, make_org


def test_distance_reads_miles_in_english_and_kilometres_in_spanish():
    with translation.override("en"):
        assert distance(3.24) == "3.2 mi"
        assert distance(1234.4) == "1,234 mi"
        assert distance_alt(3.24) == "5.2 kilometres"
    with translation.override("es"):
        assert distance(3.24) == "5.2 km"
    assert distance(None) == ""


def test_plaintext_escapes_and_links():
    html = plaintext("<img src=x onerror=alert(1)> see https://example.org/a?b=1&c=2\nnext")
    assert "<img" not in html and "&lt;img" in html
    assert 'href="https://example.org/a?b=1&amp;c=2"' in html and 'rel="nofollow"' in html
    assert "<br>" in html


def test_private_addresses_are_blurred_on_maps(db):
    public = make_org(precision="exact", address_public=True, latitude=37.123456)
    private = make_org(precision="exact", address_public=False, latitude=37.123456)
    online = make_org(coverage="online")
    assert public_point(public)[0] == 37.123456
    assert public_point(private)[0] == 37.12
    assert public_point(online) is None


def test_social_links_are_labelled_and_only_web_links_kept(db):
    org = make_org(
        social_links="https://www.instagram.com/group\njavascript:alert(1)\n"
        "https://example.net/mastodon/group\n  \nftp://example.org/x"
    )
    assert org.social_link_list == [
        ("Instagram", "https://www.instagram.com/group"),
        ("Mastodon", "https://example.net/mastodon/group"),
    ]
    many = make_org(
        social_links="https://m.facebook.com/g\nhttps://bsky.app/profile/g\n"
        "https://social.coop/@group\nhttps://www.example.org/instagram/g\n"
        "https://linktr.ee/g\nhttps://forum.example.coop/groups/g"
    )
    labels = [label for label, _ in many.social_link_list]
    sites = ["Facebook", "Bluesky", "Mastodon", "Instagram", "Linktree"]
    assert labels == [*sites, "forum.example.coop"]  # an unknown site: its domain


def test_factories_make_valid_published_rows(db):
    cause = make_category()
    org = make_org(causes=[cause])
    org.full_clean()
    assert org.status == Organization.Status.PUBLISHED and list(org.causes.all()) == [cause]
    national = make_org(coverage="national")
    national.full_clean()
    assert national.latitude is None
    assert Category.objects.count() == 1
