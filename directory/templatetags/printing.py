"""`{% page_qr %}`: a QR code of the page's address, drawn on the server as an inline SVG.

The printed referral sheet carries it, so a reader with a phone can open the page from paper. It
is one path of dark runs in a 1-unit grid (about 2 KB for a group's address), with no style
attribute for the content security policy to refuse; the colours come from the stylesheet.
"""

from functools import lru_cache

import qrcode
from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()
QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks


def qr_matrix(text):
    """The QR code of `text` as rows of booleans (True is a dark module), quiet zone included."""
    code = qrcode.QRCode(border=QUIET_ZONE, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


@lru_cache(maxsize=512)
def qr_path(text):
    """The code's size in modules and an SVG path of its dark modules, one rectangle per run."""
    matrix = qr_matrix(text)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return len(matrix), "".join(runs)


@register.simple_tag(takes_context=True)
def page_qr(context):
    """This page's address as a QR code (an inline SVG) over the address written out; the page's
    canonical address where it has one, so the query a reader came with is left out."""
    request = context["request"]
    url = context.get("canonical_url") or request.build_absolute_uri(request.path)
    size, path = qr_path(url)
    return format_html(
        '<figure class="print-only print-qr"><svg class="qr" viewBox="0 0 {size} {size}" '
        'role="img" aria-label="{label}" shape-rendering="crispEdges" '
        'xmlns="http://www.w3.org/2000/svg"><rect class="qr__paper" width="{size}" '
        'height="{size}"/><path class="qr__ink" d="{path}"/></svg>'
        '<figcaption translate="no">{url}</figcaption></figure>',
        size=size,
        path=path,
        url=url,
        label=_("QR code of this page's address"),
    )
