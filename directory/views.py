"""Public pages: thin views over the search FilterSet and the published() queryset."""

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from directory import geocoding, meetings, reach
from directory.caching import PAGE_MAX_AGE, public_page
from directory.filters import OrganizationSearch
from directory.maps import distance_miles, map_config
from directory.models import Category, Organization
from orgsite import outage
from orgsite.privacy import privacy_facts

CAUSE_PAGE_SIZE = 25
# What a compact row of a list shows (directory/includes/org_row.html).
ROW_FIELDS = ("name", "slug", "city", "state", "coverage", "summary")


@require_GET
@public_page(PAGE_MAX_AGE)
def home(request):
    """The search form, with the causes as chips."""
    return render(
        request,
        "directory/home.html",
        {"search": OrganizationSearch(queryset=Organization.objects.published())},
    )


@require_GET
@public_page(PAGE_MAX_AGE)
def search(request):
    """Results for a place and causes, in labelled blocks, with a map."""
    search = OrganizationSearch(request.GET or None, queryset=Organization.objects.published())
    outcome = search.outcome() if search.is_valid() else None
    far = reach.far_from_everyone(outcome)
    if far:
        outcome = reach.joinable_first(outcome)
    return render(
        request,
        "directory/search.html",
        {
            "search": search,
            "outcome": outcome,
            "far": far,
            "map": map_config(outcome.results if outcome else []),
        },
    )


@require_GET
@public_page(PAGE_MAX_AGE)
def organization(request, slug):
    """One group: everything a newcomer needs to take the first step."""
    # The next event from the group's own calendar comes in the same query (a join).
    published = Organization.objects.published().select_related("next_event")
    org = get_object_or_404(published.prefetch_related("causes"), slug=slug)
    place, distance = _place_and_distance(request.GET.get("near", ""), org)
    return render(
        request,
        "directory/organization.html",
        {"org": org, "place": place, "distance": distance, "map": map_config([org])},
    )


@require_GET
@public_page(PAGE_MAX_AGE)
def next_meeting_ics(request, slug):
    """The group's next meeting as a calendar file to download ("Add to calendar")."""
    org = get_object_or_404(Organization.objects.published(), slug=slug)
    body = meetings.next_meeting_ics(org, request.build_absolute_uri(org.get_absolute_url()))
    if body is None:
        raise Http404("This group has no regular meeting.")
    return HttpResponse(
        body,
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{org.slug}-next-meeting.ics"'},
    )


@require_GET
@public_page(PAGE_MAX_AGE)
def meetings_feed(request, slug):
    """The group's regular meetings as an iCalendar feed (one recurring event) to subscribe to."""
    org = get_object_or_404(Organization.objects.published(), slug=slug)
    body = meetings.meetings_feed_ics(org, request.build_absolute_uri(org.get_absolute_url()))
    if body is None:
        raise Http404("This group has no regular meeting.")
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


@require_GET
@public_page(PAGE_MAX_AGE)
def category(request, slug):
    """One cause: its national and online groups, or one state's groups, a page at a time."""
    cause = get_object_or_404(Category, slug=slug)
    states = geocoding.us_states()
    state = request.GET.get("state", "")[:2].upper()
    state_name = states.get(state)
    page = _page_number(request.GET.get("page"))
    start = (page - 1) * CAUSE_PAGE_SIZE
    # One row more than a page says whether there is a next one, without counting them all.
    rows = rows_of(
        cause_page_groups(cause, state_name and state), start, start + CAUSE_PAGE_SIZE + 1
    )
    return render(
        request,
        "directory/category.html",
        {
            "cause": cause,
            "states": states,
            "state": state if state_name else "",
            "state_name": state_name,
            "unknown_state": bool(state) and not state_name,
            "organizations": rows[:CAUSE_PAGE_SIZE],
            "page": page,
            "has_next": len(rows) > CAUSE_PAGE_SIZE,
        },
    )


def cause_page_groups(cause, state=""):
    """A cause's groups in one state by city, or its national then its online groups by name,
    as the querysets to read one after the other: each in the order of an index, so a page
    reads only its own rows. (One query ordered by kind then name cannot be: PostgreSQL reads
    the (status, coverage, name) index from its start, through every local group.)"""
    groups = Organization.objects.published().for_causes([cause]).only(*ROW_FIELDS)
    if state:
        return [groups.filter(state=state, country="US").order_by("city", "name", "pk")]
    return [groups.filter(coverage=kind).order_by("name", "pk") for kind in ("national", "online")]


def rows_of(parts, start, stop):
    """Rows `start` to `stop` of the querysets `parts` read one after another. A part is read
    only as far as the page needs, and counted only when the page starts after it."""
    rows, skip = [], start
    for part in parts:
        wanted = stop - start - len(rows)
        if wanted <= 0:
            break
        found = list(part[skip : skip + wanted])
        if found:
            rows += found
            skip = 0
        elif skip:
            skip = max(skip - part.count(), 0)
    return rows


def _page_number(text, maximum=1000):
    """A page number from the query string: a whole number from 1, anything else is 1."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return 1
    return min(max(int(text), 1), maximum)


@require_GET
@public_page(PAGE_MAX_AGE)
def category_list(request):
    """Every cause, with how many groups work on it."""
    return render(
        request, "directory/category_list.html", {"causes": Category.objects.with_counts()}
    )


@require_GET
@public_page(PAGE_MAX_AGE)
def about(request):
    """What the site is, where its data comes from, and credits."""
    return render(request, "directory/about.html")


@require_GET
def privacy(request):
    """Everything the site keeps about people, and for how long, from the settings in force."""
    return render(request, "directory/privacy.html", privacy_facts())


def healthz(request):
    """Liveness for load balancers: answers without touching the database."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
@never_cache
def ready(request):
    """Readiness: 200 when the database answers (cache and delivery worker reported), else 503."""
    checks, is_ready = outage.readiness()
    response = JsonResponse(
        {"status": "ready" if is_ready else "unavailable", "checks": checks},
        status=200 if is_ready else 503,
    )
    if not is_ready:
        response["Retry-After"] = str(settings.OUTAGE_RETRY_AFTER)
    return response


def _place_and_distance(text, org):
    """The reader's place (from ?near=) and how far the group is from it, when both are known."""
    if not text or len(text) > 200:
        return None, None
    try:
        place = geocoding.geocode(text)
    except geocoding.PlaceNotFound:
        return None, None
    if not org.is_placed:
        return place, None
    return place, distance_miles(place, org)
