"""Languages: chosen by the URL's prefix (/es/...), remembered by one cookie, guessed once.

English pages have no prefix; every other language has its own (i18n_patterns in orgsite.urls).
A reader who arrives on an English address without having chosen a language is sent to the
same page in the language their browser asks for (Accept-Language); once they choose in the
switcher, the language cookie records that choice and is honoured instead. Nothing else about
the reader is stored. The widget's frame, JSON endpoints, the admin and the API are never
redirected: they speak the language of their address or of their own presets.
"""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch, Resolver404, resolve, reverse, translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language_info

# Pages a first visit may be redirected from: the public site's HTML pages.
PAGE_NAMESPACES = {"directory", "curation", "referrals"}
PAGE_VIEWS = {"embed:builder"}
NOT_PAGES = {"place_suggest"}


def is_page(match):
    """Whether a resolved URL is one of the public site's HTML pages."""
    if match.view_name in NOT_PAGES:
        return False
    return match.namespace in PAGE_NAMESPACES or match.view_name in PAGE_VIEWS


class PreferredLanguageMiddleware:
    """On a first visit to an English address, send the reader to the language they prefer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self._applies(request):
            return self.get_response(request)
        preferred = translation.get_language_from_request(request)
        if preferred != settings.LANGUAGE_CODE:
            here = request.get_full_path()
            there = translate_url(here, preferred)
            if there != here:
                response = HttpResponseRedirect(there)
                patch_vary_headers(response, ("Accept-Language", "Cookie"))
                return response
        response = self.get_response(request)
        # The same address may redirect for another reader: caches must keep them apart.
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

    def _applies(self, request):
        if request.method not in ("GET", "HEAD"):
            return False
        if translation.get_language_from_path(request.path_info):
            return False
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return is_page(match)


# Pages whose query string is part of what they show (a search); elsewhere it is dropped from
# canonical and alternate addresses (a group page's ?near= only adds a distance).
QUERY_PAGES = {"directory:search"}


def alternates(request):
    """(language code, absolute URL) of the current page in every language, English first."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.url_name:
        return []
    query = request.META.get("QUERY_STRING", "") if match.view_name in QUERY_PAGES else ""
    found = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            try:
                path = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
            except NoReverseMatch:
                continue
        found.append((code, request.build_absolute_uri(path) + (f"?{query}" if query else "")))
    return found


def languages(request):
    """Template context: the switcher's languages, and the page's canonical and alternate URLs."""
    current = translation.get_language()
    pages = alternates(request) if getattr(request, "resolver_match", None) else []
    urls = dict(pages)
    match = getattr(request, "resolver_match", None)
    keep_query = match is not None and match.view_name in QUERY_PAGES and request.GET
    return {
        # Where the switcher returns to: this page, with its query only where it is the content.
        "language_next": request.path + (f"?{request.GET.urlencode()}" if keep_query else ""),
        "canonical_url": urls.get(current, ""),
        "language_alternates": pages if len(pages) > 1 else [],
        "language_default_url": urls.get(settings.LANGUAGE_CODE, ""),
        "language_choices": [
            (code, get_language_info(code)["name_local"], code == current)
            for code, _name in settings.LANGUAGES
        ],
    }
