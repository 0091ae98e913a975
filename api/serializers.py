"""The API's public shapes: every field a client may rely on, and nothing private.

Field names are stable: add fields, never rename or remove one within /api/v1/. The private
contact email, the source of an entry and its status are deliberately absent.
"""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from directory.maps import public_address, public_point, public_precision
from directory.models import Category, Organization


class CauseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name"]


class CategorySerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The cause's page on the site.")
    group_count = serializers.IntegerField(help_text="Published groups working on this cause.")

    class Meta:
        model = Category
        fields = ["slug", "name", "description", "colour", "group_count", "url"]

    def get_url(self, cause) -> str:
        return self.context["request"].build_absolute_uri(cause.get_absolute_url())


class SocialLinkSerializer(serializers.Serializer):
    label = serializers.CharField()
    url = serializers.URLField()


class OrganizationSerializer(serializers.ModelSerializer):
    """One group as the public sees it (its point rounded unless its address is public)."""

    url = serializers.SerializerMethodField(help_text="The group's page on the site.")
    causes = CauseSerializer(many=True, read_only=True)
    address = serializers.SerializerMethodField(help_text="Street address, only when public.")
    latitude = serializers.SerializerMethodField(
        help_text="Rounded to about a kilometre unless the street address is public."
    )
    longitude = serializers.SerializerMethodField(
        help_text="Rounded to about a kilometre unless the street address is public."
    )
    precision = serializers.SerializerMethodField(
        help_text="`exact` only for a public street address; otherwise `approximate`."
    )
    languages = serializers.SerializerMethodField(help_text="ISO 639 codes of meeting languages.")
    social_links = serializers.SerializerMethodField()
    meeting_time = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = [
            "slug",
            "name",
            "url",
            "summary",
            "description",
            "causes",
            "address",
            "city",
            "state",
            "postal_code",
            "country",
            "latitude",
            "longitude",
            "precision",
            "coverage",
            "coverage_radius",
            "website",
            "signup_url",
            "phone",
            "social_links",
            "first_step",
            "meeting_schedule",
            "meeting_frequency",
            "meeting_byday",
            "meeting_time",
            "languages",
            "accessibility",
            "dues_required",
            "childcare",
            "asl",
            "virtual_participation",
            "last_verified",
            "updated",
        ]

    def get_url(self, org) -> str:
        return self.context["request"].build_absolute_uri(org.get_absolute_url())

    def get_address(self, org) -> str | None:
        return public_address(org) or None

    def get_latitude(self, org) -> float | None:
        point = public_point(org)
        return point[0] if point else None

    def get_longitude(self, org) -> float | None:
        point = public_point(org)
        return point[1] if point else None

    def get_precision(self, org) -> str:
        return public_precision(org)

    def get_languages(self, org) -> list[str]:
        return org.language_codes

    # A wall-clock time where the group meets: RFC 3339's "time" would demand a UTC offset.
    @extend_schema_field(
        {
            "type": "string",
            "nullable": True,
            "pattern": r"^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]$",
            "description": "Local start time of meetings, HH:MM:SS, or null.",
        }
    )
    def get_meeting_time(self, org):
        return org.meeting_time.isoformat(timespec="seconds") if org.meeting_time else None

    @extend_schema_field(SocialLinkSerializer(many=True))
    def get_social_links(self, org):
        return [{"label": label, "url": url} for label, url in org.social_link_list]


class PlaceSerializer(serializers.Serializer):
    """Where a search was centred, as the geocoder understood it."""

    label = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    precision = serializers.ChoiceField(choices=["zip", "city", "coordinates"])
    state = serializers.CharField(help_text="US two-letter state code, or empty.")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")
    postal_code = serializers.CharField()


class BlockSerializer(serializers.Serializer):
    key = serializers.ChoiceField(
        choices=["covering", "nearby", "statewide", "national", "online", "elsewhere"]
    )
    title = serializers.CharField()
    total = serializers.IntegerField(help_text="Groups in this block, before any limit.")
    count = serializers.IntegerField(help_text="Groups of this block in `results`, all pages.")


class ResultSerializer(serializers.Serializer):
    block = serializers.CharField(
        allow_null=True, help_text="The key of the block this result belongs to (null: no place)."
    )
    reason = serializers.CharField(allow_null=True, help_text="Why this group is shown.")
    distance_miles = serializers.FloatField(
        allow_null=True, help_text="From the searched place, to a tenth of a mile."
    )
    organization = OrganizationSerializer()


class SearchSerializer(serializers.Serializer):
    """A page of search results with the place, the radius used and the blocks."""

    place = PlaceSerializer(allow_null=True)
    radius = serializers.IntegerField(
        allow_null=True, help_text="Miles actually searched, after any widening."
    )
    requested_radius = serializers.IntegerField(allow_null=True)
    widened = serializers.BooleanField()
    nearest_only = serializers.BooleanField(
        help_text="Nothing was within any radius: these are the nearest groups."
    )
    notice = serializers.CharField(help_text="A sentence explaining a widened search, or empty.")
    blocks = BlockSerializer(many=True)
    count = serializers.IntegerField(help_text="Results across all pages.")
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ResultSerializer(many=True)


class CategoryListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = CategorySerializer(many=True)


class PlaceListSerializer(serializers.Serializer):
    results = PlaceSerializer(many=True)


class ErrorItemSerializer(serializers.Serializer):
    message = serializers.CharField()
    code = serializers.CharField()


class BadRequestSerializer(serializers.Serializer):
    """A 400: each bad parameter with its messages; for an unknown place, close matches."""

    detail = serializers.CharField()
    errors = serializers.DictField(child=ErrorItemSerializer(many=True))
    suggestions = PlaceSerializer(many=True, required=False)


class NotFoundSerializer(serializers.Serializer):
    detail = serializers.CharField()


# The search response is built from plain dicts: the serializers above describe it for the
# OpenAPI document (and a test holds the two equal), but running DRF's field machinery for every
# result cost about 40% of a search.


def cause_dict(cause):
    return {"slug": cause.slug, "name": cause.name}


def organization_dict(org, absolute):
    """One group as OrganizationSerializer shows it; `absolute` turns a path into a URL."""
    point = public_point(org)
    updated = timezone.localtime(org.updated).isoformat() if org.updated else None
    if updated and updated.endswith("+00:00"):
        updated = updated[:-6] + "Z"
    return {
        "slug": org.slug,
        "name": org.name,
        "url": absolute(org.get_absolute_url()),
        "summary": org.summary,
        "description": org.description,
        "causes": [cause_dict(cause) for cause in org.causes.all()],
        "address": public_address(org) or None,
        "city": org.city,
        "state": org.state,
        "postal_code": org.postal_code,
        "country": org.country,
        "latitude": point[0] if point else None,
        "longitude": point[1] if point else None,
        "precision": public_precision(org),
        "coverage": org.coverage,
        "coverage_radius": org.coverage_radius,
        "website": org.website,
        "signup_url": org.signup_url,
        "phone": org.phone,
        "social_links": [{"label": label, "url": url} for label, url in org.social_link_list],
        "first_step": org.first_step,
        "meeting_schedule": org.meeting_schedule,
        "meeting_frequency": org.meeting_frequency,
        "meeting_byday": org.meeting_byday,
        "meeting_time": org.meeting_time.isoformat(timespec="seconds")
        if org.meeting_time
        else None,
        "languages": org.language_codes,
        "accessibility": org.accessibility,
        "dues_required": org.dues_required,
        "childcare": org.childcare,
        "asl": org.asl,
        "virtual_participation": org.virtual_participation,
        "last_verified": org.last_verified.isoformat() if org.last_verified else None,
        "updated": updated,
    }
