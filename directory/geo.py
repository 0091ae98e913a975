"""The directory's geometry: great-circle distances, bounding boxes and the public point.

One home for the maths that the geocoder, the search, the HSDS API and the duplicate finder share.
"""

import math

from django.db import models

EARTH_RADIUS_MILES = 3958.8
# One degree of latitude, in miles (a degree of longitude is this times cos(latitude)).
MILES_PER_DEGREE = 69.05
# Without a public street address, a group's point is published only to two decimals (about a
# kilometre), so no answer of the site depends on where an organizer really is.
PRIVATE_POINT_DECIMALS = 2
# A sensitive entry (a group at risk of harassment) is published at about city level: one decimal,
# a cell about 11 km north to south, whatever its address and however exact its point.
SENSITIVE_POINT_DECIMALS = 1
# The search index's longitude bands: a tenth of a degree wide (about 5 miles in the US).
CELLS_PER_DEGREE = 10


def haversine_miles(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in miles between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(latitude, longitude, miles):
    """The lat/lng rectangle that contains every point within `miles` of the centre.

    A cheap, index-friendly prefilter: the exact distance is computed afterwards on the few
    candidates it lets through. The west and east edges may pass ±180 (see `longitude_ranges`).
    """
    dlat = miles / MILES_PER_DEGREE
    # Near the poles a degree of longitude shrinks to nothing; take the whole circle there.
    cos_lat = math.cos(math.radians(min(abs(latitude) + dlat, 90.0)))
    dlng = 180.0 if cos_lat < 1e-6 else miles / (MILES_PER_DEGREE * cos_lat)
    dlng = min(dlng, 180.0)
    return (
        max(latitude - dlat, -90.0),
        min(latitude + dlat, 90.0),
        longitude - dlng,
        longitude + dlng,
    )


def box_reach(latitude, longitude, miles):
    """How far from the centre the farthest point of its `bounding_box` lies, in miles, or None
    where the box holds a pole or half the longitudes (then it may reach anywhere).

    A box narrower than that is farthest at a corner: along a parallel the distance grows with
    the longitude, and along a meridian it has no maximum between the ends.
    """
    south, north, west, east = bounding_box(latitude, longitude, miles)
    if east - west >= 180 or south <= -90 or north >= 90:
        return None
    corners = [(lat, lng) for lat in (south, north) for lng in (west, east)]
    farthest = max(haversine_miles(latitude, longitude, lat, lng) for lat, lng in corners)
    return farthest * (1 + 1e-9) + 1e-6  # never short of a point on the edge by rounding


def longitude_ranges(west, east):
    """The box's longitudes as one or two ranges within [-180, 180] (split at the antimeridian)."""
    if east - west >= 360:
        return [(-180.0, 180.0)]
    if west < -180:
        return [(west + 360, 180.0), (-180.0, east)]
    if east > 180:
        return [(west, 180.0), (-180.0, east - 360)]
    return [(west, east)]


def cells(west, east):
    """The longitude bands a range touches (a superset: ties in rounding fall either way)."""
    return range(math.floor(west * CELLS_PER_DEGREE), math.ceil(east * CELLS_PER_DEGREE) + 1)


class RoundTo(models.Func):
    """ROUND(x, places) for a float column on both databases (PostgreSQL rounds only numerics)."""

    arity = 1
    output_field = models.FloatField()

    def __init__(self, expression, places):
        self.places = int(places)
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template=f"ROUND(%(expressions)s, {self.places})",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template=(
                f"CAST(ROUND(CAST(%(expressions)s AS numeric), {self.places}) AS double precision)"
            ),
            **extra_context,
        )


def public_coordinate(name):
    """The public value of a coordinate column: exact only for a public exact address, and
    coarse (city level) for a sensitive entry whatever else it says."""
    return models.Case(
        models.When(sensitive=True, then=RoundTo(models.F(name), SENSITIVE_POINT_DECIMALS)),
        models.When(models.Q(precision="exact", address_public=True), then=models.F(name)),
        default=RoundTo(models.F(name), PRIVATE_POINT_DECIMALS),
        output_field=models.FloatField(),
    )
