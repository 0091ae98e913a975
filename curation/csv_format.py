"""The CSV file of organizations: its columns, its cells read as values and values written as cells.

One flat row per entry. The import (curation/importing.py) and the export (curation/exporting.py)
both read and write cells here, so a file exported and imported back changes nothing.
docs/curation.md describes the columns.
"""

import csv
import datetime
import io
import re

from django.utils.translation import gettext as _

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
# Cells a spreadsheet never shows but that matter: blanking them needs an explicit choice.
PRIVATE_FIELDS = ("contact_email",)


class ImportRefused(Exception):
    """The file as a whole cannot be imported (not CSV, no key column, too many rows)."""


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


def parse_cells(raw, headers, categories):
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


def neutralise(cell):
    """A cell a spreadsheet will show as text, never run as a formula."""
    if cell and cell.startswith(FORMULA_START) and not PLAIN_NUMBER.match(cell):
        return "'" + cell
    return cell


def format_value(kind, value):
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
            "" if value is None else format_value(kind, value) for value in (old, new)
        )
    return cells
