"""The admin's CSV import and export: django-import-export's screens over the curation engine.

django-import-export supplies the upload, the preview and confirm steps and the download; the rows
themselves go through curation.importing and curation.exporting, the same code as `manage.py
import_orgs` and `export_orgs`, so both paths match on the same key, report the same errors and
write in bulk with history. (Its own per-row path takes several queries a row: minutes for 100,000
rows.)

The export holds the organizers' private contact emails only for curators with the
EXPORT_PRIVATE permission: anyone else's file leaves that column out, and imports back leaving
the emails as they are.
"""

import tablib
from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import resources
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV
from import_export.forms import ConfirmImportForm, ExportForm, ImportForm
from import_export.results import Result, RowResult

from curation.csv_format import HEADERS, ImportRefused, describe, read_csv
from curation.exporting import export_columns, export_rows
from curation.importing import import_organizations
from directory.models import Category, Organization

PREVIEW_ROWS = 500
# Declared on curation.Suggestion (a permission needs a model); see its Meta.
EXPORT_PRIVATE = "curation.export_private_fields"
ALLOW_BLANK_PRIVATE_LABEL = gettext_lazy("Allow erasing private contact emails")


def can_export_private(user):
    """Whether the user's exports may hold the organizers' private contact emails."""
    return user.is_active and user.has_perm(EXPORT_PRIVATE)


class CuratorsCSV(CSV):
    """CSV read by the curation engine's rules rather than tablib's.

    tablib pads a short row with empty cells and drops blank lines, which would hide a file cut
    short and shift the row numbers in messages; the rows as read go to the resource as well.
    """

    def create_dataset(self, in_stream, **kwargs):
        headers, records = read_csv(in_stream)
        dataset = tablib.Dataset(headers=headers)
        for record in records:
            dataset.append([record.get(header, "") for header in headers])
        dataset.records = records
        return dataset


class OrganizationResource(resources.ModelResource):
    class Meta:
        model = Organization
        fields = HEADERS
        skip_unchanged = True
        report_skipped = False

    def __init__(self, private_fields=False, **kwargs):
        super().__init__(**kwargs)
        # Off unless the admin says this user may have them (can_export_private).
        self.private_fields = private_fields

    def import_data(
        self, dataset, dry_run=False, raise_errors=False, allow_blank_private=False, **kwargs
    ):
        """Preview (dry run) or write the whole file through the bulk engine."""
        result = Result()
        result.diff_headers = list(HEADERS)
        headers = [str(header or "").strip() for header in (dataset.headers or [])]
        rows = getattr(dataset, "records", None)
        if rows is None:
            rows = [
                {
                    h: "" if value is None else str(value)
                    for h, value in zip(headers, row, strict=False)
                }
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
                allow_blank_private=allow_blank_private,
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
        columns = export_columns(self.private_fields)
        dataset = tablib.Dataset(headers=[name for name, _kind in columns])
        for row in export_rows(queryset, self.private_fields):
            dataset.append(row)
        return dataset


class OrganizationImportForm(ImportForm):
    allow_blank_private = forms.BooleanField(
        label=ALLOW_BLANK_PRIVATE_LABEL,
        required=False,
        help_text=gettext_lazy(
            "Without this, a row whose contact_email cell is empty while the entry has one is "
            "refused: messages from readers could no longer reach that group."
        ),
    )


class OrganizationConfirmImportForm(ConfirmImportForm):
    allow_blank_private = forms.BooleanField(required=False, widget=forms.HiddenInput)


class OrganizationImportExport(ImportExportMixin):
    """The organization admin's CSV import and export, through the curation engine."""

    resource_classes = [OrganizationResource]
    import_formats = [CuratorsCSV]
    export_formats = [CSV]
    export_form_class = ExportForm
    import_form_class = OrganizationImportForm
    confirm_form_class = OrganizationConfirmImportForm
    skip_admin_log = True  # every imported change has its own history record
    import_error_display = ("message",)

    def has_import_permission(self, request):
        # An import creates and changes entries: seeing the list is not enough.
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_export_resource_kwargs(self, request, **kwargs):
        return {
            **super().get_export_resource_kwargs(request, **kwargs),
            "private_fields": can_export_private(request.user),
        }

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["allow_blank_private"] = import_form.cleaned_data["allow_blank_private"]
        return initial

    def get_import_data_kwargs(self, **kwargs):
        form = kwargs.get("form")
        data = super().get_import_data_kwargs(**kwargs)
        data["allow_blank_private"] = bool(form and form.cleaned_data.get("allow_blank_private"))
        return data

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ImportRefused):  # the file says what is wrong with it
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)
