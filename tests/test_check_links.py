"""check_links against a real HTTP server started by the test: results, flags, politeness, feeds."""

import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from curation.linkcheck import Settings, next_event_in
from curation.models import LinkCheck, NextEvent
from directory.meetings import meeting_zone
from directory.models import Organization
from tests.factories import make_org

SLOW_SECONDS = 1.0
TIMEOUT = 0.3


def _feed():
    """A calendar with past, cancelled and private events around the next public one."""
    now = timezone.now()

    def stamp(when):
        return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    def event(uid, summary, start, extra=""):
        return (
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:{stamp(now)}\r\nDTSTART:{stamp(start)}\r\n"
            f"SUMMARY:{summary}\r\n{extra}END:VEVENT\r\n"
        )

    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + event("a", "Last month's picnic", now - timedelta(days=30))
        + event("b", "Cancelled rally", now + timedelta(days=2), "STATUS:CANCELLED\r\n")
        + event("c", "Board meeting", now + timedelta(days=3), "CLASS:PRIVATE\r\n")
        + event("d", "Know your rights training", now + timedelta(days=11))
        + event("e", "Annual gala", now + timedelta(days=40))
        + "END:VCALENDAR\r\n"
    ).encode()


class Handler(BaseHTTPRequestHandler):
    """OK, missing, slow, moved, HEAD refused, and a calendar; it notes who asked and how."""

    def _answer(self, with_body):
        server = self.server
        with server.lock:
            server.requests.append((self.command, self.headers["Host"], self.path))
            server.agents.add(self.headers["User-Agent"])
            host = self.headers["Host"]
            server.in_flight[host] = server.in_flight.get(host, 0) + 1
            server.most_at_once = max(server.most_at_once, server.in_flight[host])
            self._left = False
        try:
            path = self.path.split("?")[0]
            if path == "/slow":
                time.sleep(SLOW_SECONDS)
            if path == "/pause":  # long enough for two requests at once to overlap
                time.sleep(0.1)
            if path == "/moved":
                self.send_response(301)
                self.send_header("Location", "/ok")
                self.end_headers()
                return
            if path == "/no-head" and self.command == "HEAD":
                self.send_response(405)
                self.end_headers()
                return
            if path in ("/ok", "/no-head", "/slow", "/pause"):
                body, kind = b"<p>Hello</p>", "text/html"
            elif path == "/events.ics":
                body, kind = _feed(), "text/calendar"
            elif path == "/not-a-calendar.ics":
                body, kind = b"<html>oops</html>", "text/html"
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the checker gave up on a slow answer, as it should
        finally:
            self._leave()

    def send_response(self, *args, **kwargs):
        # A request ends for the politeness count when its answer starts: the client cannot
        # send its next request before reading this one, so no false overlap is seen.
        self._leave()
        super().send_response(*args, **kwargs)

    def _leave(self):
        if getattr(self, "_left", True):
            return
        self._left = True
        with self.server.lock:
            self.server.in_flight[self.headers["Host"]] -= 1

    def do_HEAD(self):
        self._answer(with_body=False)

    def do_GET(self):
        self._answer(with_body=True)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.lock = threading.Lock()
    httpd.requests, httpd.agents, httpd.in_flight, httpd.most_at_once = [], set(), {}, 0
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    port = httpd.server_address[1]
    httpd.url = lambda path, host="127.0.0.1": f"http://{host}:{port}{path}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def run(**options):
    out = StringIO()
    options.setdefault("timeout", TIMEOUT)
    call_command("check_links", pause=0, stdout=out, **options)
    return out.getvalue()


def checks(org):
    return {row.url.rsplit("/", 1)[-1]: row for row in LinkCheck.objects.filter(organization=org)}


@pytest.mark.django_db
def test_each_link_is_checked_and_recorded(server):
    org = make_org(
        website=server.url("/ok"),
        signup_url=server.url("/missing"),
        social_links=f"{server.url('/moved')}\n{server.url('/no-head')}",
    )
    slow = make_org(website=server.url("/slow"))
    output = run()
    rows = checks(org)
    assert (rows["ok"].status, rows["ok"].ok, rows["ok"].consecutive_failures) == (200, True, 0)
    assert (rows["missing"].status, rows["missing"].ok) == (404, False)
    assert rows["missing"].consecutive_failures == 1
    assert (rows["moved"].status, rows["moved"].ok) == (200, True)  # the redirect was followed
    assert (rows["no-head"].status, rows["no-head"].ok) == (200, True)
    (timed_out,) = LinkCheck.objects.filter(organization=slow)
    assert (timed_out.status, timed_out.error, timed_out.ok) == (None, "timed out", False)
    assert "5 links checked, 2 failing" in output
    # HEAD first; GET only where HEAD was refused or failed.
    methods = {(method, path) for method, _, path in server.requests}
    assert ("HEAD", "/ok") in methods and ("GET", "/ok") in methods  # GET after /moved
    assert ("GET", "/no-head") in methods and ("GET", "/missing") in methods


@pytest.mark.django_db
def test_links_failing_twice_in_a_row_are_flagged_and_a_success_clears_them(server):
    org = make_org(website=server.url("/ok"), signup_url=server.url("/missing"))
    make_org(website=server.url("/ok?other"))
    run()
    assert not LinkCheck.objects.failing_twice().exists()
    assert LinkCheck.objects.failing().count() == 1
    run()
    (flagged,) = LinkCheck.objects.failing_twice()
    assert flagged.url.endswith("/missing") and flagged.consecutive_failures == 2
    assert list(LinkCheck.objects.failing_twice().organizations()) == [org]
    # The organizers fix the link: the old one is no longer theirs, the new one works.
    org.signup_url = server.url("/no-head")
    org.save()
    run()
    assert not LinkCheck.objects.failing().exists()
    assert not LinkCheck.objects.filter(url__endswith="/missing").exists()


@pytest.mark.django_db
def test_an_unpublished_entry_is_not_flagged(server):
    org = make_org(website=server.url("/missing"))
    run()
    run()
    assert LinkCheck.objects.failing_twice().count() == 1
    org.status = "inactive"
    org.save()
    assert not LinkCheck.objects.failing_twice().exists()
    run()  # and its rows go, since only published groups are checked
    assert not LinkCheck.objects.exists()


@pytest.mark.django_db
def test_the_client_is_polite_one_request_at_a_time_per_host_naming_the_site(server, settings):
    settings.SITE_NAME = "Organize Near Me"
    for n in range(4):
        make_org(website=server.url(f"/pause?{n}"), signup_url=server.url(f"/no-head?{n}"))
        make_org(website=server.url(f"/pause?{n}", host="localhost"))
    # A timeout longer than any answer here: a request the client gave up on while the server
    # still served it would overlap the next one on a busy machine.
    run(workers=4, timeout=10)
    assert server.most_at_once == 1
    assert {host.split(":")[0] for _, host, _ in server.requests} == {"127.0.0.1", "localhost"}
    (agent,) = server.agents
    assert agent.startswith("Organize Near Me link checker (+http")


@pytest.mark.django_db
def test_a_run_checks_at_most_max_links_and_the_next_run_moves_on(server):
    for n in range(5):
        make_org(website=server.url(f"/ok?{n}"))
    assert "2 links checked" in run(max_links=2)
    assert LinkCheck.objects.count() == 2
    first = set(LinkCheck.objects.values_list("url", flat=True))
    run(max_links=2)
    assert LinkCheck.objects.count() == 4
    assert first < set(LinkCheck.objects.values_list("url", flat=True))


@pytest.mark.django_db
def test_the_run_stops_at_its_deadline_and_leaves_the_rest_for_later(server):
    for n in range(3):
        make_org(website=server.url(f"/slow?{n}"))
    # Each slow link takes the whole timeout, more than the run is given.
    output = run(deadline=TIMEOUT / 2, workers=1)
    assert LinkCheck.objects.count() == 1
    assert "2 links left for the next run" in output


@pytest.mark.django_db
def test_dry_run_stores_nothing(server):
    make_org(website=server.url("/missing"))
    assert "Dry run, nothing stored: 1 links checked, 1 failing" in run(dry_run=True)
    assert not LinkCheck.objects.exists()


@pytest.mark.django_db
def test_bad_options_are_a_clear_error():
    with pytest.raises(CommandError, match="--max-links"):
        call_command("check_links", max_links=0)


@pytest.mark.django_db
def test_the_groups_calendar_gives_its_next_public_event_on_page_and_card(server, client):
    org = make_org(events_feed_url=server.url("/events.ics"))
    asked = len(server.requests)
    page = client.get(org.get_absolute_url()).content.decode()
    assert len(server.requests) == asked  # a reader's request never fetches anything
    assert "Know your rights" not in page
    run()
    event = NextEvent.objects.get(organization=org)
    assert event.summary == "Know your rights training"
    assert LinkCheck.objects.get(url=org.events_feed_url).ok
    page = client.get(org.get_absolute_url()).content.decode()
    card = client.get("/search/", {"near": "94704"}).content.decode()
    day = timezone.localtime(event.start, meeting_zone(org)).strftime("%a %b %-d")
    for html in (page, card):
        assert "Next:" in html and f"{day}, " in html
        assert "Know your rights training" in html
    assert len(server.requests) == asked + 1


@pytest.mark.django_db
def test_a_calendar_that_is_gone_or_not_a_calendar_clears_the_event(server):
    org = make_org(events_feed_url=server.url("/events.ics"))
    run()
    assert NextEvent.objects.filter(organization=org).exists()
    org.events_feed_url = server.url("/not-a-calendar.ics")
    org.save()
    run()
    assert not NextEvent.objects.filter(organization=org).exists()
    check = LinkCheck.objects.get(url=org.events_feed_url)
    assert not check.ok and check.error.startswith("not an iCalendar file")


def test_next_event_expands_a_recurring_event_and_reads_all_day_ones():
    zone = meeting_zone(Organization(meeting_timezone="America/Chicago"))
    feed = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
        b"BEGIN:VEVENT\r\nUID:r\r\nDTSTAMP:20260101T000000Z\r\n"
        b"DTSTART;TZID=America/Chicago:20260106T190000\r\nRRULE:FREQ=WEEKLY;BYDAY=TU\r\n"
        b"SUMMARY:Weekly phone bank\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:d\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261205\r\n"
        b"SUMMARY:Winter coat drive\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    tuesday = datetime(2026, 12, 1, 20, tzinfo=zone)  # after this Tuesday's call
    summary, start, all_day = next_event_in(feed, zone, tuesday)
    assert (summary, all_day) == ("Winter coat drive", True)
    saturday_night = datetime(2026, 12, 5, 23, tzinfo=zone)  # still the coat drive's day
    assert next_event_in(feed, zone, saturday_night)[0] == "Winter coat drive"
    summary, start, all_day = next_event_in(feed, zone, datetime(2026, 12, 6, 1, tzinfo=zone))
    assert summary == "Weekly phone bank" and start == datetime(2026, 12, 8, 19, tzinfo=zone)
    with pytest.raises(ValueError):
        next_event_in(b"not a calendar", zone, tuesday)


def test_settings_name_the_site_in_the_user_agent(settings):
    settings.SITE_NAME = "Example Site"
    assert Settings().user_agent.startswith("Example Site link checker")


def test_an_hourly_rule_is_not_walked():
    zone = meeting_zone(Organization(meeting_timezone="America/Chicago"))
    feed = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
        b"BEGIN:VEVENT\r\nUID:s\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:19700101T000000Z\r\n"
        b"RRULE:FREQ=SECONDLY\r\nSUMMARY:Every second since 1970\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    assert next_event_in(feed, zone, datetime(2026, 12, 1, tzinfo=zone)) is None
