"""Read paths for organizations: every public page starts from `published()`."""

import math

from django.db import models
from django.db.models import Count, Q

MILES_PER_DEGREE_LATITUDE = 69.05


def bounding_box(latitude, longitude, miles):
    """The lat/lng rectangle that contains every point within `miles` of the centre.

    A cheap, index-friendly prefilter: the exact distance is computed afterwards on the few
    candidates it lets through.
    """
    dlat = miles / MILES_PER_DEGREE_LATITUDE
    # Near the poles a degree of longitude shrinks to nothing; take the whole circle there.
    cos_lat = math.cos(math.radians(min(abs(latitude) + dlat, 90.0)))
    dlng = 180.0 if cos_lat < 1e-6 else miles / (MILES_PER_DEGREE_LATITUDE * cos_lat)
    return (
        max(latitude - dlat, -90.0),
        min(latitude + dlat, 90.0),
        longitude - dlng,
        longitude + dlng,
    )


class OrganizationQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status="published")

    def for_causes(self, categories):
        """Groups working on any of the given causes (no causes: all of them)."""
        if not categories:
            return self
        # A subquery rather than a join, so no DISTINCT is needed and any ordering still works.
        links = self.model.causes.through.objects.filter(category__in=list(categories))
        return self.filter(pk__in=links.values("organization_id"))

    def matching(self, words):
        """Groups whose name, summary or description contain every word."""
        qs = self
        for word in words.split():
            qs = qs.filter(
                Q(name__icontains=word)
                | Q(summary__icontains=word)
                | Q(description__icontains=word)
                | Q(city__icontains=word)
            )
        return qs

    def speaking(self, language):
        """Groups that meet in the given language (a validated ISO code)."""
        if not language:
            return self
        return self.filter(languages__regex=rf"(^|,){language}(,|$)")

    def with_coverage(self, kinds):
        return self.filter(coverage__in=kinds) if kinds else self

    def in_box(self, latitude, longitude, miles):
        """Groups with a point inside the bounding box of a circle; uses the lat/lng index."""
        south, north, west, east = bounding_box(latitude, longitude, miles)
        qs = self.filter(latitude__gte=south, latitude__lte=north)
        if west < -180 or east > 180:
            # The box crosses the antimeridian: wrap it into two longitude ranges.
            west_wrapped, east_wrapped = (west + 360, east) if west < -180 else (west, east - 360)
            return qs.filter(Q(longitude__gte=west_wrapped) | Q(longitude__lte=east_wrapped))
        return qs.filter(longitude__gte=west, longitude__lte=east)

    def placed(self):
        """Local and regional groups: the ones a distance and a coverage radius apply to."""
        return self.filter(coverage__in=["local", "regional"], latitude__isnull=False)

    def beyond_place(self, state, country):
        """Statewide groups of the state, national groups of the country, and online groups."""
        area = Q(coverage="online")
        if country:
            area |= Q(coverage="national", country=country)
        if state:
            area |= Q(coverage="statewide", state=state, country=country or "US")
        return self.filter(area)


class CategoryQuerySet(models.QuerySet):
    def with_counts(self):
        """Each cause with `group_count`, the number of published groups working on it."""
        return self.annotate(
            group_count=Count("organizations", filter=Q(organizations__status="published"))
        )
