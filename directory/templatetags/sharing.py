"""`{% organization_json_ld org %}`: a group's schema.org description, as a JSON-LD data block.

A data block (type="application/ld+json") is never run as a script, so the content security
policy's script-src does not apply to it. Its JSON is escaped like json_script's, so no text a
group or curator typed can end the element."""

import json

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from directory.share import organization_json_ld

register = template.Library()

_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag(takes_context=True, name="organization_json_ld")
def organization_json_ld_tag(context, org):
    request = context["request"]
    data = json.dumps(organization_json_ld(request, org), ensure_ascii=False)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(data.translate(_ESCAPES)),  # noqa: S308
    )
