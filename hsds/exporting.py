"""Write the published directory as an HSDS 3.0 tabular data package."""

from django.conf import settings

from directory.models import Category
from hsds import schemas, tabular, to_hsds


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
    """{resource: {id: row}} for every published group but the sensitive ones, both taxonomies
    and all their terms."""
    # A sensitive entry stays on the site (at city level) but out of every copy made of it.
    orgs = list(to_hsds.exportable().filter(sensitive=False))
    result = tabular.flatten("service", [to_hsds.service(org) for org in orgs])
    identifiers = [row for org in orgs for row in to_hsds.organization_identifiers(org)]
    tabular.flatten("organization_identifier", identifiers, result)
    tabular.flatten("taxonomy", [to_hsds.taxonomy_doc(name) for name in to_hsds.TAXONOMIES], result)
    tabular.flatten(
        "taxonomy_term", to_hsds.taxonomy_terms(Category.objects.order_by("slug")), result
    )
    return result


def export_package(directory):
    """Write the package into `directory`; return {resource: number of rows}."""
    result = tables()
    tabular.write(directory, result, descriptor())
    return {name: len(rows) for name, rows in result.items()}
