"""Read paths for organizations: every public page starts from `published()`."""

import re

from django.db import connections, models
from django.db.models import BooleanField, Count, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from directory.geo import bounding_box, cells, longitude_ranges

# Words are letters and digits; anything else separates them (and cannot reach the index's syntax).
WORD = re.compile(r"\w+")
MAX_WORDS = 12
# Words that fewer groups than this have are looked up first (see matching()).
WORDS_PROBE = 1000
# PostgreSQL's words of a group: a stored tsvector column with a GIN index (migration 0009),
# which the model does not declare (SQLite has its FTS5 table instead).
WORDS_VECTOR = "directory_organization.words"
# Past this many longitude bands a box is read by latitude alone (a continent-wide search).
MAX_CELLS = 400


class OrganizationQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status="published")

    def for_causes(self, categories):
        """Groups working on any of the given causes (no causes: all of them)."""
        if not categories:
            return self
        # A correlated EXISTS rather than a join: no DISTINCT, any ordering still works, and a
        # scan in index order (nearest, or by name) stops as soon as it has enough rows.
        links = self.model.causes.through.objects.filter(
            organization_id=OuterRef("pk"), category__in=[c.pk for c in categories]
        )
        return self.filter(Exists(links))

    def matching(self, words):
        """Groups with every word (or a word starting with it) in their name, summary,
        description or city, through the full-text index of migration 0004.

        Rare words are looked up first: when at most WORDS_PROBE groups have them, the search
        goes on among those few, by id. Common words are matched by the index within each query
        the search makes (their cost grows with how many groups have them; docs/benchmarks.md).
        Both ways match the same groups.
        """
        tokens = WORD.findall(words.lower())[:MAX_WORDS]
        if not tokens:
            return self
        if self.db_vendor() == "postgresql":
            query = " & ".join(f"{token}:*" for token in tokens)
            # The words travel as a parameter; the SQL around them is a constant.
            test = Q(
                RawSQL(  # noqa: S611
                    f"{WORDS_VECTOR} @@ to_tsquery('simple', %s)", [query], BooleanField()
                )
            )
        else:
            query = " ".join(f'"{token}"*' for token in tokens)
            test = Q(
                pk__in=RawSQL(  # noqa: S611 (a constant, with the words as a parameter)
                    "SELECT rowid FROM directory_organization_words "
                    "WHERE directory_organization_words MATCH %s",
                    [query],
                )
            )
        probe = self.model.objects.using(self.db).filter(test).order_by()
        few = list(probe.values_list("pk", flat=True)[: WORDS_PROBE + 1])
        if len(few) <= WORDS_PROBE:
            return self.filter(pk__in=few)
        return self.filter(test)

    def db_vendor(self):
        return connections[self.db].vendor

    def speaking(self, language):
        """Groups that meet in the given language (a validated ISO code)."""
        if not language:
            return self
        return self.filter(languages__regex=rf"(^|,){language}(,|$)")

    def with_coverage(self, kinds):
        return self.filter(coverage__in=kinds) if kinds else self

    def in_box(self, latitude, longitude, miles, inside=None):
        """Groups whose public point is in the bounding box of a circle (and, with `inside`, not
        in the box of that smaller circle: a ring). Reads the search index only.
        """
        ring = self.filter(_box_q(latitude, longitude, miles))
        return ring.exclude(_box_q(latitude, longitude, inside)) if inside else ring

    def placed(self):
        """Local and regional groups: the ones a distance and a coverage radius apply to."""
        return self.filter(coverage__in=["local", "regional"], public_latitude__isnull=False)

    def statewide(self, state, country):
        return self.filter(coverage="statewide", state=state, country=country or "US")

    def national(self, country):
        return self.filter(coverage="national", country=country)

    def online(self):
        return self.filter(coverage="online")


def _box_q(latitude, longitude, miles):
    south, north, west, east = bounding_box(latitude, longitude, miles)
    area = Q()
    for low, high in longitude_ranges(west, east):
        band = Q(public_longitude__gte=low, public_longitude__lte=high)
        bands = cells(low, high)
        if len(bands) <= MAX_CELLS:
            band &= Q(cell__in=list(bands))
        area |= band
    return Q(public_latitude__gte=south, public_latitude__lte=north) & area


class CategoryQuerySet(models.QuerySet):
    def with_counts(self):
        """Each cause with `group_count`, the number of published groups working on it."""
        # A GROUP BY query drops Meta.ordering, so the curators' order is asked for again.
        return self.annotate(
            group_count=Count("organizations", filter=Q(organizations__status="published"))
        ).order_by(*self.model._meta.ordering)
