"""The HSDS 3.0 API (read-only): the required and several optional endpoints of its OpenAPI file.

The responses are defined by the official HSDS OpenAPI document, not by this site's own, so these
views are left out of /api/v1/schema/.
"""

import datetime
import math

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from api.http import ReadOnlyView
from api.paging import PageForm, page_count
from directory import caching
from directory.geocoding import PlaceNotFound, geocode
from directory.models import Category, Organization
from directory.search import RingSearch
from hsds import ids, to_hsds
from hsds.ids import CAUSES_TAXONOMY, DETAILS_TAXONOMY
from orgsite.jsonedge import invalid_parameters

METRES_PER_MILE = 1609.344
MAX_PROXIMITY_METRES = 5_000_000


class BooleanParameter(forms.Field):
    """true or false (or 1 and 0), or absent; anything else is an error, never false."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError(_("Use true or false."), code="invalid")


class QueryForm(forms.Form):
    """Every HSDS query parameter this API understands; each endpoint reads the ones it uses."""

    search = forms.CharField(required=False, max_length=200, strip=True)
    taxonomy_term_id = forms.CharField(required=False, max_length=64)
    taxonomy_id = forms.CharField(required=False, max_length=64)
    organization_id = forms.CharField(required=False, max_length=64)
    parent_id = forms.CharField(required=False, max_length=64)
    modified_after = forms.CharField(required=False, max_length=64)
    minimal = BooleanParameter(required=False)
    full = BooleanParameter(required=False)
    full_service = BooleanParameter(required=False)
    top_only = BooleanParameter(required=False)
    format = forms.ChoiceField(
        required=False,
        choices=[("json", "json")],
        error_messages={"invalid_choice": gettext_lazy("Only the json format is offered.")},
    )
    postcode = forms.CharField(required=False, max_length=20)
    proximity = forms.FloatField(required=False, min_value=1, max_value=MAX_PROXIMITY_METRES)

    def clean_modified_after(self):
        text = self.cleaned_data["modified_after"]
        if not text:
            return None
        try:
            moment = parse_datetime(text) or parse_date(text)
        except ValueError:
            moment = None
        if moment is None:
            raise forms.ValidationError(
                _("Give a date or a date and time, like 2025-01-31T12:00:00Z."), code="invalid"
            )
        if not isinstance(moment, datetime.datetime):
            moment = datetime.datetime.combine(moment, datetime.time())
        try:
            moment = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
            # The database compares in UTC: a moment that cannot be written in UTC is no date.
            return moment.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(_("That date is out of range."), code="invalid") from None

    def clean_postcode(self):
        text = self.cleaned_data["postcode"]
        if not text:
            return None
        try:
            return geocode(text)
        except PlaceNotFound as error:
            raise forms.ValidationError(error.message, code="unknown_place") from None


class HsdsView(ReadOnlyView):
    """Parses the query once; lists answer in HSDS pages."""

    def get(self, request, **kwargs):
        """Validate the parameters, then answer with `respond`."""
        query = QueryForm(request.GET)
        paging = PageForm(
            request.GET,
            size_name="per_page",
            default=settings.HSDS_PAGE_SIZE,
            maximum=settings.HSDS_MAX_PAGE_SIZE,
        )
        if not (query.is_valid() & paging.is_valid()):
            return Response(invalid_parameters(query, paging), 400)
        return self.respond(request, query.cleaned_data, paging, **kwargs)

    def not_found(self):
        return Response({"detail": _("There is nothing with that id.")}, status=404)

    def page(self, paging, total, items):
        pages = page_count(total, paging.size)
        return Response(
            {
                "total_items": total,
                "total_pages": pages,
                "page_number": paging.number,
                "size": len(items),
                "first_page": paging.number == 1,
                "last_page": paging.number >= pages,
                "empty": total == 0,
                "contents": items,
            }
        )

    def page_of(self, paging, queryset, render):
        """One page of a queryset, rendered: a count, the rows, their causes."""
        total = caching.count(queryset)
        start, stop = paging.window()
        rows = list(queryset[start:stop]) if start < total else []
        return self.page(paging, total, [render(org) for org in rows])


@extend_schema(exclude=True)
class Root(HsdsView):
    def respond(self, request, query, paging):
        """What this API is and which HSDS it speaks."""
        return Response(
            {
                "version": to_hsds.HSDS_VERSION,
                "profile": to_hsds.HSDS_PROFILE_URL,
                "openapi_url": to_hsds.HSDS_OPENAPI_URL,
            }
        )


def _find(kind, text):
    """The published group whose `kind` has this HSDS id, or None: one indexed query."""
    return ids.find(to_hsds.exportable(), kind, ids.parse(text))


def _filtered(query):
    """Published groups narrowed by the HSDS list parameters."""
    qs = to_hsds.exportable()
    if query.get("search"):
        qs = qs.matching(query["search"])
    if query.get("modified_after"):
        moment = query["modified_after"]
        qs = qs.filter(updated__gte=moment)
    if query.get("organization_id"):
        wanted = ids.parse(query["organization_id"])
        org = ids.find(Organization.objects.published(), "organization", wanted)
        qs = qs.filter(pk=org.pk) if org else qs.none()
    if query.get("taxonomy_id"):
        wanted = ids.parse(query["taxonomy_id"])
        if wanted == ids.taxonomy(CAUSES_TAXONOMY):
            qs = qs.filter(causes__isnull=False).distinct()
        elif wanted != ids.taxonomy(DETAILS_TAXONOMY):
            qs = qs.none()
    if query.get("taxonomy_term_id"):
        qs = _with_term(qs, ids.parse(query["taxonomy_term_id"]))
    return qs


def _with_term(qs, wanted):
    for slug in Category.objects.values_list("slug", flat=True):
        if ids.term(CAUSES_TAXONOMY, slug) == wanted:
            return qs.for_causes(Category.objects.filter(slug=slug))
    for code, field in to_hsds.FLAGS.items():
        if ids.term(DETAILS_TAXONOMY, code) == wanted:
            return qs.filter(**{field: True})
    if any(ids.term(DETAILS_TAXONOMY, code) == wanted for code in to_hsds.DETAIL_TERMS):
        return qs
    return qs.none()


def _minimal_service(org):
    """Just enough to tell what changed: id and last_modified (and what the schema requires)."""
    fields = ("id", "name", "status", "last_modified")
    return {k: v for k, v in to_hsds.service_basic(org).items() if k in fields}


@extend_schema(exclude=True)
class Services(HsdsView):
    def respond(self, request, query, paging):
        """Services, one page at a time: one-to-one fields, or fully nested with `full`."""
        if query.get("full"):
            render = to_hsds.service
        elif query.get("minimal"):
            render = _minimal_service
        else:
            render = to_hsds.service_list_item
        return self.page_of(paging, _filtered(query), render)


@extend_schema(exclude=True)
class ServiceDetail(HsdsView):
    def respond(self, request, query, paging, id):
        """One fully nested service."""
        org = _find("service", id)
        return Response(to_hsds.service(org)) if org else self.not_found()


@extend_schema(exclude=True)
class Organizations(HsdsView):
    def respond(self, request, query, paging):
        """Organizations, one page at a time; `full` nests their services and locations."""
        if query.get("full") or query.get("full_service"):
            full_service = bool(query.get("full_service"))
            render = lambda org: to_hsds.organization(org, full_service=full_service)  # noqa: E731
        else:
            render = to_hsds.organization_basic
        return self.page_of(paging, _filtered(query), render)


@extend_schema(exclude=True)
class OrganizationDetail(HsdsView):
    def respond(self, request, query, paging, id):
        """One fully nested organization."""
        org = _find("organization", id)
        if org is None:
            return self.not_found()
        return Response(to_hsds.organization(org, full_service=bool(query.get("full_service"))))


@extend_schema(exclude=True)
class ServiceAtLocations(HsdsView):
    def respond(self, request, query, paging):
        """Services at locations; `postcode` keeps those covering it, `proximity` those near it."""
        render = (
            to_hsds.service_at_location
            if query.get("full")
            else to_hsds.service_at_location_list_item
        )
        qs = _filtered(query)
        place = query.get("postcode")
        if place is None:
            return self.page_of(paging, qs, render)
        orgs = _around(qs, place, query.get("proximity"))
        start, stop = paging.window()
        return self.page(paging, len(orgs), [render(org) for org in orgs[start:stop]])


def _around(qs, place, proximity):
    """Groups within `proximity` metres of the place, or (without it) whose area covers it.

    The site's own ring search finds them, so HSDS and the site rank groups the same way.
    """
    ring = RingSearch(qs, place)
    if proximity:
        rows = ring.within(proximity / METRES_PER_MILE)
    else:
        rows, _nearby = ring.around(0, need=math.inf)
    found = qs.in_bulk([row.pk for row in rows])
    beyond = [
        *qs.statewide(place.state, place.country).order_by("name", "pk"),
        *qs.national(place.country).order_by("name", "pk"),
        *qs.online().order_by("name", "pk"),
    ]
    placed = [found[row.pk] for row in rows]
    return placed if proximity else placed + beyond


@extend_schema(exclude=True)
class ServiceAtLocationDetail(HsdsView):
    def respond(self, request, query, paging, id):
        """One fully nested service at a location."""
        org = _find("service_at_location", id)
        return Response(to_hsds.service_at_location(org)) if org else self.not_found()


@extend_schema(exclude=True)
class Taxonomies(HsdsView):
    def respond(self, request, query, paging):
        """The two taxonomies: causes, and the directory's own details."""
        docs = [to_hsds.taxonomy_doc(name) for name in to_hsds.TAXONOMIES]
        if query.get("search"):
            docs = [d for d in docs if query["search"].lower() in d["name"].lower()]
        start, stop = paging.window()
        return self.page(paging, len(docs), docs[start:stop])


@extend_schema(exclude=True)
class TaxonomyDetail(HsdsView):
    def respond(self, request, query, paging, id):
        """One taxonomy."""
        for name in to_hsds.TAXONOMIES:
            if ids.taxonomy(name) == ids.parse(id):
                return Response(to_hsds.taxonomy_doc(name))
        return self.not_found()


@extend_schema(exclude=True)
class TaxonomyTerms(HsdsView):
    def respond(self, request, query, paging):
        """Terms of both taxonomies (none has a parent, so `top_only` changes nothing)."""
        terms = to_hsds.taxonomy_terms(Category.objects.order_by("slug"))
        if query.get("taxonomy_id"):
            terms = [t for t in terms if t["taxonomy_id"] == str(ids.parse(query["taxonomy_id"]))]
        if query.get("parent_id"):
            terms = []  # the terms are flat
        if query.get("search"):
            words = query["search"].lower()
            terms = [t for t in terms if words in t["name"].lower() or words in t["code"]]
        start, stop = paging.window()
        return self.page(paging, len(terms), terms[start:stop])


@extend_schema(exclude=True)
class TaxonomyTermDetail(HsdsView):
    def respond(self, request, query, paging, id):
        """One term."""
        wanted = str(ids.parse(id))
        for term in to_hsds.taxonomy_terms(Category.objects.order_by("slug")):
            if term["id"] == wanted:
                return Response(term)
        return self.not_found()
