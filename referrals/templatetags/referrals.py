"""The contact panel a group's page shows: the form and the "usually replies" badge."""

from django import template

from referrals.forms import ContactForm
from referrals.queries import responsiveness_of

register = template.Library()


@register.inclusion_tag("referrals/includes/panel.html", takes_context=True)
def contact_panel(context, org):
    """An empty contact form for `org` (with a fresh signed token) and its badge; one query."""
    return {
        "org": org,
        "form": ContactForm(organization=org),
        "replies": responsiveness_of(org),
        "request": context.get("request"),
    }
