"""Write the published directory as an HSDS 3.0 tabular data package."""

from django.conf import settings

from directory.models import Category
from hsds import mapping, schemas, tabular


def descriptor():
    if schemas.available():
        definitions = (
            "Resource definitions: Human Services Data Specification, an Open Referral resource "
            "(https://openreferral.org/), CC BY-SA 4.0, unmodified."
        )
    else:
        definitions = (
            "The tables are those of HSDS 3.0 that the directory uses, in its column order; the "
            "official resource definitions are in Open Referral's specification."
        )
    return {
        "name": "orgsite-directory",
        "title": "Local organizing groups (HSDS 3.0)",
        "description": (
            "The published entries of an orgsite directory in the Open Referral Human Services "
            f"Data Specification 3.0. {definitions} Cells that a spreadsheet would run as "
            "formulas start with an apostrophe."
        ),
        "profile": "tabular-data-package",
        "homepage": settings.SITE_URL,
        "sources": [
            {
                "title": "Human Services Data Specification 3.0",
                "path": "https://github.com/openreferral/specification",
            }
        ],
    }


def tables():
    """{resource: {id: row}} for every published group, both taxonomies and all their terms."""
    orgs = list(mapping.exportable())
    result = tabular.flatten("service", [mapping.service(org) for org in orgs])
    identifiers = [row for org in orgs for row in mapping.organization_identifiers(org)]
    tabular.flatten("organization_identifier", identifiers, result)
    tabular.flatten("taxonomy", [mapping.taxonomy_doc(name) for name in mapping.TAXONOMIES], result)
    tabular.flatten(
        "taxonomy_term", mapping.taxonomy_terms(Category.objects.order_by("slug")), result
    )
    return result


def export_package(directory):
    """Write the package into `directory`; return {resource: number of rows}."""
    result = tables()
    tabular.write(directory, result, descriptor())
    return {name: len(rows) for name, rows in result.items()}
