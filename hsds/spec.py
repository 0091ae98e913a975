"""What the directory knows of HSDS 3.0 by itself, without the official schema files.

The kinds of document and the keys each may carry (to tell a taxonomy from an organization), the
fields the importer reads and how it checks them, and the tables of the tabular package it reads
and writes. Names, types, column order and links follow the HSDS 3.0 specification (Human
Services Data Specification, an Open Referral resource, https://openreferral.org/); the official
files themselves are not copied here, and tests check this page against them where they are
present (docs/hsds.md).
"""

from collections import namedtuple

# --- Kinds of document: the top-level keys each may carry. ---


def _words(text):
    return set(text.split())


KEYS = {
    "organization": _words(
        "id name alternate_name description email website tax_status tax_id year_incorporated "
        "legal_status logo uri parent_organization_id funding contacts phones locations programs "
        "organization_identifiers attributes metadata services"
    ),
    "service": _words(
        "id organization_id program_id name alternate_name description url email status "
        "interpretation_services application_process fees_description wait_time fees "
        "accreditations eligibility_description minimum_age maximum_age assured_date "
        "assurer_email licenses alert last_modified phones schedules service_areas "
        "service_at_locations languages organization funding cost_options program "
        "required_documents contacts attributes metadata"
    ),
    "service_at_location": _words(
        "id service_id location_id description contacts phones schedules location attributes "
        "metadata service"
    ),
    "location": _words(
        "id location_type url organization_id name alternate_name description transportation "
        "latitude longitude external_identifier external_identifier_type languages addresses "
        "contacts accessibility phones schedules attributes metadata"
    ),
    "taxonomy": _words("id name description uri version metadata"),
    "taxonomy_term": _words(
        "id code name description parent_id taxonomy taxonomy_detail language taxonomy_id "
        "term_uri metadata"
    ),
}
# On a tie, the first kind wins: a document with only an id, a name and a description is an
# organization (the one kind HSDS lets be that small that the directory imports).
KIND_ORDER = list(KEYS)
# The keys that only one kind has.
DISTINCT = {
    kind: keys - set().union(*(other for name, other in KEYS.items() if name != kind))
    for kind, keys in KEYS.items()
}
KIND_NAMES = {
    "organization": ("an organization", "organizations"),
    "service": ("a service", "services"),
    "service_at_location": ("a service at a location", "services at locations"),
    "location": ("a location", "locations"),
    "taxonomy": ("a taxonomy", "taxonomies"),
    "taxonomy_term": ("a taxonomy term", "taxonomy terms"),
}
IMPORTABLE = ("organization", "service", "service_at_location")


# --- The fields the importer reads, and what each must be. ---

Field = namedtuple("Field", "type required choices kind", defaults=(False, (), ""))


def _text(required=False):
    return Field("text", required)


def _uuid(required=False):
    return Field("uuid", required)


def _many(kind):
    return Field("many", kind=kind)


def _one(kind):
    return Field("one", kind=kind)


URI = Field("uri")
EMAIL = Field("email")
NUMBER = Field("number")
DATETIME = Field("datetime")
STATUSES = ("active", "inactive", "defunct", "temporarily closed")
PLACE_TYPES = ("physical", "postal", "virtual")

# Fields the directory does not use are not checked: the official layer, when configured, does.
FIELDS = {
    "organization": {
        "id": _uuid(True),
        "name": _text(True),
        "description": _text(True),
        "email": EMAIL,
        "website": URI,
        "logo": _text(),
        "uri": URI,
        "phones": _many("phone"),
        "locations": _many("location"),
        "organization_identifiers": _many("organization_identifier"),
        "services": _many("service"),
    },
    "service": {
        "id": _uuid(True),
        "organization_id": _uuid(),
        "name": _text(True),
        "description": _text(),
        "url": URI,
        "email": EMAIL,
        "status": Field("choice", True, STATUSES),
        "application_process": _text(),
        "assured_date": _text(),
        "last_modified": DATETIME,
        "phones": _many("phone"),
        "schedules": _many("schedule"),
        "service_areas": _many("service_area"),
        "service_at_locations": _many("service_at_location"),
        "languages": _many("language"),
        "organization": _one("organization"),
        "attributes": _many("attribute"),
    },
    "service_at_location": {
        "id": _uuid(True),
        "service_id": _uuid(),
        "location_id": _uuid(),
        "location": _one("location"),
        "service": _one("service"),
    },
    "location": {
        "id": _uuid(True),
        "location_type": Field("choice", True, PLACE_TYPES),
        "url": URI,
        "organization_id": _uuid(),
        "name": _text(),
        "latitude": NUMBER,
        "longitude": NUMBER,
        "addresses": _many("address"),
        "accessibility": _many("accessibility"),
        "phones": _many("phone"),
        "languages": _many("language"),
        "schedules": _many("schedule"),
    },
    "address": {
        "id": _uuid(True),
        "location_id": _uuid(),
        "address_1": _text(True),
        "city": _text(True),
        "state_province": _text(True),
        "postal_code": _text(True),
        "country": _text(True),
        "address_type": Field("choice", True, PLACE_TYPES),
    },
    "accessibility": {"id": _uuid(True), "location_id": _uuid(), "description": _text()},
    "phone": {
        "id": _uuid(True),
        "service_id": _uuid(),
        "location_id": _uuid(),
        "organization_id": _uuid(),
        "number": _text(True),
    },
    "schedule": {
        "id": _uuid(True),
        "service_id": _uuid(),
        "location_id": _uuid(),
        "freq": Field("choice", False, ("WEEKLY", "MONTHLY")),
        "byday": _text(),
        "opens_at": _text(),
        "description": _text(),
    },
    "service_area": {"id": _uuid(True), "service_id": _uuid(), "name": _text()},
    "language": {
        "id": _uuid(True),
        "service_id": _uuid(),
        "location_id": _uuid(),
        "name": _text(),
        "code": _text(),
    },
    "attribute": {
        "id": _uuid(True),
        "link_id": _uuid(),
        "taxonomy_term_id": _uuid(),
        "value": _text(),
        "taxonomy_term": _one("taxonomy_term"),
    },
    "taxonomy_term": {
        "id": _uuid(True),
        "code": _text(),
        "name": _text(True),
        "description": _text(True),
        "taxonomy": _text(),
        "taxonomy_id": _uuid(),
        "taxonomy_detail": _one("taxonomy"),
    },
    "taxonomy": {
        "id": _uuid(True),
        "name": _text(True),
        "description": _text(True),
        "uri": URI,
        "version": _text(),
    },
    "organization_identifier": {
        "id": _uuid(True),
        "organization_id": _uuid(),
        "identifier_scheme": _text(),
        "identifier_type": _text(True),
        "identifier": _text(True),
    },
}


# --- The tabular package: the tables the directory reads and writes. ---

# resource: (file, columns in order; a column is text unless ":type" says otherwise)
_TABLES = {
    "organization": (
        "organizations.csv",
        "id name alternate_name description email website tax_status tax_id "
        "year_incorporated:number legal_status logo uri parent_organization_id",
    ),
    "service": (
        "services.csv",
        "id organization_id program_id name alternate_name description url email status "
        "interpretation_services application_process fees_description wait_time fees "
        "accreditations eligibility_description minimum_age:number maximum_age:number "
        "assured_date:date assurer_email licenses alert last_modified:datetime",
    ),
    "attribute": (
        "attributes.csv",
        "id link_id taxonomy_term_id link_type link_entity value",
    ),
    "service_at_location": (
        "service_at_location.csv",
        "id service_id location_id description",
    ),
    "location": (
        "locations.csv",
        "id location_type url organization_id name alternate_name description transportation "
        "latitude:number longitude:number external_identifier external_identifier_type",
    ),
    "phone": (
        "phones.csv",
        "id location_id service_id organization_id contact_id service_at_location_id number "
        "extension:number type description",
    ),
    "address": (
        "addresses.csv",
        "id location_id attention address_1 address_2 city region state_province postal_code "
        "country address_type",
    ),
    "schedule": (
        "schedules.csv",
        "id service_id location_id service_at_location_id valid_from:date valid_to:date "
        "dtstart:date timezone:number until:date count:number wkst freq interval:number byday "
        "byweekno bymonthday byyearday description opens_at:time closes_at:time schedule_link "
        "attending_type notes",
    ),
    "service_area": (
        "service_areas.csv",
        "id service_id name description extent extent_type uri",
    ),
    "language": (
        "languages.csv",
        "id service_id location_id phone_id name code note",
    ),
    "accessibility": (
        "accessibility.csv",
        "id location_id description details url",
    ),
    "taxonomy_term": (
        "taxonomy_terms.csv",
        "id code name description parent_id taxonomy language taxonomy_id term_uri",
    ),
    "organization_identifier": (
        "organization_identifiers.csv",
        "id organization_id identifier_scheme identifier_type identifier",
    ),
    "taxonomy": (
        "taxonomies.csv",
        "id name description uri version",
    ),
}
Table = namedtuple("Table", "name path columns")
TABLES = {
    name: Table(
        name,
        path,
        {
            column.partition(":")[0]: column.partition(":")[2] or "string"
            for column in columns.split()
        },
    )
    for name, (path, columns) in _TABLES.items()
}
# Which table each link column points at. An attribute's `link_id` points at the table its
# `link_entity` names.
LINKS = {
    "service": {"organization_id": "organization"},
    "service_at_location": {"service_id": "service", "location_id": "location"},
    "location": {"organization_id": "organization"},
    "phone": {
        "location_id": "location",
        "service_id": "service",
        "organization_id": "organization",
        "service_at_location_id": "service_at_location",
    },
    "address": {"location_id": "location"},
    "schedule": {
        "service_id": "service",
        "location_id": "location",
        "service_at_location_id": "service_at_location",
    },
    "service_area": {"service_id": "service"},
    "language": {"service_id": "service", "location_id": "location", "phone_id": "phone"},
    "accessibility": {"location_id": "location"},
    "attribute": {"taxonomy_term_id": "taxonomy_term"},
    "taxonomy_term": {"taxonomy_id": "taxonomy", "parent_id": "taxonomy_term"},
    "organization_identifier": {"organization_id": "organization"},
}


def resources():
    """Frictionless resource definitions of the tables above (used without the official ones)."""
    result = []
    for table in TABLES.values():
        schema = {
            "primaryKey": "id",
            "fields": [{"name": name, "type": kind} for name, kind in table.columns.items()],
        }
        links = [
            {"fields": column, "reference": {"resource": target, "fields": "id"}}
            for column, target in LINKS.get(table.name, {}).items()
        ]
        if links:
            schema["foreignKeys"] = links
        result.append(
            {
                "name": table.name,
                "path": table.path,
                "format": "csv",
                "mediatype": "text/csv",
                "profile": "tabular-data-resource",
                "schema": schema,
            }
        )
    return result
