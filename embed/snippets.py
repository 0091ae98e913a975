"""What a writer pastes: the script snippet, the plain iframe, the plain link; and the iframe
that oEmbed hands to platforms. Every value goes through format_html, so it is escaped."""

import hashlib
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

WIDGET_FILE = Path(__file__).resolve().parent / "static" / "embed" / "widget.js"
# The iframe's sandbox: scripts and forms for the search, popups (escaping the sandbox) for links
# that open the site in a new tab; same-origin so the frame keeps the site's origin. No top
# navigation, no downloads, no modals.
SANDBOX = "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox allow-forms"
FRAME_WIDTH, FRAME_HEIGHT = 600, 600
# Preset key -> data attribute of the widget element (multi-valued keys are joined by commas).
WIDGET_ATTRIBUTES = {
    "cause": "data-cause",
    "near": "data-near",
    "radius": "data-radius",
    "lang": "data-lang",
    "q": "data-q",
    "coverage": "data-coverage",
    "accent": "data-accent",
    "theme": "data-theme",
    "layout": "data-layout",
    "max": "data-max",
    "locale": "data-locale",
}
# The snippet's ref (embed.stats) follows the presets as data-ref.


def widget_source():
    """widget.js as bytes, and a short hash of them that versions its URL."""
    stat = WIDGET_FILE.stat()
    return _widget_source(stat.st_mtime_ns, stat.st_size)


@cache
def _widget_source(mtime, size):
    body = WIDGET_FILE.read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:12]


def _unprefixed(name, **kwargs):
    # The widget's addresses are the same in every language: its `locale` preset says which.
    with translation.override(settings.LANGUAGE_CODE):
        return reverse(name, **kwargs)


def widget_url(request):
    return request.build_absolute_uri(
        _unprefixed("embed:widget_versioned", kwargs={"version": widget_source()[1]})
    )


def frame_url(request, presets, ref=""):
    query = presets.query()
    if ref:  # last, so a snippet's ref never changes how the rest of its address reads
        query += ("&" if query else "") + urlencode({"ref": ref})
    return request.build_absolute_uri(_unprefixed("embed:frame")) + (f"?{query}" if query else "")


def search_url(request, presets):
    """The same search on the site, in the widget's language."""
    query = presets.query(display=False)
    with translation.override(presets.locale or translation.get_language()):
        path = reverse("directory:search")
    return request.build_absolute_uri(path) + (f"?{query}" if query else "")


def frame_title():
    return _("Local groups to join, from %(site)s") % {"site": settings.SITE_NAME}


def iframe(src, width="100%", height=FRAME_HEIGHT, presets=None):
    with translation.override((presets and presets.locale) or translation.get_language()):
        title = frame_title()
    return format_html(
        '<iframe src="{}" title="{}" width="{}" height="{}" loading="lazy" sandbox="{}"></iframe>',
        src,
        title,
        width,
        height,
        SANDBOX,
    )


def widget_attributes(presets, ref=""):
    values = {}
    for key, value in presets.search_items() + presets.display_items():
        values.setdefault(key, []).append(value)
    attributes = [
        (attribute, ",".join(values[key]))
        for key, attribute in WIDGET_ATTRIBUTES.items()
        if key in values
    ]
    return attributes + ([("data-ref", ref)] if ref else [])


def script_snippet(request, presets, ref=""):
    """The div the script fills, the script, and an iframe for readers without JavaScript."""
    attributes = widget_attributes(presets, ref)
    if presets.locale and presets.locale != settings.LANGUAGE_CODE:
        # The script names the frame it makes; in the widget's language, not the script's.
        with translation.override(presets.locale):
            attributes.append(("data-title", frame_title()))
    return format_html(
        '<div data-orgsite-widget{}></div>\n<script async src="{}"></script>\n'
        "<noscript>{}</noscript>",
        format_html_join("", ' {}="{}"', attributes),
        widget_url(request),
        iframe(frame_url(request, presets, ref), presets=presets),
    )


def snippets(request, presets, ref=""):
    """The three snippets; `ref` (from the builder) names them in the widget's counts."""
    return {
        "script": script_snippet(request, presets, ref),
        "iframe": iframe(frame_url(request, presets, ref), presets=presets),
        "link": search_url(request, presets),
    }
