"""The HSDS tabular data package: nested documents to CSV tables and back.

Every table of the official `datapackage.json` is written (an empty one with its header only), in
the official column order, and the descriptor lists the official resource definitions unchanged.
"""

import csv
import json
from pathlib import Path

from hsds import schemas

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
    """The official resource definitions, in their order."""
    return schemas.load("datapackage.json")["resources"]


def flatten(kind, documents, tables=None):
    """Add the rows of nested documents of one kind ("service") to {resource: {id: row}}."""
    tables = tables if tables is not None else {r["name"]: {} for r in resources()}
    for document in documents:
        row = {}
        for key, value in document.items():
            if key in NESTED and isinstance(value, dict):
                flatten(NESTED[key], [value], tables)
            elif key in NESTED and isinstance(value, list):
                flatten(NESTED[key], value, tables)
            else:
                row[key] = value
        tables[kind].setdefault(row["id"], row)
    return tables


def write(directory, tables, descriptor):
    """Write one CSV per resource and datapackage.json into `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for resource in resources():
        columns = [field["name"] for field in resource["schema"]["fields"]]
        with open(directory / resource["path"], "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(columns)
            # In document order (groups by slug), which keeps each group's details in order.
            for row in tables.get(resource["name"], {}).values():
                writer.writerow([_cell(row.get(column)) for column in columns])
    text = json.dumps({**descriptor, "resources": resources()}, indent=2, ensure_ascii=False)
    (directory / "datapackage.json").write_text(text + "\n", encoding="utf-8")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class TableError(ValueError):
    """A package that cannot be read at all (not a row that is merely invalid)."""


def read(directory):
    """{resource: [row]} from a package folder, with numbers as numbers and empty cells left out.

    A row that does not fit its table's schema is returned in `invalid` as (resource, id, error).
    """
    directory = Path(directory)
    tables, invalid = {}, []
    for resource in resources():
        path = directory / resource["path"]
        tables[resource["name"]] = []
        if not path.is_file():
            continue
        types = {field["name"]: field["type"] for field in resource["schema"]["fields"]}
        validator = schemas.table_validator(resource["name"])
        try:
            with open(path, newline="", encoding="utf-8-sig") as source:
                rows = list(csv.DictReader(source))
        except (UnicodeDecodeError, csv.Error) as error:
            raise TableError(f"{resource['path']}: {error}") from None
        for number, raw in enumerate(rows, start=2):
            row, problem = _typed(raw, types)
            problem = problem or schemas.first_error(validator, row)
            if problem:
                label = row.get("id") or f"line {number}"
                invalid.append((resource["name"], label, problem))
            else:
                tables[resource["name"]].append(row)
    return tables, invalid


def _typed(raw, types):
    row = {}
    for name, text in raw.items():
        if name is None or name not in types:
            continue  # extra cells or unknown columns
        text = (text or "").strip()
        if not text:
            continue
        if types[name] == "number":
            try:
                number = float(text)
            except ValueError:
                return row, f"{name}: '{text[:40]}' is not a number"
            row[name] = int(number) if number.is_integer() and "." not in text else number
        else:
            row[name] = text
    return row, None


def nest(tables):
    """Whole organization documents (with nested services and locations) from the tables."""
    by = _Index(tables)
    organizations = []
    for org in tables["organization"]:
        services = [_service(by, s) for s in by.children("service", "organization_id", org["id"])]
        organizations.append(
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
            }
        )
    return organizations


class _Index:
    def __init__(self, tables):
        self.tables = tables
        self.ids = {name: {row["id"]: row for row in rows} for name, rows in tables.items()}
        self._groups = {}

    def children(self, resource, key, value):
        groups = self._groups.get((resource, key))
        if groups is None:
            groups = {}
            for row in self.tables[resource]:
                groups.setdefault(row.get(key), []).append(row)
            self._groups[(resource, key)] = groups
        return [dict(row) for row in groups.get(value, [])]

    def get(self, resource, id_):
        row = self.ids[resource].get(id_)
        return dict(row) if row else None


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
    return _drop_empty(
        {
            **location,
            "addresses": by.children("address", "location_id", location_id),
            "accessibility": by.children("accessibility", "location_id", location_id),
            "phones": by.children("phone", "location_id", location_id),
            "languages": by.children("language", "location_id", location_id),
            "schedules": by.children("schedule", "location_id", location_id),
        }
    )


def _service(by, service):
    service_id = service["id"]
    at_locations = []
    for link in by.children("service_at_location", "service_id", service_id):
        location = by.get("location", link.get("location_id"))
        at_locations.append({**link, **({"location": _location(by, location)} if location else {})})
    return _drop_empty(
        {
            **service,
            "phones": by.children("phone", "service_id", service_id),
            "schedules": by.children("schedule", "service_id", service_id),
            "service_areas": by.children("service_area", "service_id", service_id),
            "service_at_locations": at_locations,
            "languages": by.children("language", "service_id", service_id),
            "attributes": _attributes(by, service_id),
        }
    )


def _drop_empty(document):
    return {key: value for key, value in document.items() if value not in ([], None)}
