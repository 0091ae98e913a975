"""CSV import and export of organizations: one flat row per entry, matched on a stable key.

The same engine backs `manage.py import_orgs` and the admin's import (through the
django-import-export resource in curation/resources.py): a whole file is parsed, validated and
compared with the database first, so a preview writes nothing; then, only if no row has an error,
everything is written in one transaction with bulk queries, and each created or changed entry gets
a history record. Rows that would change nothing are not touched, so importing the same file twice
changes nothing the second time.
"""

import csv
import datetime
import io
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from directory.models import COVERAGE_RADIUS_MAX, ORGANIZATION_HISTORY, Category, Organization
from directory.placing import locate

# Column name and kind, in the order of an exported file. docs/curation.md describes them.
COLUMNS = [
    ("external_id", "text"),
    ("slug", "text"),
    ("name", "text"),
    ("status", "text"),
    ("summary", "text"),
    ("description", "text"),
    ("causes", "causes"),
    ("address", "text"),
    ("address_public", "bool"),
    ("city", "text"),
    ("state", "text"),
    ("postal_code", "text"),
    ("country", "text"),
    ("latitude", "float"),
    ("longitude", "float"),
    ("precision", "text"),
    ("coverage", "text"),
    ("coverage_radius", "int"),
    ("website", "text"),
    ("signup_url", "text"),
    ("phone", "text"),
    ("social_links", "lines"),
    ("first_step", "text"),
    ("meeting_schedule", "text"),
    ("meeting_frequency", "text"),
    ("meeting_byday", "text"),
    ("meeting_time", "time"),
    ("languages", "codes"),
    ("accessibility", "text"),
    ("dues_required", "bool"),
    ("childcare", "bool"),
    ("asl", "bool"),
    ("virtual_participation", "bool"),
    ("last_verified", "date"),
    ("source", "text"),
    ("contact_email", "text"),
]
COLUMN_KINDS = dict(COLUMNS)
HEADERS = [name for name, _kind in COLUMNS]
LIST_SEPARATOR = ";"
TRUE = {"1", "true", "yes", "y", "x"}
FALSE = {"", "0", "false", "no", "n"}
# Cells that a spreadsheet would run as a formula; an exported cell starting with one gets a
# leading apostrophe, which an import takes off again.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
# Fields that locating from a ZIP or city may fill.
PLACE_FIELDS = ("latitude", "longitude", "precision", "state")
NOT_VALIDATED = ("id", "logo", "created", "updated", "version")
MODEL_FIELDS = {f.name: f for f in Organization._meta.concrete_fields}
CHUNK = 2000
MAX_ERRORS = 500


class ImportRefused(Exception):
    """The file as a whole cannot be imported (not CSV, no key column, too many rows)."""


@dataclass
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    field: str
    message: str

    def __str__(self):
        return _("Row %(row)s, %(field)s: %(message)s") % {
            "row": self.row,
            "field": self.field or _("(whole row)"),
            "message": self.message,
        }


@dataclass
class RowChange:
    row: int
    organization: Organization
    changes: dict  # field: (old, new); on a new entry old is None
    causes: list  # the category ids the entry has after the import


@dataclass
class ImportReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: int = 0
    errors: list = field(default_factory=list)
    committed: bool = False
    total_rows: int = 0

    @property
    def changed(self):
        return len(self.created) + len(self.updated)

    def summary(self):
        return _(
            "%(rows)s rows: %(created)s new, %(updated)s changed, %(unchanged)s unchanged, "
            "%(errors)s errors."
        ) % {
            "rows": self.total_rows,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "errors": len(self.errors),
        }


def read_csv(data):
    """Headers and row dicts from CSV bytes or text; ImportRefused if it is not readable CSV."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportRefused(_("The file is not UTF-8 text. Save it as CSV (UTF-8).")) from None
    data = data.removeprefix("\ufeff")
    try:
        reader = csv.reader(io.StringIO(data, newline=""))
        rows = list(reader)
    except csv.Error as error:
        raise ImportRefused(_("The file is not valid CSV: %(error)s") % {"error": error}) from None
    if not rows:
        raise ImportRefused(_("The file is empty."))
    headers = [header.strip() for header in rows[0]]
    # A short row leaves its last cells empty; a long row's extra cells are dropped.
    return headers, [dict(zip(headers, row, strict=False)) for row in rows[1:]]


def import_organizations(headers, rows, *, commit=False, user=None, reason=""):
    """Compare rows (dicts by column name) with the database; write them if `commit` and valid.

    Returns an ImportReport. Nothing is written unless every row is valid; everything is written
    in one transaction.
    """
    _check_headers(headers)
    if len(rows) > settings.CURATION_IMPORT_MAX_ROWS:
        raise ImportRefused(
            _("The file has %(rows)s rows; at most %(max)s can be imported at once.")
            % {"rows": len(rows), "max": settings.CURATION_IMPORT_MAX_ROWS}
        )
    report = ImportReport(total_rows=len(rows))
    plan = _Plan(headers)
    for start in range(0, len(rows), CHUNK):
        plan.compare(rows[start : start + CHUNK], start, report)
        if len(report.errors) >= MAX_ERRORS:
            break
    if commit and not report.errors and report.changed:
        _write(report, user=user, reason=reason or _("Imported from a CSV file"))
        report.committed = True
    return report


def _check_headers(headers):
    unknown = [header for header in headers if header not in COLUMN_KINDS]
    if unknown:
        raise ImportRefused(
            _("Unknown columns: %(columns)s. The columns are: %(known)s.")
            % {"columns": ", ".join(unknown[:10]), "known": ", ".join(HEADERS)}
        )
    if len(set(headers)) != len(headers):
        raise ImportRefused(_("A column appears twice in the header row."))
    if "external_id" not in headers and "slug" not in headers:
        raise ImportRefused(
            _("The file needs an external_id or a slug column: rows are matched on it.")
        )
    if "name" not in headers:
        raise ImportRefused(_("The file needs a name column."))


class _Plan:
    """What the import would do, built chunk by chunk with a bounded number of queries."""

    def __init__(self, headers):
        self.headers = headers
        self.categories = dict(Category.objects.values_list("slug", "pk"))
        self.slug_owner = dict(Organization.objects.values_list("slug", "pk"))
        self.external_owner = dict(
            Organization.objects.exclude(external_id="").values_list("external_id", "pk")
        )
        self.pks_with_external_id = set(self.external_owner.values())
        self.seen_keys = {}  # key in the file: the row that used it first
        self.defaults = {f.name: f.get_default() for f in Organization._meta.concrete_fields}

    def compare(self, rows, offset, report):
        parsed = []
        for index, raw in enumerate(rows):
            number = offset + index + 2
            values, errors = _parse(raw, self.headers, self.categories)
            target = None if errors else self._target(values, number, errors)
            if errors:
                report.errors.extend(RowError(number, name, message) for name, message in errors)
            else:
                parsed.append((number, values, target))
        pks = [target for _n, _v, target in parsed if target]
        existing = Organization.objects.in_bulk(pks) if pks else {}
        causes = {}
        if pks:
            links = Organization.causes.through.objects.filter(organization_id__in=pks)
            for org_id, category_id in links.values_list("organization_id", "category_id"):
                causes.setdefault(org_id, set()).add(category_id)
        for number, values, target in parsed:
            org = existing.get(target)
            self._row(number, values, org, causes.get(target, set()), report)

    def _target(self, values, number, errors):
        """The pk of the entry this row updates (None: a new one); checks keys are unambiguous."""
        external_id, slug = values.get("external_id", ""), values.get("slug", "")
        if not external_id and not slug:
            errors.append(("slug", _("Give each row an external_id or a slug.")))
            return None
        key = f"e:{external_id}" if external_id else f"s:{slug}"
        if key in self.seen_keys:
            errors.append(
                (
                    "external_id" if external_id else "slug",
                    _("The same entry appears twice in the file (first in row %(row)s).")
                    % {"row": self.seen_keys[key]},
                )
            )
            return None
        self.seen_keys[key] = number
        if external_id:
            target = self.external_owner.get(external_id)
            owner = self.slug_owner.get(slug) if slug else None
            if target is None and owner is not None and owner not in self.pks_with_external_id:
                # An entry made by hand that a list now names: it adopts the external id.
                target = owner
            return target
        return self.slug_owner.get(slug)

    def _row(self, number, values, org, cause_ids, report):
        adding = org is None
        if adding:
            org = Organization(**{k: v for k, v in self.defaults.items() if k != "id"})
            old = {}
        else:
            old = {name: getattr(org, name) for name in COLUMN_KINDS if name != "causes"}
        new_causes = values.pop("causes", None)
        if adding and not values.get("slug"):
            values["slug"] = self._free_slug(values.get("name", ""))
        for name, value in values.items():
            setattr(org, name, value)
        if (
            org.latitude is None
            and org.longitude is None
            and org.coverage not in (Organization.Coverage.NATIONAL, Organization.Coverage.ONLINE)
        ):
            locate(org)
        changes = {
            name: (old.get(name), getattr(org, name))
            for name in (*values, *PLACE_FIELDS)
            if adding or old.get(name) != getattr(org, name)
        }
        if new_causes is not None and set(new_causes) != cause_ids:
            changes["causes"] = (sorted(cause_ids), sorted(new_causes))
            cause_ids = set(new_causes)
        if not changes:
            report.unchanged += 1
            return
        errors = self._validate(org, adding, changes)
        if errors:
            report.errors.extend(RowError(number, name, message) for name, message in errors)
            return
        if org.slug != old.get("slug"):
            self.slug_owner[org.slug] = org.pk or f"row {number}"
        if org.external_id and org.external_id != old.get("external_id"):
            self.external_owner[org.external_id] = org.pk or f"row {number}"
        change = RowChange(number, org, changes, sorted(cause_ids))
        (report.created if adding else report.updated).append(change)

    def _free_slug(self, name):
        base = slugify(name)[:200] or "group"
        slug, n = base, 2
        while slug in self.slug_owner:
            slug, n = f"{base}-{n}", n + 1
        return slug

    def _validate(self, org, adding, changes):
        errors = []
        # Only what the row sets: the defaults of a new entry are valid already.
        for name in changes:
            model_field = MODEL_FIELDS.get(name)
            if model_field is None or name in NOT_VALIDATED:
                continue
            value = getattr(org, model_field.attname)
            if model_field.blank and value in model_field.empty_values:
                continue
            try:
                setattr(org, model_field.attname, model_field.clean(value, org))
            except ValidationError as error:
                errors.extend((name, str(message)) for message in error.messages)
        owner = self.slug_owner.get(org.slug)
        if "slug" in changes and owner is not None and owner != org.pk:
            errors.append(("slug", _("Another entry already uses this slug.")))
        owner = self.external_owner.get(org.external_id)
        if "external_id" in changes and org.external_id and owner is not None and owner != org.pk:
            errors.append(("external_id", _("Another entry already has this external id.")))
        if "causes" in changes and not changes["causes"][1] or adding and "causes" not in changes:
            errors.append(("causes", _("Give at least one cause.")))
        errors.extend(constraint_errors(org))
        return errors


def constraint_errors(org):
    """The database's check constraints on an organization, checked in Python for a message.

    The database still enforces them; this only names the row and field before writing.
    """
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


def _parse(raw, headers, categories):
    """Turn one row's cells into field values; return (values, [(field, message)])."""
    values, errors = {}, []
    for name in headers:
        cell = raw.get(name)
        if cell is None:
            cell = ""  # a short row: the missing cells are empty
        if "\x00" in cell:
            errors.append((name, _("Contains a NUL character.")))
            continue
        cell = cell.strip()
        if len(cell) > 2 and cell[0] == "'" and cell[1] in FORMULA_START:
            cell = cell[1:]  # the apostrophe an export added
        try:
            values[name] = _convert(COLUMN_KINDS[name], cell, categories)
        except ValueError as error:
            errors.append((name, str(error)))
    return values, errors


def _convert(kind, cell, categories):
    if kind == "text":
        return cell
    if kind == "bool":
        if cell.lower() in TRUE:
            return True
        if cell.lower() in FALSE:
            return False
        raise ValueError(_("Use true or false, not “%(value)s”.") % {"value": cell[:40]})
    if kind in ("int", "float"):
        if not cell:
            return None
        try:
            return int(cell) if kind == "int" else float(cell)
        except ValueError:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": cell[:40]}) from None
    if kind == "date":
        if not cell:
            return None
        try:
            return datetime.date.fromisoformat(cell)
        except ValueError:
            raise ValueError(
                _("Use a date like 2025-03-31, not “%(value)s”.") % {"value": cell[:40]}
            ) from None
    if kind == "time":
        if not cell:
            return None
        try:
            return datetime.time.fromisoformat(cell)
        except ValueError:
            raise ValueError(
                _("Use a time like 19:00, not “%(value)s”.") % {"value": cell[:40]}
            ) from None
    items = [item.strip() for item in re.split(r"[;\n]", cell) if item.strip()]
    if kind == "causes":
        unknown = [item for item in items if item not in categories]
        if unknown:
            raise ValueError(
                _("Unknown causes: %(causes)s.") % {"causes": ", ".join(u[:60] for u in unknown)}
            )
        return sorted({categories[item] for item in items})
    if kind == "codes":
        return ",".join(item.lower() for item in re.split(r"[;,]", cell) if item.strip())
    return "\n".join(items)  # lines


def _write(report, *, user, reason):
    """Write the planned creates and updates, with their history, in one transaction."""
    now = timezone.now()
    through = Organization.causes.through
    with transaction.atomic():
        created = [change.organization for change in report.created]
        for org in created:
            org.created = now
        Organization.objects.bulk_create(created, batch_size=500)
        updated = [change.organization for change in report.updated]
        fields = {name for change in report.updated for name in change.changes} - {"causes"}
        for org in updated:
            org.version += 1
            org.updated = now
        if updated:
            Organization.objects.bulk_update(
                updated, sorted(fields | {"version", "updated"}), batch_size=500
            )
        recaused = [c for c in report.updated if "causes" in c.changes]
        through.objects.filter(organization_id__in=[c.organization.pk for c in recaused]).delete()
        through.objects.bulk_create(
            [
                through(organization_id=change.organization.pk, category_id=category_id)
                for change in [*report.created, *recaused]
                for category_id in change.causes
            ],
            batch_size=2000,
        )
        user_id = user.pk if user is not None and user.is_authenticated else None
        for history_type, orgs in (("+", created), ("~", updated)):
            _copy_history([org.pk for org in orgs], history_type, now, user_id, reason[:100])


def _copy_history(ids, history_type, when, user_id, reason):
    """History records of the given entries as they now are in the database, causes included.

    Bulk writes bypass django-simple-history's signals, and building a record object per row in
    Python took most of an import's time; copying the rows in SQL, table to table, keeps the same
    records at a fraction of the cost.
    """
    history = Organization.history.model
    through = Organization.causes.through
    history_causes = ORGANIZATION_HISTORY.m2m_models[Organization._meta.get_field("causes")]
    quote = connection.ops.quote_name
    columns = [field.column for field in history.tracked_fields]
    when = connection.ops.adapt_datetimefield_value(when)
    copy_columns = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            marks = ", ".join(["%s"] * len(chunk))
            # Only quoted table and column names are formatted in; every value is a parameter.
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({copy_columns}, history_date, "  # noqa: S608
                "history_change_reason, history_type, history_user_id) "
                f"SELECT {copy_columns}, %s, %s, %s, %s "
                f"FROM {quote(Organization._meta.db_table)} WHERE id IN ({marks})",
                [when, reason, history_type, user_id, *chunk],
            )
            # A record's causes are copies of the link rows, joined to the records just made.
            cursor.execute(
                f"INSERT INTO {quote(history_causes._meta.db_table)} "  # noqa: S608
                "(id, history_id, organization_id, category_id) "
                "SELECT link.id, record.history_id, link.organization_id, link.category_id "
                f"FROM {quote(through._meta.db_table)} link "
                f"JOIN {quote(history._meta.db_table)} record ON record.id = link.organization_id "
                f"WHERE record.history_date = %s AND record.history_type = %s "
                f"AND link.organization_id IN ({marks})",
                [when, history_type, *chunk],
            )


def neutralise(cell):
    """A cell a spreadsheet will show as text, never run as a formula."""
    if cell and cell.startswith(FORMULA_START) and not PLAIN_NUMBER.match(cell):
        return "'" + cell
    return cell


def export_rows(queryset):
    """Each organization as a list of cells in HEADERS order, safe to open in a spreadsheet."""
    slugs = dict(Category.objects.values_list("pk", "slug"))
    through = Organization.causes.through
    queryset = queryset.order_by("pk")
    last_pk = 0
    while True:
        # Keyset pages: bounded memory and two queries per page, whatever the size.
        page = list(queryset.filter(pk__gt=last_pk)[:CHUNK])
        if not page:
            return
        causes = {}
        links = through.objects.filter(organization_id__in=[org.pk for org in page])
        for org_id, category_id in links.values_list("organization_id", "category_id"):
            causes.setdefault(org_id, []).append(slugs[category_id])
        for org in page:
            yield [
                neutralise(_format(kind, org, name, causes.get(org.pk, [])))
                for name, kind in COLUMNS
            ]
        last_pk = page[-1].pk


def _format(kind, org, name, causes):
    if kind == "causes":
        return LIST_SEPARATOR.join(sorted(causes))
    return _format_value(kind, getattr(org, name))


def _format_value(kind, value):
    if value is None:
        return ""
    if kind == "bool":
        return "true" if value else "false"
    if kind in ("date", "time"):
        return value.isoformat()
    if kind == "float":
        return repr(value)
    if kind == "lines":
        return LIST_SEPARATOR.join(line.strip() for line in value.splitlines() if line.strip())
    if kind == "codes":
        return LIST_SEPARATOR.join(code for code in value.split(",") if code)
    return str(value)


def write_csv(queryset, out):
    """Write the queryset as CSV (header row first) to a text stream."""
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    count = 0
    for row in export_rows(queryset):
        writer.writerow(row)
        count += 1
    return count


def describe(change, slugs):
    """{column: (old, new)} as text for the changed columns of a RowChange, for a preview.

    `slugs` maps category ids to slugs.
    """
    cells = {}
    for name, (old, new) in change.changes.items():
        if name == "causes":
            cells[name] = tuple(
                LIST_SEPARATOR.join(sorted(slugs.get(pk, str(pk)) for pk in ids))
                for ids in (old, new)
            )
            continue
        kind = COLUMN_KINDS.get(name, "text")
        cells[name] = tuple(
            "" if value is None else _format_value(kind, value) for value in (old, new)
        )
    return cells
