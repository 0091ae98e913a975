"""The widget's frame, its script, the accent stylesheet, the builder for writers, and oEmbed.

The frame runs the site's own search (the same FilterSet, the same result card); only the frame
may be framed by other sites (embed.framing). No view here sets a cookie.
"""

import dataclasses
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse, JsonResponse, QueryDict
from django.http.request import split_domain_port, validate_host
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import (
    get_language,
    get_language_from_path,
    get_language_info,
    gettext_lazy,
    override,
)
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import etag, require_safe

from directory import caching, reach
from directory.filters import OrganizationSearch
from directory.geocoding import PlaceNotFound, geocode
from directory.maps import map_config
from directory.models import MEETING_LANGUAGES, Category, Organization
from embed import snippets, stats
from embed.framing import frameable
from embed.presets import (
    HEX_COLOUR,
    MAX_RESULTS,
    MAX_TEXT,
    SEARCH_KEYS,
    accent_palette,
    normalise_hex,
    parse_presets,
)
from orgsite.jsonedge import open_to_any_origin

WIDGET_MAX_AGE = 3600  # the unversioned /widget.js: what old snippets load
VERSIONED_MAX_AGE = 31536000  # /widget.<hash>.js never changes
FRAME_MAX_AGE = 300
OEMBED_MAX_URL = 2000
# Marks a search a reader made in the frame (its form carries it), as against the writer's
# presets shown when the widget loads: only the former is counted for the snippet's ref.
READER_KEY = "reader"


class Shown:
    """A search outcome cut to the widget's number of results; counts stay those of the search."""

    def __init__(self, outcome, limit):
        self._outcome = outcome
        self.blocks, left = [], limit
        for block in outcome.blocks:
            if left <= 0:
                break
            results = block.results[:left]
            self.blocks.append(dataclasses.replace(block, results=results))
            left -= len(results)
        self.results = [result for block in self.blocks for result in block.results]

    def __getattr__(self, name):
        return getattr(self._outcome, name)


@frameable
@require_safe
def frame(request):
    """The widget itself: a compact search, cause chips, results, and the way to the full site."""
    categories = list(Category.objects.all())
    presets = parse_presets(request.GET, categories)
    ref = stats.clean_ref(request.GET.get("ref"))
    counted = bool(ref) and request.GET.get(READER_KEY) == "1"
    tracking = [("ref", ref), (READER_KEY, "1")] if ref else []
    search = OrganizationSearch(presets.search or None, queryset=Organization.objects.published())
    window = (0, presets.max_results)  # the widget reads only the rows it shows
    outcome = search.outcome(window=window) if search.is_valid() else None
    far = reach.far_from_everyone(outcome)
    if far:
        # As on the site: the groups joinable from anywhere first. The window runs over the
        # blocks in search order and would miss them, so read each block as deep as the widget
        # shows (the same limit the window sets), then reorder.
        limit = min(presets.max_results, settings.SEARCH_BLOCK_MAX)
        outcome = reach.joinable_first(search.outcome(limit=limit))
    shown = Shown(outcome, presets.max_results) if outcome else None
    if counted:
        stats.count_search(ref, outcome)
    chosen = set(presets.search.getlist("cause"))
    suggestions = [
        (place.label, "?" + _with(presets, near=place.label, **dict(tracking)))
        for place in getattr(search.form, "place_suggestions", ())
    ]
    response = render(
        request,
        "embed/frame.html",
        {
            "embed": True,
            "presets": presets,
            "search": search,
            "outcome": shown,
            "far": far,
            "causes": [(c, c.slug in chosen) for c in categories],
            "chosen_causes": [c for c in categories if c.slug in chosen],
            "hidden": presets.search_items(exclude=("near", "cause"))
            + presets.display_items()
            + tracking,
            "embed_ref": ref,
            "suggestions": suggestions,
            "more_url": snippets.search_url(request, presets) if outcome else "",
            "map": map_config(shown.results) if shown and presets.layout == "map" else None,
        },
    )
    if counted:
        # A counted search must reach the site each time: no shared cache may answer it.
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, public=True, max_age=FRAME_MAX_AGE)
    return response


@never_cache
@require_safe
def visit(request, slug):
    """A group opened from a widget: counted for the widget's snippet, then the group's page."""
    org = get_object_or_404(Organization.objects.published(), slug=slug)
    stats.count(request.GET.get("ref"), "views")
    near = request.GET.get("near", "").strip()
    query = f"?{urlencode({'near': near})}" if near and len(near) <= MAX_TEXT else ""
    return redirect(org.get_absolute_url() + query)


@never_cache
@require_safe
def stats_page(request, token):
    """A writer's private page: what their widget did, and where readers found no local group."""
    ref = stats.ref_from_token(token)
    if not ref:
        response = render(request, "embed/stats_invalid.html", status=404)
    else:
        days = stats.PERIODS[-1] if request.GET.get("days") == str(stats.PERIODS[-1]) else 30
        response = render(
            request,
            "embed/stats.html",
            {
                "ref": ref,
                "days": days,
                "periods": stats.PERIODS,
                "report": stats.report(ref, days),
                "builder_url": reverse("embed:builder") + "?" + urlencode({"stats": token}),
            },
        )
    # The token is the page's key: keep it out of indexes, caches and other sites' logs.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _with(presets, **changes):
    data = QueryDict(presets.query(), mutable=True)
    for key, value in changes.items():
        data[key] = value
    return data.urlencode()


@require_safe
@cache_control(public=True, max_age=86400)
def accent(request):
    """`:root` custom properties for one accent colour: a stylesheet, so no inline style."""
    colour = request.GET.get("c", "")
    if not HEX_COLOUR.match(colour):
        return HttpResponse(
            "/* not a hex colour */", status=400, content_type="text/css; charset=utf-8"
        )
    p = accent_palette(normalise_hex(colour))
    css = (
        f":root{{--brand:{p['brand']};--brand-dark:{p['brand_dark']};"
        f"--brand-ink:{p['brand_ink']};--link:{p['link']}}}\n"
        f".theme-dark{{--link:{p['link_dark']}}}\n"
    )
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _widget_etag(request, version=None):
    return snippets.widget_source()[1]


@require_safe
@etag(_widget_etag)
def widget(request, version=None):
    """widget.js. Versioned (/widget.<hash>.js, what the builder hands out): cached for a year.
    Unversioned, or a version that is not the current one: the current file, cached an hour."""
    body, current = snippets.widget_source()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    if version == current:
        response["Cache-Control"] = f"public, max-age={VERSIONED_MAX_AGE}, immutable"
    else:
        response["Cache-Control"] = f"public, max-age={WIDGET_MAX_AGE}"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return open_to_any_origin(response)


class BuilderForm(forms.Form):
    cause = forms.MultipleChoiceField(
        label=gettext_lazy("Causes"), required=False, widget=forms.CheckboxSelectMultiple
    )
    near = forms.CharField(
        label=gettext_lazy("Place"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("A ZIP code or a city. Leave empty to let readers type theirs."),
    )
    radius = forms.IntegerField(
        label=gettext_lazy("Within (miles)"),
        required=False,
        min_value=1,
        max_value=settings.SEARCH_MAX_RADIUS,
        widget=forms.NumberInput(attrs={"placeholder": settings.SEARCH_DEFAULT_RADIUS}),
    )
    lang = forms.ChoiceField(label=gettext_lazy("Meeting language"), required=False)
    locale = forms.ChoiceField(
        label=gettext_lazy("Widget language"),
        help_text=gettext_lazy("The language of the widget's buttons and labels."),
    )
    accent = forms.CharField(
        label=gettext_lazy("Colour"),
        required=False,
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    theme = forms.ChoiceField(
        label=gettext_lazy("Background"),
        choices=[("light", gettext_lazy("Light")), ("dark", gettext_lazy("Dark"))],
        widget=forms.RadioSelect,
    )
    layout = forms.ChoiceField(
        label=gettext_lazy("Layout"),
        choices=[
            ("compact", gettext_lazy("Compact")),
            ("list", gettext_lazy("List")),
            ("map", gettext_lazy("List and map")),
        ],
        widget=forms.RadioSelect,
    )
    max = forms.IntegerField(
        label=gettext_lazy("Results shown"), min_value=1, max_value=MAX_RESULTS
    )

    def __init__(self, categories, **kwargs):
        super().__init__(**kwargs)
        self.fields["cause"].choices = [(c.slug, c.name) for c in categories]
        self.fields["lang"].choices = [("", _("Any language")), *MEETING_LANGUAGES]
        self.fields["locale"].choices = [
            (code, get_language_info(code)["name_translated"]) for code, _name in settings.LANGUAGES
        ]


DEFAULT_ACCENT = "#2f4ac0"  # the site's own brand colour: no accent preset


def sample_place():
    """The builder's example search: the ZIP code with the most local groups, or ""."""

    def compute():
        return (
            Organization.objects.published()
            .filter(country="US", coverage__in=["local", "regional"], postal_code__regex=r"^\d{5}$")
            .values("postal_code")
            .annotate(groups=Count("pk"))
            .order_by("-groups", "postal_code")
            .values_list("postal_code", flat=True)
            .first()
            or ""
        )

    return caching.cached(("embed:sample-place",), compute)


@never_cache
@require_safe
def builder(request):
    """For writers: choose presets, see the widget live, copy a snippet. A site page, not framed.

    Each builder hands out a ref for its snippets and a private link to their counts; the form
    carries the link's token (not the public ref), so only the writer who has it keeps the ref.
    """
    categories = list(Category.objects.all())
    token = request.GET.get("stats", "")
    ref = stats.ref_from_token(token)
    if not ref:
        ref = stats.issue_ref()
        token = stats.stats_token(ref)
    params = request.GET.copy()
    if params.get("accent", "").lower() in (DEFAULT_ACCENT, DEFAULT_ACCENT[1:]):
        del params["accent"]
    presets = parse_presets(params, categories)
    # A writer's widget speaks the builder's language unless they choose another.
    presets.locale = presets.locale or get_language()
    form = BuilderForm(
        categories,
        initial={
            "cause": presets.search.getlist("cause"),
            "near": presets.search.get("near", ""),
            "radius": presets.search.get("radius", ""),
            "lang": presets.search.get("lang", ""),
            "accent": presets.accent or DEFAULT_ACCENT,
            "theme": presets.theme,
            "layout": presets.layout,
            "max": presets.max_results,
            "locale": presets.locale,
        },
    )
    # Before the writer names a place, the preview shows an example search (never the snippet).
    sample = "" if presets.search.get("near") else sample_place()
    preview = presets
    if sample:
        preview = dataclasses.replace(presets, search=presets.search.copy())
        preview.search["near"] = sample
    return render(
        request,
        "embed/builder.html",
        {
            "form": form,
            "presets": presets,
            "snippets": snippets.snippets(request, presets, ref=ref),
            "stats_token": token,
            "stats_url": request.build_absolute_uri(
                reverse("embed:stats", kwargs={"token": token})
            ),
            "sample_place": sample,
            # The preview counts nothing: it carries no ref.
            "widget_attributes": snippets.widget_attributes(preview),
            "preview_iframe": snippets.iframe(
                snippets.frame_url(request, preview), presets=preview
            ),
            "widget_url": reverse(
                "embed:widget_versioned", kwargs={"version": snippets.widget_source()[1]}
            ),
        },
    )


class OEmbedError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


@require_safe
@cache_control(public=True, max_age=86400)
def oembed(request):
    """oEmbed (https://oembed.com/): a `rich` iframe for a search, cause or widget URL of ours."""
    try:
        if request.GET.get("format", "json") != "json":
            raise OEmbedError(501, _("Only format=json is supported."))
        width = _dimension(request, "maxwidth", snippets.FRAME_WIDTH)
        height = _dimension(request, "maxheight", snippets.FRAME_HEIGHT)
        presets, title = _presets_for(request, request.GET.get("url", ""))
    except OEmbedError as error:
        response = JsonResponse({"error": error.message}, status=error.status)
    else:
        response = JsonResponse(
            {
                "version": "1.0",
                "type": "rich",
                "title": title,
                "provider_name": settings.SITE_NAME,
                "provider_url": request.build_absolute_uri("/"),
                "html": snippets.iframe(
                    snippets.frame_url(request, presets), width, height, presets=presets
                ),
                "width": width,
                "height": height,
                "cache_age": 86400,
            }
        )
    return open_to_any_origin(response)


def _dimension(request, name, default):
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdecimal()) or int(raw[:12]) < 1:
        raise OEmbedError(400, _("%(name)s must be a whole number of pixels.") % {"name": name})
    # A huge maximum is no constraint at all.
    return min(default, int(raw[:12]))


def _presets_for(request, url):
    """The widget presets for a page URL of this site, and a title for it."""
    if not url:
        raise OEmbedError(400, _("Give the url of a search, cause or widget page of this site."))
    not_ours = OEmbedError(404, _("That URL is not a search, cause or widget page of this site."))
    if len(url) > OEMBED_MAX_URL:
        raise not_ours
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[::1/": not a URL at all, so not one of ours
        raise not_ours from None
    if parts.scheme not in ("http", "https") or not _is_our_host(request, parts.netloc):
        raise not_ours
    # /es/search/ is the Spanish search page: resolve it in its own language, and embed it so.
    language = get_language_from_path(parts.path or "/")
    try:
        with override(language or settings.LANGUAGE_CODE):
            match = resolve(parts.path or "/")
    except Resolver404:
        raise not_ours from None
    query = QueryDict(parts.query)
    categories = list(Category.objects.all())
    if match.view_name == "embed:frame":
        presets = parse_presets(query, categories)
    elif match.view_name in ("directory:search", "directory:home"):
        search_only = QueryDict(mutable=True)
        for key in SEARCH_KEYS:
            search_only.setlist(key, query.getlist(key))
        presets = parse_presets(search_only, categories)
    elif match.view_name == "directory:category":
        if not any(c.slug == match.kwargs["slug"] for c in categories):
            raise not_ours
        presets = parse_presets(QueryDict(f"cause={match.kwargs['slug']}"), categories)
    else:
        raise not_ours
    if language and not presets.locale:
        presets.locale = language
    with override(presets.locale or get_language()):
        return presets, _title(presets)


def _is_our_host(request, netloc):
    host, port = split_domain_port(netloc.lower())
    if not host:
        return False
    ours = request.get_host().lower()
    if netloc.lower() == ours or host == split_domain_port(ours)[0] and not port:
        return True
    return validate_host(host, [h for h in settings.ALLOWED_HOSTS if h != "*"])


def _title(presets):
    """Built from what the site knows (cause names, the geocoder's label), never from raw text."""
    names = ", ".join(c.name for c in presets.causes)
    place = None
    if presets.search.get("near"):
        try:
            place = geocode(presets.search["near"]).label
        except PlaceNotFound:
            place = None
    if names and place:
        return _("%(causes)s groups near %(place)s") % {"causes": names, "place": place}
    if names:
        return _("%(causes)s groups") % {"causes": names}
    if place:
        return _("Groups near %(place)s") % {"place": place}
    return _("Find local groups to join")
