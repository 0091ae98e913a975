"""A widget's presets, read from query parameters: checked, cleaned, and never trusted further.

The search parameters are the site's own vocabulary (near, cause, q, radius, lang, coverage) and
go on to the same FilterSet as the search page. The presentation parameters (accent, theme,
layout, max, locale) are the widget's. `locale` is the language of the widget's own words; `lang`
stays the meeting-language filter. A preset that is not valid is dropped with a sentence saying
so; nothing here is ever rendered unescaped.
"""

import re
from dataclasses import dataclass, field
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import translation
from django.utils.translation import gettext as _

from directory.fields import MAX_CAUSES
from directory.filters import OrganizationSearch
from directory.models import Category

SEARCH_KEYS = ("near", "cause", "q", "radius", "lang", "coverage")
THEMES = ("light", "dark")
LAYOUTS = ("compact", "list", "map")
# A widget fits under a post: a few slim cards, and "See all" for the rest on the site.
DEFAULT_THEME, DEFAULT_LAYOUT = "light", "compact"
DEFAULT_MAX_RESULTS, MAX_RESULTS = 5, 50
MAX_TEXT = 200
SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")
HEX_COLOUR = re.compile(r"^#?(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
# A value quoted back in a notice is cut to this length (and escaped by the template).
QUOTE_LENGTH = 40


@dataclass
class Presets:
    """Clean presets: `search` feeds the FilterSet; the rest shapes the widget."""

    search: QueryDict = field(default_factory=QueryDict)
    causes: list = field(default_factory=list)  # Category objects, in the order given
    accent: str = ""  # "" or "#rrggbb"
    theme: str = DEFAULT_THEME
    layout: str = DEFAULT_LAYOUT
    max_results: int = DEFAULT_MAX_RESULTS
    locale: str = ""  # "" or a code from settings.LANGUAGES: the widget's interface language
    notices: list = field(default_factory=list)

    def display_items(self):
        """The presentation presets that differ from the defaults, as (key, value) pairs."""
        items = []
        if self.accent:
            items.append(("accent", self.accent[1:]))
        if self.theme != DEFAULT_THEME:
            items.append(("theme", self.theme))
        if self.layout != DEFAULT_LAYOUT:
            items.append(("layout", self.layout))
        if self.max_results != DEFAULT_MAX_RESULTS:
            items.append(("max", str(self.max_results)))
        if self.locale and self.locale != settings.LANGUAGE_CODE:
            items.append(("locale", self.locale))
        return items

    def search_items(self, exclude=()):
        """The search presets as (key, value) pairs, repeated keys kept."""
        return [
            (key, value)
            for key in SEARCH_KEYS
            if key not in exclude
            for value in self.search.getlist(key)
        ]

    def query(self, display=True):
        """The presets as a query string, the way the embed page reads them."""
        data = QueryDict(mutable=True)
        for key, value in self.search_items() + (self.display_items() if display else []):
            data.appendlist(key, value)
        return data.urlencode()


def quote(value):
    value = str(value)
    return value if len(value) <= QUOTE_LENGTH else value[: QUOTE_LENGTH - 1] + "…"


def _searchable(key, value):
    """Whether the search's own field for `key` (the FilterSet's) accepts `value`."""
    try:
        OrganizationSearch.base_filters[key].field.clean(value)
    except ValidationError:
        return False
    return True


def _split(values):
    """Repeated keys, and commas or spaces within a value, both separate items."""
    return [item for value in values for item in re.split(r"[\s,]+", value) if item]


def parse_presets(params, categories=None):
    """Read presets from a QueryDict; `categories` (all causes) saves a query when given."""
    presets = Presets(search=QueryDict(mutable=True))
    notices = presets.notices
    known = {c.slug: c for c in (Category.objects.all() if categories is None else categories)}

    for key in ("near", "q"):
        value = params.get(key, "").strip()
        if len(value) > MAX_TEXT:
            notices.append(_("A preset was too long and was ignored."))
        elif value and "\x00" not in value:
            presets.search[key] = value

    slugs = _split(params.getlist("cause"))
    for slug in list(dict.fromkeys(slugs))[:MAX_CAUSES]:
        if SLUG.match(slug) and slug in known:
            presets.causes.append(known[slug])
            presets.search.appendlist("cause", slug)
        else:
            notices.append(
                _("There is no cause called “%(value)s”; it was ignored.") % {"value": quote(slug)}
            )

    radius = params.get("radius", "").strip()
    if radius:
        # Digits only: the search's field would read "+5" or a superscript two as a number too.
        if radius.isdecimal() and radius.isascii() and _searchable("radius", radius):
            presets.search["radius"] = str(int(radius))
        else:
            notices.append(
                _("The radius “%(value)s” is not a number of miles from 1 to %(max)s; ignored.")
                % {"value": quote(radius), "max": settings.SEARCH_MAX_RADIUS}
            )

    lang = params.get("lang", "").strip()
    if lang:
        if _searchable("lang", lang):
            presets.search["lang"] = lang
        else:
            notices.append(
                _("There is no meeting language “%(value)s”; it was ignored.")
                % {"value": quote(lang)}
            )

    for kind in dict.fromkeys(_split(params.getlist("coverage"))):
        if _searchable("coverage", [kind]):
            presets.search.appendlist("coverage", kind)
        else:
            notices.append(
                _("There is no kind of group “%(value)s”; it was ignored.") % {"value": quote(kind)}
            )

    accent = params.get("accent", "").strip()
    if accent:
        if HEX_COLOUR.match(accent):
            presets.accent = normalise_hex(accent)
        else:
            notices.append(
                _("The colour “%(value)s” is not a hex colour like #2f4ac0; the default is used.")
                % {"value": quote(accent)}
            )

    presets.theme = _choice(params, "theme", THEMES, DEFAULT_THEME, notices)
    presets.layout = _choice(params, "layout", LAYOUTS, DEFAULT_LAYOUT, notices)

    max_results = params.get("max", "").strip()
    if max_results:
        if (
            max_results.isdecimal()
            and max_results.isascii()
            and len(max_results) <= 3
            and 1 <= int(max_results) <= MAX_RESULTS
        ):
            presets.max_results = int(max_results)
        else:
            notices.append(
                _("The number of results must be from 1 to %(max)s; %(default)s are shown.")
                % {"max": MAX_RESULTS, "default": DEFAULT_MAX_RESULTS}
            )

    locale = params.get("locale", "").strip()
    if locale:
        if interface_language(params):
            presets.locale = locale
        else:
            notices.append(
                _("There is no interface language “%(value)s”; it was ignored.")
                % {"value": quote(locale)}
            )
    return presets


def interface_language(params):
    """The `locale` preset when it names one of the site's languages, else None."""
    locale = params.get("locale", "").strip()
    return locale if locale in dict(settings.LANGUAGES) else None


def speaks_locale_preset(view):
    """Run an embed view in the language its `locale` preset asks for (else its URL's)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        language = interface_language(request.GET) or translation.get_language()
        with translation.override(language):
            response = view(request, *args, **kwargs)
        response["Content-Language"] = language
        return response

    return wrapped


def _choice(params, key, choices, default, notices):
    value = params.get(key, "").strip()
    if not value:
        return default
    if value in choices:
        return value
    notices.append(
        _("“%(value)s” is not one of %(choices)s; %(default)s is used.")
        % {"value": quote(value), "choices": ", ".join(choices), "default": default}
    )
    return default


def normalise_hex(value):
    value = value.lstrip("#").lower()
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    return "#" + value


# Colour arithmetic for the accent stylesheet: WCAG contrast, so the writer's colour never makes
# text unreadable. Text on the accent is white or near-black, whichever reads better; links take
# the accent darkened (or, on the dark theme, lightened) until they reach 4.5:1.
LIGHT_PAPER, DARK_PAPER = "#ffffff", "#151a24"
DARK_INK = "#111111"
MIN_CONTRAST = 4.5


def _rgb(colour):
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _hex(rgb):
    return "#" + "".join(f"{round(c):02x}" for c in rgb)


def luminance(colour):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(colour, other, amount):
    """`colour` moved `amount` (0 to 1) of the way towards `other`."""
    return _hex(a + (b - a) * amount for a, b in zip(_rgb(colour), _rgb(other), strict=True))


def readable_on(paper, colour, towards):
    """`colour`, moved towards `towards` in steps until it reads on `paper`."""
    for step in range(11):
        candidate = mix(colour, towards, step / 10)
        if contrast(candidate, paper) >= MIN_CONTRAST:
            return candidate
    return towards


def accent_palette(accent):
    """CSS custom properties for an accent colour, for the light and the dark theme."""
    ink = "#ffffff" if contrast(accent, "#ffffff") >= contrast(accent, DARK_INK) else DARK_INK
    return {
        "brand": accent,
        "brand_dark": mix(accent, "#000000", 0.2),
        "brand_ink": ink,
        "link": readable_on(LIGHT_PAPER, accent, "#000000"),
        "link_dark": readable_on(DARK_PAPER, accent, "#ffffff"),
    }
