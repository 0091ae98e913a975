"""The next meeting from a group's rule, its calendar files, and the one way to join on a card."""

from datetime import UTC, datetime, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import get_template
from icalendar import Calendar

from curation.models import NextEvent
from directory import meetings
from directory.models import Organization
from directory.templatetags.joining import when_key
from tests.factories import make_org

LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")


def group(**fields):
    """An unsaved group with a meeting rule (first Thursday, 6 pm, in California)."""
    defaults = {
        "name": "Rule group",
        "slug": "rule-group",
        "state": "CA",
        "country": "US",
        "meeting_frequency": "MONTHLY",
        "meeting_byday": "1TH",
        "meeting_time": time(18, 0),
    }
    return Organization(**{**defaults, **fields})


def at(*args, zone=UTC):
    return datetime(*args, tzinfo=zone)


def test_a_cards_next_meeting_is_reused_until_it_starts_and_never_after(monkeypatch):
    """The rule runs once per group until its next meeting starts; then, or if the clock goes
    back, or once the entry is edited, it runs again and gives the right meeting."""
    org = group(pk=987, version=1)  # first Thursday, 6 pm in California
    runs = []
    real = meetings._next_meeting
    monkeypatch.setattr(meetings, "_next_meeting", lambda o, a: runs.append(a) or real(o, a))
    clock = [at(2026, 12, 1, 12)]
    monkeypatch.setattr(meetings.timezone, "now", lambda: clock[0])
    first = meetings.next_meeting(org)
    assert first.start == at(2026, 12, 3, 18, zone=LA)
    clock[0] = at(2026, 12, 3, 12)
    assert meetings.next_meeting(org) == first and len(runs) == 1
    clock[0] = at(2026, 12, 4, 3)  # 7 pm on the 3rd in California: it has started
    assert meetings.next_meeting(org).start == at(2027, 1, 7, 18, zone=LA)
    clock[0] = at(2026, 11, 2, 12)  # the clock went back: the memo is not trusted
    assert meetings.next_meeting(org).start == at(2026, 11, 5, 18, zone=LA)
    org.version, org.meeting_byday = 2, "2TH"  # edited
    assert meetings.next_meeting(org).start == at(2026, 11, 12, 18, zone=LA)
    assert len(runs) == 4


def test_the_next_meeting_fragment_is_kept_per_meeting_and_per_event():
    """A card's next-meeting fragment is kept under its meeting's and event's fields, one value
    (joining.when_key): any change to what it shows is another key."""
    meeting = SimpleNamespace(start=at(2026, 12, 3, 18, zone=LA))
    later = SimpleNamespace(start=at(2027, 1, 7, 18, zone=LA))

    def event(**changed):
        fields = {"pk": 4, "start": at(2026, 12, 5, 10, zone=LA), "all_day": False}
        return SimpleNamespace(**{**fields, "summary": "Coat drive", **changed})

    keys = [
        when_key(meeting, None),
        when_key(later, None),
        when_key(None, event()),
        when_key(meeting, event()),
        when_key(meeting, event(summary="Coat drive, moved")),
        when_key(meeting, event(all_day=True)),
        when_key(meeting, event(start=at(2026, 12, 6, 10, zone=LA))),
        when_key(meeting, event(pk=5)),
    ]
    assert len(set(keys)) == len(keys)
    assert when_key(meeting, event()) == when_key(meeting, event())


def test_a_cards_next_event_shows_each_change_though_its_fragment_is_kept(monkeypatch):
    """The fragment is kept (an hour), and still shows the event as it now is."""
    org = group(pk=988, version=1, meeting_frequency="", meeting_byday="")
    monkeypatch.setattr(meetings.timezone, "now", lambda: at(2026, 12, 1, 12))
    fragment = get_template("directory/includes/next_meeting.html")
    shown = []
    for summary, day in [
        ("Coat drive", 5),
        ("Coat drive", 5),
        ("Food drive", 5),
        ("Food drive", 6),
    ]:
        org.next_event = NextEvent(
            pk=4, summary=summary, start=at(2026, 12, day, 18), all_day=False
        )
        shown.append(fragment.render({"org": org, "LANGUAGE_CODE": "en"}))
    assert "Coat drive" in shown[0] and shown[1] == shown[0]
    assert "Food drive" in shown[2] and "Dec 5" in shown[2]
    assert "Dec 6" in shown[3]


def test_last_saturday_of_the_month():
    org = group(meeting_byday="-1SA", meeting_time=time(10, 0))
    found = meetings.next_meeting(org, after=at(2026, 1, 1, 12))
    assert found.start == at(2026, 1, 31, 10, zone=LA)
    # After January's, February's last Saturday (a 28-day month).
    assert meetings.next_meeting(org, after=found.start).start == at(2026, 2, 28, 10, zone=LA)


def test_second_thursday_skips_to_next_month_once_passed():
    org = group(meeting_byday="2TH")
    assert meetings.next_meeting(org, after=at(2026, 12, 10, 17, zone=LA)).start == at(
        2026, 12, 10, 18, zone=LA
    )
    assert meetings.next_meeting(org, after=at(2026, 12, 10, 18, 30, zone=LA)).start == at(
        2027, 1, 14, 18, zone=LA
    )


def test_weekly_meeting_keeps_its_wall_clock_time_across_daylight_saving():
    org = group(meeting_frequency="WEEKLY", meeting_byday="SU", meeting_time=time(18, 0))
    # Clocks go back on Sunday 1 November 2026: the meetings either side are at 6 pm local,
    # which is 01:00 UTC in summer time and 02:00 UTC after.
    before = meetings.next_meeting(org, after=at(2026, 10, 25, 12, zone=LA)).start
    after = meetings.next_meeting(org, after=at(2026, 10, 26, 12, zone=LA)).start
    assert (before.hour, after.hour) == (18, 18)
    assert before.astimezone(UTC).hour == 1
    assert after.astimezone(UTC).hour == 2
    assert after.utcoffset() != before.utcoffset()
    # Spring forward (Sunday 14 March 2027): still 6 pm.
    spring = meetings.next_meeting(org, after=at(2027, 3, 13, 12, zone=LA)).start
    assert spring == at(2027, 3, 14, 18, zone=LA)
    assert spring.astimezone(UTC).hour == 1


def test_the_day_is_the_groups_not_the_servers():
    # 11 pm Tuesday in New York is already Wednesday in UTC; a Tuesday 7 pm meeting is next week.
    org = group(
        meeting_frequency="WEEKLY", meeting_byday="TU", meeting_time=time(19, 0), state="NY"
    )
    found = meetings.next_meeting(org, after=at(2026, 12, 2, 4))  # Tue 1 Dec, 11 pm in NY
    assert found.start == at(2026, 12, 8, 19, zone=NY)


def test_time_zone_own_then_state_then_site():
    assert meetings.meeting_zone(group(state="AZ")) == ZoneInfo("America/Phoenix")
    assert meetings.meeting_zone(group(meeting_timezone="America/Chicago")) == ZoneInfo(
        "America/Chicago"
    )
    # A mistyped zone is not a hidden meeting: the state's zone stands in.
    assert meetings.meeting_zone(group(meeting_timezone="Mars/Olympus")) == LA
    assert meetings.meeting_zone(group(state="", country="US")) == ZoneInfo("America/New_York")


def test_several_days_and_incomplete_rules():
    org = group(meeting_frequency="MONTHLY", meeting_byday="2TU,4TU")
    assert meetings.next_meeting(org, after=at(2026, 12, 9, zone=LA)).start.day == 22
    assert meetings.next_meeting(group(meeting_time=None)) is None
    assert meetings.next_meeting(group(meeting_frequency="")) is None
    assert meetings.next_meeting(group(meeting_byday="XX")) is None
    assert meetings.parse_byday("-1SA,2TH")


@pytest.mark.django_db
def test_add_to_calendar_download_is_the_next_meeting(client):
    org = make_org(meeting_frequency="MONTHLY", meeting_byday="-1SA", meeting_time=time(10, 30))
    response = client.get(f"/groups/{org.slug}/next-meeting.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    start = event.decoded("dtstart")
    assert start == meetings.next_meeting(org).start
    assert (start.weekday(), start.hour, start.minute) == (5, 10, 30)
    assert start.tzinfo.key == "America/Los_Angeles"
    assert "rrule" not in event
    assert str(event["summary"]) == org.name
    assert str(event["url"]).endswith(org.get_absolute_url())
    assert calendar.walk("VTIMEZONE")  # calendar apps need the zone's rules


@pytest.mark.django_db
def test_meetings_feed_is_one_recurring_event(client):
    org = make_org(meeting_frequency="WEEKLY", meeting_byday="TU", meeting_time=time(19, 0))
    response = client.get(f"/groups/{org.slug}/meetings.ics")
    assert response.status_code == 200
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert event["rrule"]["FREQ"] == ["WEEKLY"]
    assert event["rrule"]["BYDAY"] == ["TU"]
    assert event.decoded("dtstart").weekday() == 1


@pytest.mark.django_db
def test_calendar_of_a_sensitive_group_gives_no_street_address(client):
    org = make_org(
        meeting_frequency="WEEKLY",
        meeting_byday="TU",
        meeting_time=time(19, 0),
        address="1 Hidden Way",
        address_public=True,
        sensitive=True,
    )
    (event,) = Calendar.from_ical(client.get(f"/groups/{org.slug}/meetings.ics").content).walk(
        "VEVENT"
    )
    assert str(event["location"]) == "Berkeley, CA"


@pytest.mark.django_db
def test_calendar_files_of_a_group_without_a_rule_or_unpublished_are_not_found(client):
    plain = make_org()
    hidden = make_org(
        status="pending", meeting_frequency="WEEKLY", meeting_byday="TU", meeting_time=time(9)
    )
    for org in (plain, hidden):
        assert client.get(f"/groups/{org.slug}/next-meeting.ics").status_code == 404
        assert client.get(f"/groups/{org.slug}/meetings.ics").status_code == 404


@pytest.mark.django_db
def test_page_shows_one_primary_action_matching_the_first_step(client):
    signup = make_org(signup_url="https://example.org/join", first_step="Sign up for our list.")
    contact = make_org(website="https://example.org/")
    signup_html = client.get(signup.get_absolute_url()).content.decode()
    contact_html = client.get(contact.get_absolute_url()).content.decode()
    assert signup_html.count("join-action ") == 1
    assert 'join-action--signup" href="https://example.org/join"' in signup_html
    assert 'join-action--contact" href="#contact-title"' in contact_html


@pytest.mark.django_db
def test_card_leads_with_sign_up_else_the_contact_form(client):
    make_org(name="Signup group", signup_url="https://example.org/join")
    make_org(name="Contact group")
    make_org(name="Web group", contact_email="", website="https://example.org/web")
    html = client.get("/search/", {"near": "94704"}).content.decode()
    assert 'join-action--signup" href="https://example.org/join"' in html
    assert "join-action--contact" in html
    assert 'join-action--website" href="https://example.org/web"' in html


@pytest.mark.django_db
def test_page_shows_next_meeting_in_the_groups_zone_and_fresh_badge(client):
    from django.utils import timezone

    org = make_org(
        meeting_frequency="MONTHLY",
        meeting_byday="1TH",
        meeting_time=time(18, 0),
        last_verified=timezone.localdate(),
    )
    html = client.get(org.get_absolute_url()).content.decode()
    start = meetings.next_meeting(org).start
    assert f'datetime="{start.isoformat()}"' in html
    assert "6 p.m. P" in html  # PST or PDT: the group's clock, not the server's
    assert f"/groups/{org.slug}/next-meeting.ics" in html
    assert f"Confirmed {timezone.localdate():%b %Y}" in html


@pytest.mark.django_db
def test_in_the_widget_the_contact_action_says_it_came_from_the_widget(client):
    org = make_org(name="Widget contact group")
    html = client.get("/embed/", {"near": "94704"}).content.decode()
    contact = f"/groups/{org.slug}/contact/?via=widget"
    assert f'join-action--contact" href="{contact}"' in html
    assert 'target="_blank"' in html
