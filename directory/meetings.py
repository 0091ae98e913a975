"""A group's regular meeting as a rule: its next date in its own time zone, and as iCalendar.

The rule is the iCalendar one the entry stores (`meeting_frequency`, `meeting_byday` such as TU,
2TH or -1SA, `meeting_time`), read by dateutil's rrule. Dates are worked out in the group's wall
clock and only then given their zone, so a 6 pm meeting stays at 6 pm across daylight saving.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule
from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vRecur

MEETING_LENGTH = timedelta(hours=1, minutes=30)  # calendars need an end; rules carry none
WEEKDAYS = {
    "MO": rrule.MO,
    "TU": rrule.TU,
    "WE": rrule.WE,
    "TH": rrule.TH,
    "FR": rrule.FR,
    "SA": rrule.SA,
    "SU": rrule.SU,
}
FREQUENCIES = {"WEEKLY": rrule.WEEKLY, "MONTHLY": rrule.MONTHLY}

# Each state's time zone; where a state spans two, the one most of its people live in.
STATE_TIMEZONES = {
    "AL": "America/Chicago",
    "AK": "America/Anchorage",
    "AZ": "America/Phoenix",
    "AR": "America/Chicago",
    "CA": "America/Los_Angeles",
    "CO": "America/Denver",
    "CT": "America/New_York",
    "DE": "America/New_York",
    "DC": "America/New_York",
    "FL": "America/New_York",
    "GA": "America/New_York",
    "HI": "Pacific/Honolulu",
    "ID": "America/Boise",
    "IL": "America/Chicago",
    "IN": "America/Indiana/Indianapolis",
    "IA": "America/Chicago",
    "KS": "America/Chicago",
    "KY": "America/New_York",
    "LA": "America/Chicago",
    "ME": "America/New_York",
    "MD": "America/New_York",
    "MA": "America/New_York",
    "MI": "America/Detroit",
    "MN": "America/Chicago",
    "MS": "America/Chicago",
    "MO": "America/Chicago",
    "MT": "America/Denver",
    "NE": "America/Chicago",
    "NV": "America/Los_Angeles",
    "NH": "America/New_York",
    "NJ": "America/New_York",
    "NM": "America/Denver",
    "NY": "America/New_York",
    "NC": "America/New_York",
    "ND": "America/Chicago",
    "OH": "America/New_York",
    "OK": "America/Chicago",
    "OR": "America/Los_Angeles",
    "PA": "America/New_York",
    "RI": "America/New_York",
    "SC": "America/New_York",
    "SD": "America/Chicago",
    "TN": "America/Chicago",
    "TX": "America/Chicago",
    "UT": "America/Denver",
    "VT": "America/New_York",
    "VA": "America/New_York",
    "WA": "America/Los_Angeles",
    "WV": "America/New_York",
    "WI": "America/Chicago",
    "WY": "America/Denver",
    "PR": "America/Puerto_Rico",
    "GU": "Pacific/Guam",
    "VI": "America/St_Thomas",
    "AS": "Pacific/Pago_Pago",
    "MP": "Pacific/Saipan",
}


@dataclass(frozen=True)
class Meeting:
    """One coming meeting: when it starts (aware, in the group's zone) and that zone."""

    start: datetime
    zone: ZoneInfo

    @property
    def end(self):
        return self.start + MEETING_LENGTH


def meeting_zone(org):
    """The zone the group's meeting time is in: its own, else its state's, else the site's."""
    for name in (
        org.meeting_timezone,
        STATE_TIMEZONES.get(org.state.upper()) if org.country == "US" else "",
    ):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue  # a mistyped zone falls back rather than hiding the meeting
    return ZoneInfo(settings.TIME_ZONE)


def parse_byday(text):
    """BYDAY text ("TU", "2TH,4TH", "-1SA") as dateutil weekdays; empty for anything else."""
    days = []
    for part in (text or "").upper().replace(" ", "").split(","):
        code, ordinal = part[-2:], part[:-2]
        if code not in WEEKDAYS or ordinal not in ("", "-1", "1", "2", "3", "4", "5"):
            return []
        days.append(WEEKDAYS[code](int(ordinal)) if ordinal else WEEKDAYS[code])
    return days


def has_rule(org):
    """Whether the entry's structured rule is complete enough to compute meetings from."""
    return bool(
        org.meeting_frequency in FREQUENCIES
        and parse_byday(org.meeting_byday)
        and org.meeting_time is not None
    )


# (pk, version, rule) -> (when it was computed, the meeting): the next meeting after a moment is
# still the next one at any later moment before it starts, so a list of cards reuses the rule's
# answer until then instead of running the rule for every card of every page. Bounded (emptied
# when full); entries are never changed, only replaced, so threads at worst compute one twice.
_known = {}
KNOWN_MAX = 20_000


def next_meeting(org, after=None):
    """The first meeting starting after `after` (default now), or None without a rule."""
    if not has_rule(org):
        return None
    if after is not None or org.pk is None:
        return _next_meeting(org, after or timezone.now())
    key = (
        org.pk,
        org.version,
        org.meeting_frequency,
        org.meeting_byday,
        org.meeting_time,
        org.meeting_timezone,
        org.state,
        org.country,
    )
    now = timezone.now()
    known = _known.get(key)
    if known and known[0] <= now < known[1].start:
        return known[1]
    meeting = _next_meeting(org, now)
    if meeting is not None:
        if len(_known) >= KNOWN_MAX:
            _known.clear()
        _known[key] = (now, meeting)
    return meeting


def _next_meeting(org, after):
    zone = meeting_zone(org)
    now = after.astimezone(zone).replace(tzinfo=None)
    # The rule runs on the group's wall clock from the start of last month, so that any
    # "n-th weekday of the month" is counted from a month's first day.
    start = datetime.combine(now.date().replace(day=1) - timedelta(days=31), org.meeting_time)
    rule = rrule.rrule(
        FREQUENCIES[org.meeting_frequency],
        dtstart=start.replace(day=1),
        byweekday=parse_byday(org.meeting_byday),
        byhour=org.meeting_time.hour,
        byminute=org.meeting_time.minute,
        bysecond=0,
    )
    found = rule.after(now)
    if found is None:
        return None
    return Meeting(start=found.replace(tzinfo=zone), zone=zone)


def rrule_value(org):
    """The entry's rule as an iCalendar RRULE value (a vRecur)."""
    return vRecur(
        {"FREQ": org.meeting_frequency, "BYDAY": org.meeting_byday.upper().replace(" ", "")}
    )


def _calendar(org, name):
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.SITE_NAME}//meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(org, meeting, page_url, uid_suffix):
    event = Event()
    event.add("uid", f"meeting-{org.pk}-{uid_suffix}@{urlsplit(settings.SITE_URL).hostname}")
    event.add("dtstamp", org.updated or timezone.now())
    event.add("summary", org.name)
    event.add("dtstart", meeting.start)
    event.add("dtend", meeting.end)
    event.add("url", page_url)
    lines = [text for text in (org.meeting_schedule, org.first_step, page_url) if text]
    event.add("description", "\n\n".join(lines))
    # Only what the public page shows: a street address only when it is public, and never for a
    # sensitive group (city level).
    public_address = org.address and org.address_public and not org.sensitive
    location = ", ".join(filter(None, [org.address if public_address else "", org.place_label]))
    if location:
        event.add("location", location)
    return event


def next_meeting_ics(org, page_url, after=None):
    """The next meeting as a one-event calendar file ("Add to calendar"), or None."""
    meeting = next_meeting(org, after)
    if meeting is None:
        return None
    calendar = _calendar(org, org.name)
    calendar.add_component(_event(org, meeting, page_url, meeting.start.strftime("%Y%m%d")))
    # The zone's rules from a year before the first meeting on: short, and enough for any app.
    calendar.add_missing_timezones(first_date=(meeting.start - timedelta(days=366)).date())
    return calendar.to_ical()


def meetings_feed_ics(org, page_url, after=None):
    """The group's meetings as a recurring event (RRULE) to subscribe to, or None."""
    meeting = next_meeting(org, after)
    if meeting is None:
        return None
    calendar = _calendar(org, org.name)
    event = _event(org, meeting, page_url, "series")
    event.add("rrule", rrule_value(org))
    calendar.add_component(event)
    # The zone's rules from a year before the first meeting on: short, and enough for any app.
    calendar.add_missing_timezones(first_date=(meeting.start - timedelta(days=366)).date())
    return calendar.to_ical()
