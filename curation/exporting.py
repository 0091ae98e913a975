"""CSV export of organizations, for `manage.py export_orgs` and the admin's export.

The columns and the writing of each cell are curation/csv_format.py's, which the import reads
them back with.
"""

import csv

from curation.csv_format import COLUMNS, LIST_SEPARATOR, PRIVATE_FIELDS, format_value, neutralise
from directory.models import Category, Organization

PAGE = 2000


def export_columns(private=True):
    """The exported columns (name, kind), without the private ones unless `private`.

    A file without the private columns imports back leaving them as they are.
    """
    return [(name, kind) for name, kind in COLUMNS if private or name not in PRIVATE_FIELDS]


def export_rows(queryset, private=True):
    """Each organization as a list of cells in export_columns() order, safe for a spreadsheet."""
    columns = export_columns(private)
    slugs = dict(Category.objects.values_list("pk", "slug"))
    through = Organization.causes.through
    queryset = queryset.order_by("pk")
    last_pk = 0
    while True:
        # Keyset pages: bounded memory and two queries per page, whatever the size.
        page = list(queryset.filter(pk__gt=last_pk)[:PAGE])
        if not page:
            return
        causes = {}
        links = through.objects.filter(organization_id__in=[org.pk for org in page])
        for org_id, category_id in links.values_list("organization_id", "category_id"):
            causes.setdefault(org_id, []).append(slugs[category_id])
        for org in page:
            yield [
                neutralise(_format(kind, org, name, causes.get(org.pk, [])))
                for name, kind in columns
            ]
        last_pk = page[-1].pk


def _format(kind, org, name, causes):
    if kind == "causes":
        return LIST_SEPARATOR.join(sorted(causes))
    return format_value(kind, getattr(org, name))


def write_csv(queryset, out, private=True):
    """Write the queryset as CSV (header row first) to a text stream; returns the row count."""
    writer = csv.writer(out)
    writer.writerow([name for name, _kind in export_columns(private)])
    count = 0
    for row in export_rows(queryset, private):
        writer.writerow(row)
        count += 1
    return count
