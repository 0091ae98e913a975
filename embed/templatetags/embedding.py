"""oEmbed discovery: `{% oembed_discovery %}` in a page's head names the endpoint for that page."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def oembed_discovery(context):
    request = context.get("request")
    if request is None:
        return ""
    page = request.build_absolute_uri(request.get_full_path())
    endpoint = request.build_absolute_uri(reverse("embed:oembed"))
    return format_html(
        '<link rel="alternate" type="application/json+oembed" href="{}?{}">',
        endpoint,
        urlencode({"url": page, "format": "json"}),
    )
