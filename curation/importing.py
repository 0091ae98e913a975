"""CSV import and export of organizations: one flat row per entry, matched on a stable key.

The same engine backs `manage.py import_orgs` and the admin's import (through the
django-import-export resource in curation/resources.py): a whole file is parsed, validated and
compared with the database first, so a preview writes nothing; then, only if no row has an error,
everything is written with bulk queries, and each created or changed entry gets a history record.
Rows that would change nothing are not touched, so importing the same file twice changes nothing
the second time.

An import never loses data by accident: a row with fewer cells than the header (a file cut short,
a row whose last cells a tool dropped) is refused rather than read as empty cells, and a private
field (the relay's contact email) is only emptied when the importer says so.

The write commits in batches of a few hundred entries, each a short transaction: on SQLite a
transaction holds the only write lock, and one as long as a big import would make every contact
message and suggestion written meanwhile wait, then fail. Since every row was checked first, a
batch fails only on a database fault; the batches written before it stay, and running the same
file again writes the rest (what was written is unchanged the second time).
"""

import csv
import datetime
import io
import re
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from directory import caching
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
# Cells a spreadsheet never shows but that matter: blanking them needs an explicit choice.
PRIVATE_FIELDS = ("contact_email",)
CHUNK = 2000
MAX_ERRORS = 500
# Entries written per transaction: on SQLite a batch holds the write lock for a fraction of a
# second (up to a second on a loaded machine). Between batches the importer pauses as long as
# SQLite's busy handler waits at most between two tries (100 ms), so a writer waiting on the
# lock gets it. Measured (docs/curation.md): a 60,000-row import in one transaction made 11
# of 1,085 writes fail at a 5 s busy timeout; in batches, none of 1,635 did.
BATCH = 500
SQLITE_PAUSE = 0.1


class ImportRefused(Exception):
    """The file as a whole cannot be imported (not CSV, no key column, too many rows)."""


class ImportInterrupted(Exception):
    """A database fault stopped a checked import part way; the batches before it are written."""


@dataclass
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    field: str
    message: str

    def __str__(self):
        if not self.field:
            return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        return _("Row %(row)s, %(field)s: %(message)s") % {
            "row": self.row,
            "field": self.field,
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
    """Headers and row dicts from CSV bytes or text; ImportRefused if it is not readable CSV.

    A row keeps the cells it has: a short row's dict lacks its missing columns (the import then
    refuses it), and a long row's extra cells are kept, as a list, under the key None.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportRefused(_("The file is not UTF-8 text. Save it as CSV (UTF-8).")) from None
    data = data.removeprefix("\ufeff")
    rows = _csv_rows(data)
    if not rows:
        raise ImportRefused(_("The file is empty."))
    headers = [header.strip() for header in rows[0]]
    return headers, [_record(headers, row) for row in rows[1:]]


def _csv_rows(text):
    try:
        # Strict first, only to tell a file that ends inside a quoted cell (cut short) ...
        return list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            raise ImportRefused(
                _(
                    "The file ends inside a quoted cell: it looks cut short. Export or save "
                    "it again, whole."
                )
            ) from None
    try:
        # ... then as leniently as spreadsheets write CSV (a stray quote inside a cell).
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ImportRefused(_("The file is not valid CSV: %(error)s") % {"error": error}) from None


def _record(headers, cells):
    record = dict(zip(headers, cells, strict=False))
    if len(cells) > len(headers):
        record[None] = cells[len(headers) :]
    return record


def width_error(record, headers):
    """The message for a row with missing (or extra, non-empty) cells, or None if it fits.

    A spreadsheet may leave empty cells after the last column; those are harmless. A row that
    stops early is not: its missing cells would be read as empty and erase fields.
    """
    extra = record.get(None) or []
    found = len(record) - (None in record) + len(extra)
    if found < len(headers) or any(cell.strip() for cell in extra):
        return _("expected %(expected)s columns, found %(found)s.") % {
            "expected": len(headers),
            "found": found,
        }
    return None


def import_organizations(
    headers,
    rows,
    *,
    commit=False,
    user=None,
    reason="",
    allow_blank_private=False,
    on_batch=None,
):
    """Compare rows (dicts by column name) with the database; write them if `commit` and valid.

    Returns an ImportReport. Nothing is written unless every row is valid. A row that would
    empty a private field (PRIVATE_FIELDS) is an error unless `allow_blank_private`. The write
    goes in batches of BATCH entries; `on_batch(written, total)` is called after each commit.
    """
    _check_headers(headers)
    if len(rows) > settings.CURATION_IMPORT_MAX_ROWS:
        raise ImportRefused(
            _("The file has %(rows)s rows; at most %(max)s can be imported at once.")
            % {"rows": len(rows), "max": settings.CURATION_IMPORT_MAX_ROWS}
        )
    report = ImportReport(total_rows=len(rows))
    plan = _Plan(headers, allow_blank_private=allow_blank_private)
    for start in range(0, len(rows), CHUNK):
        plan.compare(rows[start : start + CHUNK], start, report)
        if len(report.errors) >= MAX_ERRORS:
            break
    if commit and not report.errors and report.changed:
        _write(report, user=user, reason=reason or _("Imported from a CSV file"), on_batch=on_batch)
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

    def __init__(self, headers, allow_blank_private=False):
        self.headers = headers
        self.allow_blank_private = allow_blank_private
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
            if not raw:
                report.total_rows -= 1  # a blank line
                continue
            problem = width_error(raw, self.headers)
            if problem:
                report.errors.append(RowError(number, "", problem))
                continue
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
        if not adding and not self.allow_blank_private:
            errors.extend(
                (name, _blanking_message(name))
                for name in PRIVATE_FIELDS
                if name in changes and changes[name][0] and not changes[name][1]
            )
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


def _blanking_message(name):
    label = Organization._meta.get_field(name).verbose_name
    return _(
        "This would erase the %(field)s, and messages from readers could no longer reach the "
        "group. Fill the cell in, or leave the column out of the file to keep what is there. To "
        "erase it on purpose, allow erasing private fields (import_orgs --allow-blank-private, "
        "or the box on the admin's import form)."
    ) % {"field": label}


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
        cell = raw.get(name, "")
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


def _write(report, *, user, reason, on_batch=None):
    """Write the planned creates and updates, with their history, BATCH entries a transaction."""
    now = timezone.now()
    user_id = user.pk if user is not None and user.is_authenticated else None
    batches = [
        (adding, changes[start : start + BATCH])
        for adding, changes in ((True, report.created), (False, report.updated))
        for start in range(0, len(changes), BATCH)
    ]
    total, written = report.changed, 0
    for adding, batch in batches:
        if written and connection.vendor == "sqlite" and not connection.in_atomic_block:
            time.sleep(SQLITE_PAUSE)  # let a waiting writer take the lock
        try:
            with transaction.atomic():
                _write_batch(batch, adding, now, user_id, reason[:100])
        except DatabaseError as error:
            raise ImportInterrupted(
                _(
                    "The import stopped after writing %(written)s of %(total)s entries: "
                    "%(error)s. Import the same file again to write the rest."
                )
                % {"written": written, "total": total, "error": error}
            ) from error
        # Bulk writes send no signals: tell cached searches the directory changed.
        caching.bump()
        written += len(batch)
        if on_batch is not None:
            on_batch(written, total)


def _write_batch(changes, adding, now, user_id, reason):
    through = Organization.causes.through
    orgs = [change.organization for change in changes]
    if adding:
        for org in orgs:
            org.created = now
        Organization.objects.bulk_create(orgs, batch_size=BATCH)
        recaused = changes
    else:
        fields = {name for change in changes for name in change.changes} - {"causes"}
        for org in orgs:
            org.version += 1
            org.updated = now
        Organization.objects.bulk_update(orgs, sorted(fields | {"version", "updated"}))
        recaused = [change for change in changes if "causes" in change.changes]
        through.objects.filter(
            organization_id__in=[change.organization.pk for change in recaused]
        ).delete()
    through.objects.bulk_create(
        [
            through(organization_id=change.organization.pk, category_id=category_id)
            for change in recaused
            for category_id in change.causes
        ],
        batch_size=2000,
    )
    _copy_history([org.pk for org in orgs], "+" if adding else "~", now, user_id, reason)


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
                for name, kind in columns
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


def write_csv(queryset, out, private=True):
    """Write the queryset as CSV (header row first) to a text stream; returns the row count."""
    writer = csv.writer(out)
    writer.writerow([name for name, _kind in export_columns(private)])
    count = 0
    for row in export_rows(queryset, private):
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
