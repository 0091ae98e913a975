"""oEmbed discovery (`{% oembed_discovery %}` in a page's head); the links of a widget's cards."""

from urllib.parse import quote, urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html

from directory.slugs import slug_path

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


# Links from a widget's cards carry its snippet's ref (embed.stats), so that a group opened and
# a message sent are counted for the writer; without a ref they are the site's plain links.


@register.simple_tag(takes_context=True)
def group_url(context, org, near=""):
    """A card's link to a group's page; through the counting redirect in a widget with a ref."""
    ref = context.get("embed_ref")
    if ref:
        query = {"ref": ref, **({"near": near} if near else {})}
        return slug_path("embed:visit", org.slug) + "?" + urlencode(query)
    return org.get_absolute_url() + (f"?near={quote(near, safe='/')}" if near else "")


@register.simple_tag(takes_context=True)
def contact_url(context, org):
    """The contact form's address; from a widget it says so, with the snippet's ref if any."""
    url = slug_path("referrals:contact", org.slug)
    if not context.get("embed"):
        return url
    ref = context.get("embed_ref")
    return url + "?" + urlencode({"via": "widget", **({"ref": ref} if ref else {})})
