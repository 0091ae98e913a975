"""Checking that published groups' links still answer, and reading their public calendars.

Run from the `check_links` command only, never while a reader waits: every public page reads what
the last run stored (LinkCheck, NextEvent). The client is polite and bounded: one request at a
time per host, a timeout on every request and on the whole run, a cap on links per run (the least
recently checked first, so daily runs cover everything in turn), and a User-Agent naming the site.
"""

import http.client
import time
import urllib.error
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from dateutil.rrule import DAILY, rrulestr
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from icalendar import Calendar

from curation.models import LinkCheck, NextEvent
from directory import caching
from directory.meetings import meeting_zone
from directory.models import Organization

FEED_MAX_BYTES = 2_000_000  # a year of a busy group's events is a few hundred kilobytes
FEED_MAX_EVENTS = 5000
MAX_REDIRECTS = 5
WEB_SCHEMES = {"http", "https"}
# Answers to HEAD that often mean "this server does not do HEAD", not "this page is gone".
RETRY_WITH_GET = {400, 403, 404, 405, 406, 429, 500, 501, 503}


@dataclass
class Outcome:
    """What one request to one link found."""

    url: str
    status: int | None = None
    error: str = ""

    @property
    def ok(self):
        return self.status is not None and self.status < 400 and not self.error


@dataclass
class Settings:
    timeout: float = 10.0  # seconds for each request
    deadline: float = 600.0  # seconds for the whole run; links not reached wait for the next
    max_links: int = 500
    workers: int = 4  # hosts checked at once; each host gets one request at a time
    pause: float = 1.0  # seconds between two requests to the same host

    @property
    def user_agent(self):
        return f"{settings.SITE_NAME} link checker (+{settings.SITE_URL}/about/)"


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme not in WEB_SCHEMES:
            return None  # the 3xx itself is the answer: a web link must lead to the web
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener():
    # No proxy from the environment, no cookies: the same plain request every time.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _Redirects())


def fetch(url, method, config, max_bytes=0):
    """(Outcome, body) for one request; a body only for GET with `max_bytes` (one byte more is
    read, so that a body too large is seen to be)."""
    if urlsplit(url).scheme not in WEB_SCHEMES:
        return Outcome(url, error="not a web address"), b""
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked just above)
        url, method=method, headers={"User-Agent": config.user_agent, "Accept": "*/*"}
    )
    try:
        with _opener().open(request, timeout=config.timeout) as response:
            body = response.read(max_bytes + 1) if max_bytes else b""
            return Outcome(url, status=response.status), body
    except urllib.error.HTTPError as error:
        error.close()
        return Outcome(url, status=error.code), b""
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            return Outcome(url, error="timed out"), b""
        return Outcome(url, error=str(error.reason)[:200]), b""
    except TimeoutError:  # socket.timeout is TimeoutError
        return Outcome(url, error="timed out"), b""
    except (OSError, ValueError, http.client.HTTPException) as error:
        return Outcome(url, error=(str(error) or type(error).__name__)[:200]), b""


def check(url, config):
    """HEAD the link, and GET it when the answer suggests the server does not do HEAD."""
    outcome, _ = fetch(url, "HEAD", config)
    if outcome.status in RETRY_WITH_GET:
        outcome, _ = fetch(url, "GET", config)
    return outcome


def links_of(org):
    """The public links of a group that a reader may follow, each once."""
    urls = [org.website, org.signup_url] + [url for _, url in org.social_link_list]
    return [url for url in dict.fromkeys(urls) if url.startswith(("http://", "https://"))]


def check_all(urls, config):
    """{url: Outcome} for the links, one request at a time per host, within the deadline."""
    by_host = defaultdict(list)
    for url in urls:
        by_host[urlsplit(url).hostname or ""].append(url)
    stop_at = time.monotonic() + config.deadline
    results = {}

    def one_host(host_urls):
        for index, url in enumerate(host_urls):
            if time.monotonic() >= stop_at:
                return  # the rest waits for the next run
            if index and config.pause:
                time.sleep(config.pause)
            results[url] = check(url, config)

    with ThreadPoolExecutor(max_workers=max(1, config.workers)) as pool:
        list(pool.map(one_host, by_host.values()))
    return results


def _as_datetime(value, zone):
    """A DTSTART value as an aware datetime: dates are midnight, floating times are the group's."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    return datetime(value.year, value.month, value.day, tzinfo=zone)


def next_event_in(feed, zone, now):
    """(summary, start, all_day) of the first public event starting after now, or None."""
    try:
        calendar = Calendar.from_ical(feed)
    except (ValueError, IndexError, KeyError) as error:
        raise ValueError(f"not an iCalendar file: {error}") from None
    best = None
    for event in calendar.walk("VEVENT")[:FEED_MAX_EVENTS]:
        if str(event.get("status", "")).upper() == "CANCELLED":
            continue
        if str(event.get("class", "PUBLIC")).upper() != "PUBLIC":
            continue
        try:
            raw = event.decoded("dtstart")
        except (KeyError, ValueError):
            continue
        all_day = isinstance(raw, date) and not isinstance(raw, datetime)
        start = _as_datetime(raw, zone)
        if "rrule" in event:
            try:
                rule = rrulestr(event["rrule"].to_ical().decode(), dtstart=start)
                if getattr(rule, "_freq", DAILY + 1) > DAILY:
                    continue  # hourly or finer: not a public event, and costly to walk
                start = rule.after(now - timedelta(days=1) if all_day else now, inc=True)
            except (ValueError, TypeError):
                continue
            if start is None:
                continue
        ends = start + timedelta(days=1) if all_day else start
        if ends <= now:
            continue
        if best is None or start < best[1]:
            best = (str(event.get("summary", "")).strip()[:200], start, all_day)
    return best if best and best[0] else None


def read_feed(org, config, now):
    """(Outcome, next event or None) for the group's calendar feed."""
    outcome, body = fetch(org.events_feed_url, "GET", config, max_bytes=FEED_MAX_BYTES)
    if not outcome.ok:
        return outcome, None
    if len(body) > FEED_MAX_BYTES:
        outcome.error = "calendar too large"
        return outcome, None
    try:
        return outcome, next_event_in(body, meeting_zone(org), now)
    except ValueError as error:
        outcome.error = str(error)[:200]
        return outcome, None


@dataclass
class Report:
    checked: int = 0
    failed: int = 0
    flagged: int = 0
    feeds: int = 0
    events: int = 0
    skipped: int = 0

    def __str__(self):
        return (
            f"{self.checked} links checked, {self.failed} failing, {self.flagged} failing twice "
            f"or more; {self.feeds} calendars read, {self.events} next events; "
            f"{self.skipped} links left for the next run"
        )


def links_check(config=None, dry_run=False, now=None):
    """Check published groups' links and calendars, store what was found; return a Report."""
    config = config or Settings()
    now = now or timezone.now()
    orgs = list(Organization.objects.published().order_by("pk"))
    wanted = {(org.pk, url) for org in orgs for url in links_of(org)}
    feeds = {org.pk: org for org in orgs if org.events_feed_url}
    wanted |= {(pk, org.events_feed_url) for pk, org in feeds.items()}
    known = {(row.organization_id, row.url): row for row in LinkCheck.objects.all()}
    # The least recently checked first, never-checked before all, so each run moves on.
    oldest = datetime.min.replace(tzinfo=now.tzinfo)
    order = sorted(wanted, key=lambda key: (known[key].checked_at if key in known else oldest, key))
    chosen = order[: config.max_links]
    report = Report(skipped=len(order) - len(chosen))
    chosen_feeds = {
        pk: feeds[pk] for pk, url in chosen if pk in feeds and url == feeds[pk].events_feed_url
    }
    plain_urls = {
        url for pk, url in chosen if pk not in chosen_feeds or url != feeds[pk].events_feed_url
    }

    outcomes = check_all(sorted(plain_urls), config)
    events = {}
    for pk, org in chosen_feeds.items():
        outcome, event = read_feed(org, config, now)
        outcomes[org.events_feed_url] = outcome
        events[pk] = event
        report.feeds += 1
        report.events += event is not None

    with transaction.atomic():
        rows = []
        for pk, url in chosen:
            outcome = outcomes.get(url)
            if outcome is None:  # not reached before the deadline
                report.skipped += 1
                continue
            row = known.get((pk, url)) or LinkCheck(organization_id=pk, url=url)
            row.status, row.error, row.ok, row.checked_at = (
                outcome.status,
                outcome.error[:200],
                outcome.ok,
                now,
            )
            row.consecutive_failures = 0 if outcome.ok else row.consecutive_failures + 1
            report.checked += 1
            report.failed += not outcome.ok
            report.flagged += row.consecutive_failures >= LinkCheck.FLAG_AFTER
            rows.append(row)
        if dry_run:
            return report
        LinkCheck.objects.bulk_create([row for row in rows if row.pk is None])
        LinkCheck.objects.bulk_update(
            [row for row in rows if row.pk is not None],
            ["status", "error", "ok", "checked_at", "consecutive_failures"],
        )
        # A link taken off an entry (or an entry no longer published) is no longer its problem.
        gone = [row.pk for key, row in known.items() if key not in wanted]
        LinkCheck.objects.filter(pk__in=gone).delete()
        NextEvent.objects.exclude(organization_id__in=feeds).delete()
        if _store_events(events, now):
            caching.bump()  # cached search answers carry the events they were made with
    return report


def _store_events(events, now):
    """Keep each group's next event; True when anything a reader sees changed."""
    changed = False
    current = {
        row.organization_id: row for row in NextEvent.objects.filter(organization_id__in=events)
    }
    for pk, found in events.items():
        row = current.get(pk)
        if found is None:
            if row is not None:
                row.delete()
                changed = True
            continue
        summary, start, all_day = found
        if row and (row.summary, row.start, row.all_day) == (summary, start, all_day):
            continue
        NextEvent.objects.update_or_create(
            organization_id=pk,
            defaults={"summary": summary, "start": start, "all_day": all_day, "fetched_at": now},
        )
        changed = True
    return changed
