"""The database's check constraints on an organization, in Python, to name the row and field.

The constraints themselves are Organization.Meta.constraints (directory/models.py), and the
database still enforces them; this mirror gives a bulk write (the CSV import) a message per row
before it writes. tests/test_constraints.py checks that both refuse the same rows.
"""

from django.utils.translation import gettext as _

from directory.models import COVERAGE_RADIUS_MAX, Organization


def constraint_errors(org):
    """[(field, message)] for each of the database's check constraints `org` fails."""
    errors = []
    if (org.latitude is None) != (org.longitude is None):
        errors.append(("latitude", _("Give both latitude and longitude, or neither.")))
    if org.latitude is not None and not -90 <= org.latitude <= 90:
        errors.append(("latitude", _("Latitude must be between -90 and 90.")))
    if org.longitude is not None and not -180 <= org.longitude <= 180:
        errors.append(("longitude", _("Longitude must be between -180 and 180.")))
    if org.coverage_radius is not None and not 1 <= org.coverage_radius <= COVERAGE_RADIUS_MAX:
        errors.append(
            (
                "coverage_radius",
                _("The coverage radius must be 1 to %(max)s miles.") % {"max": COVERAGE_RADIUS_MAX},
            )
        )
    if org.status == Organization.Status.PUBLISHED:
        if org.coverage in ("local", "regional") and (
            org.latitude is None or org.coverage_radius is None
        ):
            errors.append(
                (
                    "coverage_radius" if org.latitude is not None else "postal_code",
                    _(
                        "A published local or regional group needs a place (a ZIP, a city or "
                        "coordinates) and a coverage radius."
                    ),
                )
            )
        if org.coverage == "statewide" and not org.state:
            errors.append(("state", _("A published statewide group needs its state.")))
    return errors
