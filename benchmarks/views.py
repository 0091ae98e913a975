"""Two references to measure the real search against: the naive search a first version would
write, and a lower bound that does the least any search could."""

from django.db import connection
from django.http import JsonResponse

from directory import geocoding
from directory.geo import bounding_box, cells
from directory.models import Organization


def naive(request):
    """Published groups with the cause, every one's distance computed in Python, nearest 20.

    Distances are to the public point, as everywhere the public sees one.
    """
    try:
        place = geocoding.geocode(request.GET.get("near", ""))
    except geocoding.PlaceNotFound as error:
        return JsonResponse({"error": str(error)}, status=400)
    groups = Organization.objects.published().filter(causes__slug=request.GET.get("cause", ""))
    ranked = sorted(
        (
            (
                geocoding.haversine_miles(
                    place.latitude, place.longitude, o.public_latitude, o.public_longitude
                ),
                o.pk,
                o,
            )
            for o in groups
            if o.public_latitude is not None
        ),
        key=lambda item: item[:2],
    )
    results = [
        {"name": o.name, "slug": o.slug, "city": o.city, "state": o.state, "miles": round(d, 1)}
        for d, _, o in ranked[:20]
    ]
    return JsonResponse({"near": place.label, "results": results})


BOUND_MILES = 25
BOUND_ROWS = 20


def lower_bound(request):
    """The least a search can cost on this stack: the place looked up, one query of at most 20
    published groups with the cause in the box around it, read from the point index, and those
    rows as JSON. No coverage, ranking, blocks, totals or card: not a search, a floor for one.
    """
    try:
        place = geocoding.geocode(request.GET.get("near", ""))
    except geocoding.PlaceNotFound as error:
        return JsonResponse({"error": str(error)}, status=400)
    south, north, west, east = bounding_box(place.latitude, place.longitude, BOUND_MILES)
    bands = list(cells(west, east))
    sql = (
        "SELECT o.id, o.name, o.slug, o.public_latitude, o.public_longitude "  # noqa: S608
        "FROM directory_organization o WHERE o.status = 'published' "
        f"AND o.cell IN ({', '.join(['%s'] * len(bands))}) "
        "AND o.public_latitude BETWEEN %s AND %s AND o.public_longitude BETWEEN %s AND %s "
        "AND EXISTS (SELECT 1 FROM directory_organization_causes l "
        "JOIN directory_category c ON c.id = l.category_id "
        "WHERE l.organization_id = o.id AND c.slug = %s) LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [*bands, south, north, west, east, request.GET.get("cause", ""), BOUND_ROWS]
        )
        rows = cursor.fetchall()
    results = [
        {"id": pk, "name": name, "slug": slug, "latitude": lat, "longitude": lng}
        for pk, name, slug, lat, lng in rows
    ]
    return JsonResponse({"near": place.label, "results": results})
