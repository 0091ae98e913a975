"""The naive reference: the search a first version would write, to measure the real one against."""

from django.http import JsonResponse

from directory import geocoding
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
