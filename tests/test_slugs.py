"""Slugs for new entries, and the addresses of a slug's pages."""

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from directory.slugs import free_slug, slug_base, slug_path

VIEWS = ("directory:organization", "referrals:contact", "embed:visit")


def test_a_slug_is_made_from_any_text_and_kept_free():
    assert slug_base("Berkeley Tenants Union!") == "berkeley-tenants-union"
    assert slug_base("¡¿!") == "group"
    assert free_slug("a", {"a", "a-2"}) == "a-3"


@pytest.mark.parametrize("language", ["en", "es"])
def test_slug_paths_are_what_reverse_gives_in_each_language(language):
    with translation.override(language):
        for view in VIEWS:
            for slug in ("tenants-union", "g_1", "a"):
                assert slug_path(view, slug) == reverse(view, args=[slug])
    with translation.override("es"):
        assert slug_path(VIEWS[0], "x").startswith("/es/")


def test_a_slug_no_address_can_hold_is_refused_as_reverse_refuses_it():
    for slug in ("two words", "", "a/b"):
        with pytest.raises(NoReverseMatch):
            slug_path(VIEWS[0], slug)
