"""Template filters: distances in the reader's units, plain text made safe, and checkboxes."""

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.template.defaultfilters import linebreaksbr, urlize
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()
KM_PER_MILE = 1.609344


def _format(value):
    """One decimal under ten, whole numbers above; separators of the active language (1,5 km)."""
    if value < 10:
        return number_format(round(value, 1), decimal_pos=1, use_l10n=True)
    return number_format(round(value), decimal_pos=0, use_l10n=True, force_grouping=True)


def _reads_kilometres():
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return language in settings.DISTANCE_KM_LOCALES


@register.filter
def distance(miles):
    """ "3.2 mi" (or "5.1 km" where the locale reads kilometres); "" when unknown."""
    if miles is None:
        return ""
    if _reads_kilometres():
        return _("%(km)s km") % {"km": _format(miles * KM_PER_MILE)}
    return _("%(miles)s mi") % {"miles": _format(miles)}


@register.filter
def distance_alt(miles):
    """The same distance in the other unit, spelled out, for a title attribute."""
    if miles is None:
        return ""
    if _reads_kilometres():
        return _("%(miles)s miles") % {"miles": _format(miles)}
    return _("%(km)s kilometres") % {"km": _format(miles * KM_PER_MILE)}


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced: "?near=Oakland&cause=labor"."""
    query = context["request"].GET.copy()
    for name, value in changes.items():
        query[name] = value
    return "?" + query.urlencode()


@register.filter(is_safe=True, needs_autoescape=True)
def plaintext(value, autoescape=True):
    """User text as HTML: escaped, links made clickable (nofollow), line breaks kept."""
    return linebreaksbr(urlize(value, autoescape=autoescape), autoescape=autoescape)


@dataclass(frozen=True, slots=True)
class Checkbox:
    tag: str
    id_for_label: str
    choice_label: str


@register.filter
def checkboxes(field):
    """A checkbox field's choices as `{% for choice in field %}` gives them, with the same inputs,
    written without a template per box: the search form's two dozen boxes rendered by Django's
    form templates cost more than a page of results (tests/test_search_page.py compares the two)."""
    chosen = {str(value) for value in field.value() or ()}
    boxes = []
    for index, (value, label) in enumerate(field.field.choices):
        box_id = f"{field.auto_id}_{index}"
        # The attributes in the order Django's own rendering gives them.
        attrs = {**field.field.widget.attrs, **field.build_widget_attrs({"id": box_id})}
        if str(value) in chosen:
            attrs["checked"] = True
        tag = format_html(
            '<input type="checkbox" name="{}" value="{}"{}>',
            field.html_name,
            str(value),
            format_html_join(
                "",
                "{}",
                (
                    (format_html(" {}", name) if v is True else format_html(' {}="{}"', name, v),)
                    for name, v in attrs.items()
                    if v is not None and v is not False
                ),
            ),
        )
        boxes.append(Checkbox(tag, box_id, label))
    return boxes
