"""How to join a group, for its card and page: one primary action, its next meeting and event.

Nothing here queries the database or the network: the next meeting is computed from the stored
rule, and the next public event is shown only when the list that holds the group loaded it.
"""

from dataclasses import dataclass
from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory import meetings
from directory.slugs import slug_path

register = template.Library()


@dataclass(frozen=True)
class Action:
    """The one thing a newcomer should do first: where it goes and what the button says."""

    kind: str  # "signup", "contact", "website" or "page"
    url: str
    label: str
    external: bool


@register.simple_tag
def primary_action(org, on_page=False):
    """The sign-up link when there is one, else the contact form, else the website.

    On a card the last resort is the group's page; on the page itself there may be none.
    """
    if org.signup_url:
        return Action("signup", org.signup_url, _("Sign up"), True)
    if org.contact_email:
        # On the group's page the form is right there; a card goes to the form's own page.
        url = "#contact-title" if on_page else slug_path("referrals:contact", org.slug)
        return Action("contact", url, _("Write to the organizers"), False)
    if org.website:
        return Action("website", org.website, _("Visit the website"), True)
    if on_page:
        return None
    return Action("page", org.get_absolute_url(), _("How to join"), False)


@register.filter
def next_meeting(org):
    """The group's next regular meeting (a meetings.Meeting), or None without a rule."""
    return meetings.next_meeting(org)


@register.filter
def meeting_zone(org):
    """The time zone the group's times are shown in."""
    return meetings.meeting_zone(org)


@register.filter
def when_key(meeting, event):
    """What the next-meeting fragment shows of the meeting and the event, as one value of its
    cache key: read one by one, each attribute of a missing event cost a caught exception
    (with the rest, about 2 ms of a page of results)."""
    parts = [meeting.start.isoformat() if meeting else ""]
    if event:
        parts += [event.pk, event.start.isoformat(), event.all_day, event.summary]
    return "|".join(str(part) for part in parts)


@register.filter
def upcoming_event(org):
    """The next event from the group's own calendar, if loaded with the group and still ahead."""
    descriptor = type(org).next_event
    if not descriptor.related.is_cached(org):
        return None  # never a query per card: lists that show events prefetch them
    event = descriptor.related.get_cached_value(org)
    if event is None:
        return None
    # An all-day event (kept as midnight where the group is) stays "next" through its day.
    ends = event.start + timedelta(days=1) if event.all_day else event.start
    return event if ends > timezone.now() else None
