"""The HSDS tabular data package: nested documents to CSV tables and back.

The tables, their files and column order are those of HSDS 3.0 (hsds/spec.py). With the official
schemas configured, every official table is written (an empty one with its header only) and the
descriptor lists the official resource definitions unchanged; without them, the tables the
directory uses, described by its own definitions. Cells a spreadsheet would run as formulas are
written with a leading apostrophe, as in the curators' CSV export, and read back without it.
"""

import csv
import json
from pathlib import Path

from curation.csv_format import FORMULA_START, neutralise
from hsds import checking, schemas, spec

# Where each nested key of a document goes in the tabular form.
NESTED = {
    "organization": "organization",
    "services": "service",
    "locations": "location",
    "location": "location",
    "service_at_locations": "service_at_location",
    "addresses": "address",
    "accessibility": "accessibility",
    "phones": "phone",
    "schedules": "schedule",
    "service_areas": "service_area",
    "languages": "language",
    "attributes": "attribute",
    "taxonomy_term": "taxonomy_term",
    "taxonomy_detail": "taxonomy",
    "organization_identifiers": "organization_identifier",
    "contacts": "contact",
    "funding": "funding",
    "cost_options": "cost_option",
    "program": "program",
    "required_documents": "required_document",
    "metadata": "metadata",
}


def resources():
    """The resource definitions a package is written with: the official ones when configured."""
    if schemas.available():
        return schemas.load("datapackage.json")["resources"]
    return spec.resources()


def flatten(kind, documents, tables=None):
    """Add the rows of nested documents of one kind ("service") to {resource: {id: row}}."""
    tables = tables if tables is not None else {}
    for document in documents:
        row = {}
        for key, value in document.items():
            if key in NESTED and isinstance(value, dict):
                flatten(NESTED[key], [value], tables)
            elif key in NESTED and isinstance(value, list):
                flatten(NESTED[key], value, tables)
            else:
                row[key] = value
        tables.setdefault(kind, {}).setdefault(row["id"], row)
    return tables


def write(directory, tables, descriptor):
    """Write one CSV per resource and datapackage.json into `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    definitions = resources()
    for resource in definitions:
        columns = [field["name"] for field in resource["schema"]["fields"]]
        with open(directory / resource["path"], "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(columns)
            # In document order (groups by slug), which keeps each group's details in order.
            for row in tables.get(resource["name"], {}).values():
                writer.writerow([_cell(row.get(column)) for column in columns])
    text = json.dumps({**descriptor, "resources": definitions}, indent=2, ensure_ascii=False)
    (directory / "datapackage.json").write_text(text + "\n", encoding="utf-8")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(str(value))


class TableError(ValueError):
    """A package that cannot be read at all (not a row that is merely invalid)."""


def read(directory):
    """({resource: [row]}, invalid) from a package folder: the tables the directory uses.

    Only the tables whose file is there are in the result. Numbers are numbers; an empty cell is
    None (known to be empty), while a column or a table the package lacks is left out (unknown).
    A row that does not fit its table is returned in `invalid` as (resource, id, error).
    """
    directory = Path(directory)
    tables, invalid = {}, []
    for table in spec.TABLES.values():
        path = directory / table.path
        if not path.is_file():
            continue
        validator = schemas.table_validator(table.name) if schemas.available() else None
        try:
            with open(path, newline="", encoding="utf-8-sig") as source:
                reader = csv.DictReader(source)
                header = [name for name in reader.fieldnames or () if name in table.columns]
                rows = []
                for raw in reader:
                    rows.append((reader.line_num, raw))
        except (UnicodeDecodeError, csv.Error) as error:
            raise TableError(f"{table.path}: {error}") from None
        tables[table.name] = []
        width, lines = len(reader.fieldnames or ()), {}
        for number, raw in rows:
            row, problem = _typed(raw, table.columns, width)
            problem = problem or "; ".join(checking.row_problems(table.name, row)[:3])
            if not problem and validator is not None:
                problem = schemas.first_error(validator, row)
                problem = problem and f"official schema: {problem}"
            if not problem and row["id"] in lines:
                problem = f"the same id as line {lines[row['id']]}; only the first is read"
            if problem:
                label = row.get("id") or f"line {number}"
                invalid.append((table.name, label, f"{table.path} line {number}: {problem}"))
            else:
                lines[row["id"]] = number
                tables[table.name].append({**dict.fromkeys(header), **row})
    return tables, invalid


def _typed(raw, types, width):
    """A row's non-empty cells, typed, and why the row is refused (or None)."""
    if None in raw:  # more cells than the header
        return {}, f"expected {width} cells, found {width + len(raw[None])}"
    missing = [name for name, text in raw.items() if text is None]
    if missing:  # a row cut short: its last cells are not empty, they are unknown
        return {}, f"expected {width} cells, found {width - len(missing)} (is the file cut short?)"
    row = {}
    for name, text in raw.items():
        if name not in types:
            continue  # a column the directory does not use
        text = text.strip()
        if len(text) >= 2 and text[0] == "'" and text[1] in FORMULA_START:
            text = text[1:]  # the apostrophe an export put before a formula character
        if not text:
            continue
        if "\x00" in text:
            return row, f"{name}: contains a NUL character"
        if types[name] in ("number", "integer"):
            try:
                number = float(text)
            except ValueError:
                return row, f"{name}: '{text[:40]}' is not a number"
            row[name] = int(number) if number.is_integer() and "." not in text else number
        else:
            row[name] = text
    return row, None


def loose_ends(tables):
    """(resource, id, message, fatal) for every link of the package that leads nowhere.

    A service whose organization is missing cannot be imported (`fatal`); any other dangling
    link is a warning: the row it is on is left out of the documents.
    """
    found = []
    ids = {name: {row.get("id") for row in rows} for name, rows in tables.items()}
    for name, rows in tables.items():
        for row in rows:
            if name == "service" and not row.get("organization_id"):
                found.append((name, row.get("id"), "no organization_id; not imported", True))
        for column, target in spec.LINKS.get(name, {}).items():
            if target not in ids:
                continue  # a table the package does not have: nothing to check against
            for row in rows:
                value = row.get(column)
                if value and value not in ids[target]:
                    fatal = name == "service" and column == "organization_id"
                    what = "the service is not imported" if fatal else "the link is ignored"
                    message = (
                        f"{column} {value} matches no row of {spec.TABLES[target].path}; {what}"
                    )
                    found.append((name, row.get("id"), message, fatal))
        if name == "attribute":
            for row in rows:
                target = row.get("link_entity")
                if target in ids and row.get("link_id") not in ids[target]:
                    message = (
                        f"link_id {row.get('link_id')} matches no row of "
                        f"{spec.TABLES[target].path}; the attribute is ignored"
                    )
                    found.append((name, row.get("id"), message, False))
    return found


def nest(tables, damaged=()):
    """Whole organization documents (with nested services and locations) from the tables.

    `damaged` names tables with refused rows: an entity with no row in one of them may have
    had one, so its list from that table is left out (unknown) rather than empty.
    """
    by = _Index(tables, damaged)
    organizations = []
    for org in tables.get("organization", []):
        services = [_service(by, s) for s in by.children("service", "organization_id", org["id"])]
        organizations.append(
            _present(
                by,
                {
                    **org,
                    "services": services,
                    "locations": [
                        _location(by, loc)
                        for loc in by.children("location", "organization_id", org["id"])
                    ],
                    "organization_identifiers": by.children(
                        "organization_identifier", "organization_id", org["id"]
                    ),
                    "phones": by.children("phone", "organization_id", org["id"]),
                },
            )
        )
    return organizations


# The table each nested list of a document comes from: a list whose table the package lacks is
# left out of the document (unknown), not written as empty.
SOURCES = {
    "services": "service",
    "locations": "location",
    "organization_identifiers": "organization_identifier",
    "phones": "phone",
    "addresses": "address",
    "accessibility": "accessibility",
    "languages": "language",
    "schedules": "schedule",
    "service_areas": "service_area",
    "service_at_locations": "service_at_location",
    "attributes": "attribute",
}


class _Index:
    def __init__(self, tables, damaged=()):
        self.tables, self.damaged = tables, set(damaged)
        self.ids = {name: {row["id"]: row for row in rows} for name, rows in tables.items()}
        self._groups = {}

    def has(self, resource, found=()):
        """Whether a list from this table is known: the table is there, whole or not empty."""
        return resource in self.tables and (resource not in self.damaged or bool(found))

    def children(self, resource, key, value):
        groups = self._groups.get((resource, key))
        if groups is None:
            groups = {}
            for row in self.tables.get(resource, []):
                groups.setdefault(row.get(key), []).append(row)
            self._groups[(resource, key)] = groups
        return [dict(row) for row in groups.get(value, [])]

    def get(self, resource, id_):
        row = self.ids.get(resource, {}).get(id_)
        return dict(row) if row else None


def _present(by, document):
    """Leave out the lists that are not known (their table is missing, or damaged)."""
    return {
        key: value
        for key, value in document.items()
        if key not in SOURCES or by.has(SOURCES[key], value)
    }


def _attributes(by, link_id):
    result = []
    for attribute in by.children("attribute", "link_id", link_id):
        term = by.get("taxonomy_term", attribute.get("taxonomy_term_id"))
        if term:
            taxonomy = by.get("taxonomy", term.get("taxonomy_id"))
            attribute["taxonomy_term"] = {
                **term,
                **({"taxonomy_detail": taxonomy} if taxonomy else {}),
            }
        result.append(attribute)
    return result


def _location(by, location):
    location_id = location["id"]
    return _present(
        by,
        {
            **location,
            "addresses": by.children("address", "location_id", location_id),
            "accessibility": by.children("accessibility", "location_id", location_id),
            "phones": by.children("phone", "location_id", location_id),
            "languages": by.children("language", "location_id", location_id),
            "schedules": by.children("schedule", "location_id", location_id),
        },
    )


def _service(by, service):
    service_id = service["id"]
    at_locations = []
    for link in by.children("service_at_location", "service_id", service_id):
        location = by.get("location", link.get("location_id"))
        if location:
            at_locations.append({**link, "location": _location(by, location)})
    return _present(
        by,
        {
            **service,
            "phones": by.children("phone", "service_id", service_id),
            "schedules": by.children("schedule", "service_id", service_id),
            "service_areas": by.children("service_area", "service_id", service_id),
            "service_at_locations": at_locations,
            "languages": by.children("language", "service_id", service_id),
            "attributes": _attributes(by, service_id),
        },
    )
