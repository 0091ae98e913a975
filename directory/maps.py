"""What the map script needs, as data for json_script: tiles, attribution and markers."""

from django.conf import settings

from directory.geo import haversine_miles


def public_point(org):
    """The group's point as the public may see it (computed by the database), or None."""
    if not org.is_placed:
        return None
    return org.public_latitude, org.public_longitude


def distance_miles(place, org):
    """How far the group is from the place, measured to its public point (so repeated
    searches from different places cannot pin down a private address)."""
    latitude, longitude = public_point(org)
    return haversine_miles(place.latitude, place.longitude, latitude, longitude)


def map_config(items):
    """Map settings and one marker per placed group; items are organizations or search results."""
    markers = []
    for item in items:
        org = getattr(item, "organization", item)
        point = public_point(org)
        if point:
            markers.append(
                {"name": org.name, "url": org.get_absolute_url(), "lat": point[0], "lng": point[1]}
            )
    return {
        "tiles": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "markers": markers,
    }
