"""Reading HSDS input for the importer: JSON documents or a tabular package, checked and grouped.

Each JSON object's kind is told from its shape (hsds/checking.py), so a taxonomy list is refused
as a taxonomy list rather than read as an organization. Organizations, services and services at
locations are checked by the importer's own rules, then against their official schema when one
is configured. Records that fail become `invalid` outcomes with the reason; links that lead
nowhere become `warning`s. What remains is grouped into one document per HSDS organization.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from hsds import checking, ids, schemas, tabular
from hsds.ids import CAUSES_TAXONOMY

MAX_FILE_BYTES = 50 * 1024 * 1024
ACCEPTED = (
    "The importer reads organizations, services and services at locations (one, a list, or an "
    "HSDS API page of them) and tabular data package folders."
)


class ImportFailed(Exception):
    """The input cannot be read at all: a message for the person who ran the import."""


@dataclass
class RecordOutcome:
    """What happened to one record: created, updated, unchanged, rejected, invalid or warning."""

    action: str
    record: str  # "organization <id>" and, for one of several locations, "@ <location id>"
    name: str = ""
    slug: str = ""
    problems: list = field(default_factory=list)
    reason: str = ""
    notes: list = field(default_factory=list)

    def __str__(self):
        text = f"{self.action:9} {self.record}"
        if self.name:
            text += f" {self.name!r}"
        if self.slug:
            text += f" -> {self.slug}"
        if self.reason:
            text += f": {self.reason}"
        if self.problems:
            text += " [pending: " + "; ".join(self.problems) + "]"
        if self.notes:
            text += " (noted: " + "; ".join(self.notes) + ")"
        return text


def read(path):
    """(organization documents, outcomes for what was refused or is odd) from a file or folder."""
    path = Path(path)
    if path.is_dir() or path.name == "datapackage.json":
        return _read_package(path if path.is_dir() else path.parent)
    if not path.is_file():
        raise ImportFailed(f"{path} is not a file or a folder.")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImportFailed(f"{path} is larger than {MAX_FILE_BYTES // 1024 // 1024} MB.")
    data = _parse(path)
    pairs, outcomes = _classify(path, data)
    documents, more = _checked(pairs)
    return documents, outcomes + more


def _parse(path):
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed(f"{path} is not UTF-8 text.") from None
    deep = (
        f"{path} nests more than {checking.MAX_DEPTH} levels deep; HSDS documents nest about "
        "ten. It is not HSDS data (or it was built to break readers)."
    )
    try:
        data = json.loads(text, parse_constant=_not_a_number)
    except RecursionError:
        raise ImportFailed(deep) from None
    except ValueError as error:
        raise ImportFailed(f"{path} is not JSON: {error}") from None
    if checking.depth(data) > checking.MAX_DEPTH:
        raise ImportFailed(deep)
    return data


def _not_a_number(name):
    raise ValueError(f"{name} is not a JSON value")


def _classify(path, data):
    """((kind, document) to import, outcomes for the rest), or ImportFailed for a wrong file."""
    page = isinstance(data, dict) and isinstance(data.get("contents"), list)
    if checking.is_tabular_json(data):
        raise ImportFailed(
            f"{path} is an HSDS tabular data set written as JSON (one list per table). Import "
            f"it as a package folder of CSV files instead. {ACCEPTED}"
        )
    items = data["contents"] if page else data if isinstance(data, list) else [data]
    found, outcomes, kinds = [], [], []
    for number, item in enumerate(items):
        if not isinstance(item, dict):
            where = f"item {number + 1}" if isinstance(data, list) or page else "document"
            what = f"{type(item).__name__} {checking.shown(item)}"
            outcomes.append(RecordOutcome("invalid", where, reason=f"a {what}, not an HSDS object"))
            continue
        kind = checking.kind_of(item)
        kinds.append(kind)
        if checking.importable(kind):
            found.append((kind, item))
        else:
            label = f"{kind} {str(item.get('id', '?'))[:60]}"
            outcomes.append(RecordOutcome("invalid", label, reason=checking.refusal(kind, item)))
    if not found and kinds and len(set(kinds)) == 1:
        # The whole file is of one kind the directory does not import: say so once.
        raise ImportFailed(
            f"{path} is {checking.describe(kinds, page)}: nothing to import. {ACCEPTED}"
        )
    if not items:
        raise ImportFailed(f"{path} holds {checking.describe([], page)}: nothing to import.")
    return found, outcomes


def _checked(pairs):
    """Check each document; group services by organization. (documents, invalid outcomes)."""
    outcomes, organizations = [], {}
    for kind, document in pairs:
        label = f"{kind} {str(document.get('id', '?'))[:60]}"
        problems = checking.problems(kind, document)
        if problems:
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            reason = "; ".join(problems[: checking.MAX_PROBLEMS]) + more
            outcomes.append(RecordOutcome("invalid", label, reason=reason))
            continue
        if schemas.available():
            error = schemas.first_error(schemas.validator(f"compiled/{kind}.json"), document)
            if error:
                outcomes.append(RecordOutcome("invalid", label, reason=f"official schema: {error}"))
                continue
        if kind == "service_at_location":
            if not isinstance(document.get("service"), dict):
                reason = (
                    "a service at a location that does not carry its service: nothing to make "
                    "an entry from (import the services or the organization instead)"
                )
                outcomes.append(RecordOutcome("invalid", label, reason=reason))
                continue
            document = _as_service(document)
            kind = "service"
        if kind == "organization":
            organizations.setdefault(document["id"], {"services": []}).update(
                {k: v for k, v in document.items() if k != "services"}
            )
            organizations[document["id"]]["services"] += document.get("services") or []
        else:
            parent = document.get("organization") or {
                "id": document.get("organization_id") or document["id"],
                "name": document["name"],
            }
            entry = organizations.setdefault(parent["id"], {"services": []})
            for key, value in parent.items():
                entry.setdefault(key, value)
            entry["services"].append(document)
    documents = list(organizations.values())
    for document in documents:
        for warning in checking.loose_ends(document):
            record, _, reason = warning.partition(": ")
            outcomes.append(RecordOutcome("warning", record, reason=reason))
    return documents, outcomes


def _as_service(link):
    """A service at a location as the service, offered at that one location."""
    service = dict(link["service"])
    at = {key: link[key] for key in ("id", "service_id", "location_id", "location") if key in link}
    service["service_at_locations"] = [at]
    return service


def _read_package(folder):
    if not (folder / "datapackage.json").is_file() and not (folder / "organizations.csv").is_file():
        raise ImportFailed(f"{folder} holds no datapackage.json or organizations.csv.")
    try:
        tables, invalid_rows = tabular.read(folder)
    except tabular.TableError as error:
        raise ImportFailed(str(error)) from None
    outcomes = [
        RecordOutcome("invalid", f"{name} {label}", reason=e) for name, label, e in invalid_rows
    ]
    refused = set()
    for name, label, message, fatal in tabular.loose_ends(tables):
        action = "invalid" if fatal else "warning"
        outcomes.append(RecordOutcome(action, f"{name} {label}", reason=message))
        if fatal:
            refused.add(label)
    if refused:
        tables["service"] = [row for row in tables["service"] if row.get("id") not in refused]
    damaged = {name for name, _label, _error in invalid_rows}
    if refused:
        damaged.add("service")
    documents = tabular.nest(tables, damaged)
    causes = _package_causes(tables)
    for document in documents:
        document["_package_causes"] = causes
    return documents, outcomes


def _package_causes(tables):
    """The causes a package defines in its `orgsite` taxonomy, used or not."""
    taxonomy_id = str(ids.taxonomy(CAUSES_TAXONOMY))
    return [
        term
        for term in tables.get("taxonomy_term", [])
        if term.get("taxonomy_id") == taxonomy_id and term.get("code")
    ]
