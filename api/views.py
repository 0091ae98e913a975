"""The read-only JSON API: thin views over the search FilterSet and the published() queryset."""

from django import forms
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiJsonRenderer2
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response

from api import serializers as shapes
from api.http import ReadOnlyView
from api.paging import MAX_PAGE, api_page_form, page_count, page_url
from directory import caching, geocoding
from directory.fields import WholeNumberField
from directory.filters import OrganizationSearch
from directory.models import MEETING_LANGUAGES, Category, Organization
from orgsite.jsonedge import invalid_parameters, open_to_any_origin

SUGGEST_MAX_QUERY = 100
SUGGEST_MAX_LIMIT = 20
NO_NUL = r"^[^\u0000]*$"  # text parameters refuse NUL characters with a 400

SEARCH_PARAMETERS = [
    OpenApiParameter(
        "near",
        {"type": "string", "maxLength": 200, "pattern": NO_NUL},
        description="A ZIP code, a place name (“Oakland, CA”) or `lat,lng`. "
        "Without it, every matching group is listed by name.",
    ),
    OpenApiParameter(
        "cause",
        str,
        many=True,
        explode=True,
        description="A cause's slug (see /api/v1/categories/); repeat for several (any matches).",
    ),
    OpenApiParameter(
        "q",
        {"type": "string", "maxLength": 200, "pattern": NO_NUL},
        description="Words that must all appear in the group's text.",
    ),
    OpenApiParameter(
        "radius",
        {"type": "integer", "minimum": 1, "maximum": settings.SEARCH_MAX_RADIUS},
        description=f"Miles, 1 to {settings.SEARCH_MAX_RADIUS}; "
        f"default {settings.SEARCH_DEFAULT_RADIUS}. Widened when nothing is near.",
    ),
    OpenApiParameter(
        "lang",
        str,
        enum=[code for code, _name in MEETING_LANGUAGES],
        description="Meeting language (ISO 639 code).",
    ),
    OpenApiParameter(
        "coverage",
        str,
        many=True,
        explode=True,
        enum=list(Organization.Coverage.values),
        description="Kinds of group; repeat for several.",
    ),
    OpenApiParameter(
        "page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, description="From 1."
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": settings.API_MAX_PAGE_SIZE},
        description=f"Results per page, 1 to {settings.API_MAX_PAGE_SIZE} "
        f"(default {settings.API_PAGE_SIZE}).",
    ),
]


def bad_request(*forms, suggestions=()):
    """A 400 listing every bad parameter with its messages and codes."""
    body = invalid_parameters(*forms)
    if suggestions:
        body["suggestions"] = [place.as_dict() for place in suggestions]
    return Response(body, status=400)


class OrganizationList(ReadOnlyView):
    @extend_schema(
        operation_id="searchOrganizations",
        summary="Search groups by place, cause, words, language and kind",
        description="The same search as the site's: with `near`, results come in labelled blocks "
        "(groups covering the place, others within the radius, statewide, national, online), "
        "each with its reason and distance, and the radius is widened when nothing is near. "
        "Without `near`, every published group matching the other parameters, by name.",
        parameters=SEARCH_PARAMETERS,
        responses={200: shapes.SearchSerializer, 400: shapes.BadRequestSerializer},
    )
    def get(self, request):
        """Search, in the same blocks as the HTML search, one page at a time."""
        search = OrganizationSearch(request.GET, queryset=Organization.objects.published())
        paging = api_page_form(request.GET)
        if not (search.is_valid() & paging.is_valid()):
            return bad_request(search.form, paging, suggestions=search.form.place_suggestions)
        start, stop = paging.window()
        if search.place is None:
            body, rows = _listing(search, start, stop)
        else:
            body, rows = _blocks(search.outcome(window=(start, stop)), start, stop)
        pages = page_count(body["count"], paging.size)
        absolute = request.build_absolute_uri
        body.update(
            page=paging.number,
            page_size=paging.size,
            pages=pages,
            next=page_url(request, paging.number + 1) if paging.number < pages else None,
            previous=page_url(request, min(paging.number - 1, pages))
            if paging.number > 1
            else None,
            results=[
                {
                    "block": block,
                    "reason": str(result.reason) if result.reason is not None else None,
                    "distance_miles": (
                        round(result.distance, 1) if result.distance is not None else None
                    ),
                    "organization": shapes.organization_dict(result.organization, absolute),
                }
                for block, result in rows
            ],
        )
        return Response(body)


class _Row:
    """A listed group without a place: no block, reason or distance."""

    __slots__ = ("organization", "reason", "distance")

    def __init__(self, organization):
        self.organization, self.reason, self.distance = organization, None, None


def _listing(search, start, stop):
    """No place: every matching group by name, paged in the database."""
    qs = search.qs.order_by("name", "pk")
    total = caching.count(qs)
    page = list(qs.prefetch_related("causes")[start:stop]) if start < total else []
    body = {
        "place": None,
        "radius": None,
        "requested_radius": None,
        "widened": False,
        "nearest_only": False,
        "notice": "",
        "blocks": [],
        "count": total,
    }
    return body, [(None, _Row(org)) for org in page]


def _blocks(outcome, start, stop):
    """A place: the block search's results in block order; only the page's rows were fetched.

    Each block can be paged through up to SEARCH_BLOCK_MAX rows (its total, capped).
    """
    rows = [(block.key, result) for block in outcome.blocks for result in block.results]
    body = {
        "place": outcome.place.as_dict(),
        "radius": outcome.radius,
        "requested_radius": outcome.requested_radius,
        "widened": outcome.widened,
        "nearest_only": outcome.nearest_only,
        "notice": str(outcome.notice),
        "blocks": [
            {
                "key": block.key,
                "title": str(block.title),
                "total": block.total,
                "count": block.total,
            }
            for block in outcome.blocks
        ],
        "count": sum(block.total for block in outcome.blocks),
    }
    return body, rows


class OrganizationDetail(ReadOnlyView):
    @extend_schema(
        operation_id="getOrganization",
        summary="One published group",
        parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH)],
        responses={200: shapes.OrganizationSerializer, 404: shapes.NotFoundSerializer},
    )
    def get(self, request, slug):
        """One published group, by its slug."""
        org = None
        if "\x00" not in slug:  # PostgreSQL refuses NUL in a query; no slug has one
            org = (
                Organization.objects.published()
                .prefetch_related("causes")
                .filter(slug=slug[:220])
                .first()
            )
        if org is None:
            return Response({"detail": _("There is no published group with that slug.")}, 404)
        return Response(shapes.OrganizationSerializer(org, context={"request": request}).data)


class CategoryList(ReadOnlyView):
    @extend_schema(
        operation_id="listCategories",
        summary="Every cause, with how many groups work on it",
        responses={200: shapes.CategoryListSerializer},
    )
    def get(self, request):
        """Every cause, in the site's order."""
        causes = list(Category.objects.with_counts())
        data = shapes.CategorySerializer(causes, many=True, context={"request": request}).data
        return Response({"count": len(causes), "results": data})


class PlaceForm(forms.Form):
    """What autocomplete reads: some text, and how many places at most."""

    q = forms.CharField(required=False, max_length=SUGGEST_MAX_QUERY)
    limit = WholeNumberField(
        required=False,
        min_value=1,
        max_value=SUGGEST_MAX_LIMIT,
        error_messages={"invalid": _("The limit must be a whole number.")},
    )


class PlaceSuggest(ReadOnlyView):
    @extend_schema(
        operation_id="suggestPlaces",
        summary="Place names and ZIP codes starting with some text, for autocomplete",
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "maxLength": SUGGEST_MAX_QUERY, "pattern": NO_NUL},
                description="At least two characters to get anything back.",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": SUGGEST_MAX_LIMIT},
                description="How many places at most; default 8.",
            ),
        ],
        responses={200: shapes.PlaceListSerializer, 400: shapes.BadRequestSerializer},
    )
    def get(self, request):
        """Places starting with `q`, most populous first."""
        form = PlaceForm(self.parameters(request))
        if not form.is_valid():
            return bad_request(form)
        text, limit = form.cleaned_data["q"], form.cleaned_data["limit"] or 8
        return Response({"results": [p.as_dict() for p in geocoding.suggest(text, limit)]})

    def parameters(self, request):
        return request.GET


@extend_schema(exclude=True)
class SearchBoxPlaces(PlaceSuggest):
    """/places/suggest/, the search box's autocomplete: the same answers, from any text typed.

    A person may type or paste anything: too long a text is cut and NULs dropped, rather than
    the box getting a 400.
    """

    def parameters(self, request):
        return {"q": request.GET.get("q", "").replace("\x00", "")[:SUGGEST_MAX_QUERY]}


class SchemaView(ReadOnlyView, SpectacularAPIView):
    """The OpenAPI 3 document, as JSON."""

    # OpenAPI's own media type first (what */* and no Accept get), then plain JSON, which most
    # HTTP clients and code generators ask for.
    renderer_classes = [OpenApiJsonRenderer, OpenApiJsonRenderer2]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # The same document goes out under two media types: a shared cache must keep them apart.
        patch_vary_headers(response, ["Accept"])
        return response


def docs(request):
    """Human documentation of the API, rendered here from the OpenAPI document (no scripts)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [
        {"path": path, "method": method.upper(), **operation}
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    return render(request, "api/docs.html", {"schema": schema, "operations": operations})


def not_found(request):
    """A JSON 404 for any other address under /api/."""
    return open_to_any_origin(
        JsonResponse({"detail": _("There is nothing at this address.")}, status=404)
    )
