"""Directory entries as HSDS 3.0 documents.

Each group is one HSDS organization offering one service ("how to join") at one location
(physical, or virtual for online groups). Causes are terms of the `orgsite` taxonomy and the
directory's own details (coverage, newcomer flags, social links) terms of `orgsite-details`, both
attached to the service through attributes. The private contact email is never exported; a
street address only when it is public, and a point rounded to about a kilometre otherwise; a
sensitive entry has no point and no street address here, and the export package leaves it out.
Empty values are left out, as HSDS asks.
"""

import datetime

from django.conf import settings
from django.db.models import Prefetch
from django.utils import translation

from directory.maps import marker_point, public_address, public_precision
from directory.models import MEETING_LANGUAGES, Category, Organization
from hsds import ids
from hsds.ids import CAUSES_TAXONOMY, DETAILS_TAXONOMY

HSDS_VERSION = "3.0"
HSDS_OPENAPI_URL = (
    "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"
)
HSDS_PROFILE_URL = "https://docs.openreferral.org/en/latest/hsds/overview.html"

STATUS_TO_HSDS = {
    Organization.Status.PUBLISHED: "active",
    Organization.Status.INACTIVE: "temporarily closed",
    Organization.Status.PENDING: "inactive",
    Organization.Status.ARCHIVED: "defunct",
}
FLAGS = {
    "dues-required": "dues_required",
    "childcare": "childcare",
    "asl": "asl",
    "virtual-participation": "virtual_participation",
}
# The `orgsite-details` taxonomy: what the directory knows that HSDS has no field for.
DETAIL_TERMS = {
    "coverage": "The area a group works in: local, regional, statewide, national or online.",
    "coverage-radius": "For local and regional groups: miles from their base that they cover.",
    "precision": "Whether the location's point is exact or approximate.",
    "city": "The group's city, when the location has no complete public address.",
    "state": "The group's state or region, when the location has no complete public address.",
    "postal-code": "The group's postal code, when the location has no complete public address.",
    "country": "The group's country (ISO 3166-1 alpha-2), when there is no complete address.",
    "dues-required": "Members pay dues.",
    "childcare": "Childcare is offered at meetings.",
    "asl": "ASL interpretation is offered at meetings.",
    "virtual-participation": "People can take part online.",
    "social-link": "A page of the group on a social network.",
}
TAXONOMIES = {
    CAUSES_TAXONOMY: "Causes people can search the orgsite directory by.",
    DETAILS_TAXONOMY: "Details of an orgsite directory entry that HSDS has no field for.",
}


def exportable():
    """Published groups with what their documents need, in a fixed number of queries."""
    return (
        Organization.objects.published()
        .select_related("hsds_record")
        .prefetch_related(Prefetch("causes", queryset=Category.objects.order_by("slug")))
        .order_by("slug")
    )


def _clean(mapping):
    """Leave out empty values: HSDS omits what is not known."""
    return {key: value for key, value in mapping.items() if value not in ("", None, [], {})}


def _absolute(path):
    return settings.SITE_URL + path


# --- Taxonomies. ---


def taxonomy_doc(name):
    return {
        "id": str(ids.taxonomy(name)),
        "name": name,
        "description": TAXONOMIES[name],
        "uri": _absolute("/causes/") if name == CAUSES_TAXONOMY else _absolute("/api/docs/"),
        "version": "1",
    }


def cause_term(category):
    return _clean(
        {
            "id": str(ids.term(CAUSES_TAXONOMY, category.slug)),
            "code": category.slug,
            "name": category.name,
            # HSDS requires a description; a cause without one is described by its name.
            "description": category.description or category.name,
            "taxonomy": CAUSES_TAXONOMY,
            "taxonomy_id": str(ids.taxonomy(CAUSES_TAXONOMY)),
            "term_uri": _absolute(category.get_absolute_url()),
        }
    )


def detail_term(code):
    return {
        "id": str(ids.term(DETAILS_TAXONOMY, code)),
        "code": code,
        "name": code,
        "description": DETAIL_TERMS[code],
        "taxonomy": DETAILS_TAXONOMY,
        "taxonomy_id": str(ids.taxonomy(DETAILS_TAXONOMY)),
    }


def taxonomy_terms(categories):
    """Every term of both taxonomies: the causes, then the details."""
    return [cause_term(c) for c in categories] + [detail_term(code) for code in DETAIL_TERMS]


# --- One entry. ---


def _details(org):
    """(code, value) pairs of the `orgsite-details` attributes of an entry."""
    pairs = [("coverage", org.coverage)]
    if not _has_full_address(org):
        # Without a complete public address, the place's parts travel as details.
        pairs += [
            (code, value)
            for code, value in (
                ("city", org.city),
                ("state", org.state),
                ("postal-code", org.postal_code),
                ("country", org.country),
            )
            if value
        ]
    if org.coverage_radius:
        pairs.append(("coverage-radius", str(org.coverage_radius)))
    if marker_point(org):
        pairs.append(("precision", public_precision(org)))
    pairs += [(code, "true") for code, field in FLAGS.items() if getattr(org, field)]
    pairs += [("social-link", url) for _label, url in org.social_link_list]
    return pairs


def _has_full_address(org):
    """HSDS requires every part of an address; a private street address is never exported."""
    parts = (org.address, org.city, org.state, org.postal_code, org.country)
    return bool(public_address(org)) and all(parts)


def attributes(org, service_id):
    """The service's attributes: one per cause, then one per detail."""
    result = []
    for category in org.causes.all():
        term = cause_term(category)
        result.append(
            {
                "id": str(ids.child(service_id, f"attribute:cause:{category.slug}")),
                "link_id": str(service_id),
                "taxonomy_term_id": term["id"],
                "link_type": "cause",
                "link_entity": "service",
                "taxonomy_term": term,
            }
        )
    for code, value in _details(org):
        term = detail_term(code)
        # Named by what it is, not where it stands, so adding one detail renames no other;
        # social links, the one detail that repeats, are told apart by their URL.
        key = f"{code}:{value}" if code == "social-link" else code
        result.append(
            {
                "id": str(ids.child(service_id, f"attribute:detail:{key}")),
                "link_id": str(service_id),
                "taxonomy_term_id": term["id"],
                "link_type": "detail",
                "link_entity": "service",
                "value": value,
                "taxonomy_term": term,
            }
        )
    return result


def organization_basic(org):
    """The organization's one-to-one fields."""
    org_id = ids.organization_id(org)
    return _clean(
        {
            "id": str(org_id),
            "name": org.name,
            # HSDS requires a description; fall back to the summary, then the name.
            "description": org.description or org.summary or org.name,
            "website": org.website,
            "logo": _absolute(org.logo.url) if org.logo else "",
            "uri": _absolute(org.get_absolute_url()),
        }
    )


def organization_identifiers(org):
    org_id = ids.organization_id(org)
    return [
        {
            "id": str(ids.child(org_id, "identifier:slug")),
            "organization_id": str(org_id),
            "identifier_scheme": "orgsite",
            "identifier_type": "slug",
            "identifier": org.slug,
        }
    ]


def location(org):
    """Where the group meets: a physical place, or a virtual one for online groups."""
    org_id = ids.organization_id(org)
    location_id = ids.child(org_id, "location")
    online = org.coverage == Organization.Coverage.ONLINE
    point = marker_point(org)
    addresses = []
    if _has_full_address(org):
        addresses.append(
            {
                "id": str(ids.child(org_id, "address")),
                "location_id": str(location_id),
                "address_1": org.address,
                "city": org.city,
                "state_province": org.state,
                "postal_code": org.postal_code,
                "country": org.country,
                "address_type": "physical",
            }
        )
    doc = {
        "id": str(location_id),
        "location_type": "virtual" if online else "physical",
        "url": org.website if online else "",
        "organization_id": str(org_id),
        "name": org.place_label or org.name,
        "latitude": point[0] if point else None,
        "longitude": point[1] if point else None,
        "addresses": addresses,
    }
    if org.accessibility:
        doc["accessibility"] = [
            {
                "id": str(ids.child(org_id, "accessibility")),
                "location_id": str(location_id),
                "description": org.accessibility,
            }
        ]
    return _clean(doc)


def _schedules(org, service_id):
    if not (org.meeting_schedule or org.meeting_frequency or org.meeting_time):
        return []
    return [
        _clean(
            {
                "id": str(ids.child(service_id, "schedule")),
                "service_id": str(service_id),
                "freq": org.meeting_frequency,
                "byday": org.meeting_byday,
                "opens_at": org.meeting_time.isoformat() if org.meeting_time else "",
                "description": org.meeting_schedule,
            }
        )
    ]


def _languages(org, service_id):
    with translation.override("en"):
        names = {code: str(name) for code, name in MEETING_LANGUAGES}
    return [
        _clean(
            {
                "id": str(ids.child(service_id, f"language:{code}")),
                "service_id": str(service_id),
                "name": names.get(code, ""),
                "code": code,
            }
        )
        for code in org.language_codes
    ]


def _service_area(org, service_id):
    if org.coverage in ("local", "regional") and org.coverage_radius and org.place_label:
        name = f"Within {org.coverage_radius} miles of {org.place_label}"
    elif org.coverage == "statewide" and org.state:
        name = f"Statewide: {org.state}"
    elif org.coverage == "national":
        name = f"Nationwide: {org.country}"
    elif org.coverage == "online":
        name = "Online"
    else:
        return []
    return [
        {
            "id": str(ids.child(service_id, "service_area")),
            "service_id": str(service_id),
            "name": name,
        }
    ]


def service_basic(org):
    """The service's one-to-one fields: how to join the group."""
    org_id = ids.organization_id(org)
    service_id = ids.child(org_id, "service")
    return _clean(
        {
            "id": str(service_id),
            "organization_id": str(org_id),
            "name": org.name,
            "description": org.summary,
            "url": org.signup_url,
            "status": STATUS_TO_HSDS[org.status],
            "application_process": org.first_step,
            "assured_date": org.last_verified.isoformat() if org.last_verified else "",
            "last_modified": org.updated.astimezone(datetime.UTC).isoformat(),
        }
    )


def service_at_location_basic(org):
    org_id = ids.organization_id(org)
    return {
        "id": str(ids.child(org_id, "service_at_location")),
        "service_id": str(ids.child(org_id, "service")),
        "location_id": str(ids.child(org_id, "location")),
    }


def location_basic(org):
    """The location's one-to-one fields, as a list nests it (no addresses or accessibility)."""
    return {k: v for k, v in location(org).items() if k not in ("addresses", "accessibility")}


def service(org, with_organization=True, with_locations=True):
    """The fully nested service (compiled/service.json).

    Nested in a service at a location, it leaves out its `service_at_locations`: the schema
    there has no such property (the one it is in is the link).
    """
    doc = service_basic(org)
    service_id = ids.parse(doc["id"])
    if org.phone:
        doc["phones"] = [
            {
                "id": str(ids.child(service_id, "phone")),
                "service_id": doc["id"],
                "number": org.phone,
                "type": "voice",
            }
        ]
    doc.update(
        _clean(
            {
                "schedules": _schedules(org, service_id),
                "service_areas": _service_area(org, service_id),
                "service_at_locations": (
                    [{**service_at_location_basic(org), "location": location(org)}]
                    if with_locations
                    else []
                ),
                "languages": _languages(org, service_id),
                "attributes": attributes(org, service_id),
            }
        )
    )
    if with_organization:
        doc["organization"] = organization_basic(org)
    return doc


def service_list_item(org):
    """A service in a list: one-to-one fields and its organization (compiled/service_list)."""
    return {**service_basic(org), "organization": organization_basic(org)}


def organization(org, full_service=False):
    """The fully nested organization (compiled/organization.json)."""
    services = [service(org, with_organization=False) if full_service else service_basic(org)]
    return {
        **organization_basic(org),
        "services": services,
        "locations": [location(org)],
        "organization_identifiers": organization_identifiers(org),
    }


def service_at_location(org):
    """The fully nested service at a location (compiled/service_at_location.json)."""
    return {
        **service_at_location_basic(org),
        "location": location(org),
        "service": service(org, with_locations=False),
    }


def service_at_location_list_item(org):
    """A service at a location in a list: one-to-one fields of both (service_at_location_list)."""
    return {
        **service_at_location_basic(org),
        "location": location_basic(org),
        "service": service_basic(org),
    }
