"""Give an organization a point from its postal code or city, offline."""

from directory.geocoding import PlaceNotFound, geocode


def locate(org):
    """Fill a missing point from the ZIP or "City, ST"; return True if the point was filled.

    The point is marked approximate: it is the centre of the ZIP or city, not the address.
    """
    if org.has_point:
        return False
    region = org.state if org.country in ("", "US") else org.country
    for text in (org.postal_code, ", ".join(part for part in (org.city, region) if part)):
        if not text:
            continue
        try:
            place = geocode(text)
        except PlaceNotFound:
            continue
        org.latitude, org.longitude = place.latitude, place.longitude
        org.precision = org.Precision.APPROXIMATE
        org.state = org.state or place.state
        return True
    return False
