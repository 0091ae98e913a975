"""The admin's CSV import and export: django-import-export's screens over the curation engine.

django-import-export supplies the upload, the preview and confirm steps and the download; the rows
themselves go through curation.importing, the same code as `manage.py import_orgs` and
`export_orgs`, so both paths match on the same key, report the same errors and write in bulk with
history. (Its own per-row path takes several queries a row: minutes for 100,000 rows.)
"""

import tablib
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext as _
from import_export import resources
from import_export.results import Result, RowResult

from curation.importing import (
    HEADERS,
    ImportRefused,
    describe,
    export_rows,
    import_organizations,
)
from directory.models import Category, Organization

PREVIEW_ROWS = 500


class OrganizationResource(resources.ModelResource):
    class Meta:
        model = Organization
        fields = HEADERS
        skip_unchanged = True
        report_skipped = False

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        """Preview (dry run) or write the whole file through the bulk engine."""
        result = Result()
        result.diff_headers = list(HEADERS)
        headers = [str(header or "").strip() for header in (dataset.headers or [])]
        rows = [
            {h: "" if value is None else str(value) for h, value in zip(headers, row, strict=False)}
            for row in dataset
        ]
        result.total_rows = len(rows)
        try:
            report = import_organizations(
                headers,
                rows,
                commit=not dry_run,
                user=kwargs.get("user"),
                reason=_("Imported in the admin from %(file)s")
                % {"file": kwargs.get("file_name") or _("a CSV file")},
            )
        except ImportRefused as refusal:
            result.append_invalid_row(1, {}, ValidationError({"file": [str(refusal)]}))
            return result
        by_row = {}
        for error in report.errors:
            by_row.setdefault(error.row, {}).setdefault(error.field or "row", []).append(
                error.message
            )
        for number, errors in sorted(by_row.items()):
            result.append_invalid_row(number, rows[number - 2], ValidationError(errors))
            result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
        result.totals[RowResult.IMPORT_TYPE_NEW] = len(report.created)
        result.totals[RowResult.IMPORT_TYPE_UPDATE] = len(report.updated)
        result.totals[RowResult.IMPORT_TYPE_SKIP] = report.unchanged
        if not report.errors:
            slugs = dict(Category.objects.values_list("pk", "slug"))
            for new, changes in ((True, report.created), (False, report.updated)):
                for change in changes[: PREVIEW_ROWS - len(result.rows)]:
                    result.append_row_result(self._row_result(change, new, slugs))
        return result

    def _row_result(self, change, new, slugs):
        row = RowResult()
        row.import_type = RowResult.IMPORT_TYPE_NEW if new else RowResult.IMPORT_TYPE_UPDATE
        row.object_id = change.organization.pk
        row.object_repr = str(change.organization)
        cells = describe(change, slugs)
        row.diff = [self._cell(cells.get(name), new) for name in HEADERS]
        return row

    @staticmethod
    def _cell(pair, new):
        if pair is None:
            return ""
        old, value = pair
        if new or not old:
            return format_html("<ins>{}</ins>", value)
        return format_html("<del>{}</del> <ins>{}</ins>", old, value)

    def export(self, queryset=None, **kwargs):
        """The queryset in the documented CSV format, formula cells neutralised."""
        if queryset is None:
            queryset = Organization.objects.all()
        dataset = tablib.Dataset(headers=HEADERS)
        for row in export_rows(queryset):
            dataset.append(row)
        return dataset
