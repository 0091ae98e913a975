"""What the public may see of where a group is, and what the map script needs, as data for
json_script: tiles, attribution and markers."""

from django.conf import settings

from directory.geo import haversine_miles


def public_point(org):
    """The group's point as the public may see it (computed by the database), or None."""
    if not org.is_placed:
        return None
    return org.public_latitude, org.public_longitude


def public_address(org):
    """The street address as the public may see it: only when public, never for a sensitive
    entry (a group at risk is shown at city level only), else an empty string."""
    if org.sensitive or not org.address_public:
        return ""
    return org.address


def public_precision(org):
    """ "exact" when the public point is the group's own (a public exact address), else
    "approximate": the same rule as the database's public_coordinate()."""
    exact = org.precision == org.Precision.EXACT and org.address_public and not org.sensitive
    return "exact" if exact else "approximate"


def marker_point(org):
    """Where a map or an open-data location may pin the group: its public point, and nothing
    for a sensitive entry, which is placed by its city and its distance only."""
    return None if org.sensitive else public_point(org)


def distance_miles(place, org):
    """How far the group is from the place, measured to its public point (so repeated
    searches from different places cannot pin down a private address)."""
    latitude, longitude = public_point(org)
    return haversine_miles(place.latitude, place.longitude, latitude, longitude)


def map_config(items):
    """Map settings and one marker per placed group that is not sensitive; items are
    organizations or search results."""
    markers = []
    for item in items:
        org = getattr(item, "organization", item)
        point = marker_point(org)
        if point:
            markers.append(
                {"name": org.name, "url": org.get_absolute_url(), "lat": point[0], "lng": point[1]}
            )
    return {
        "tiles": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "markers": markers,
    }
