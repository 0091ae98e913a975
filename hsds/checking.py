"""The importer's own reading of HSDS documents: what kind each is, and whether it holds together.

These checks need no schema file. They cover what the directory uses (types, required fields,
allowed values, the shape of nested parts) and never refuse what the official schema accepts for
those fields; the official schemas, when configured, are a further layer (hsds/schemas.py).
"""

import math
import re
import uuid

from django.utils.dateparse import parse_datetime

from hsds.spec import DISTINCT, FIELDS, IMPORTABLE, KEYS, KIND_NAMES, KIND_ORDER, TABLES

# HSDS documents nest about ten levels (a page, a service, its locations, their addresses...).
MAX_DEPTH = 40
MAX_PROBLEMS = 5
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
CONTROL = re.compile(r"[\x00-\x20\x7f]")


def depth(data):
    """How deeply a parsed JSON value nests (a scalar is 0), counted without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            values = value.values()
        elif isinstance(value, list):
            values = value
        else:
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        stack.extend((item, level + 1) for item in values)
    return deepest


def kind_of(document):
    """The kind of HSDS object a JSON object looks like, judged by its keys."""
    keys = set(document)

    def fit(kind):
        return (len(keys & DISTINCT[kind]), len(keys & KEYS[kind]) - len(keys - KEYS[kind]))

    return max(KIND_ORDER, key=fit)  # max keeps the first of equals: KIND_ORDER breaks ties


def is_tabular_json(data):
    """An HSDS tabular data set written as JSON ({"organizations.csv": [...], ...})."""
    files = {table.path for table in TABLES.values()} | set(TABLES)
    return (
        isinstance(data, dict)
        and bool(data)
        and all(key in files and isinstance(value, list) for key, value in data.items())
    )


def describe(kinds, page=False):
    """Words for what a file held: "a taxonomy", "a list of 3 taxonomies", "a page of ..."."""
    kinds = list(kinds)
    prefix = "an HSDS API page of" if page else "a list of"
    if not kinds:
        return f"{prefix} nothing" if page else "an empty list"
    names = {kind: KIND_NAMES.get(kind, (f"a {kind}", f"{kind}s")) for kind in kinds}
    if len(kinds) == 1:
        one = names[kinds[0]][0]
        return f"{prefix} one {one.split(' ', 1)[1]}" if page else one
    plural = sorted({name[1] for name in names.values()})
    return f"{prefix} {len(kinds)} {' and '.join(plural)}"


def evidence(kind, document):
    """The keys that gave a document's kind away, for a message."""
    telling = sorted(set(document) & DISTINCT[kind])
    return f"it has {', '.join(telling[:4])}" if telling else "by its fields"


def refusal(kind, document):
    """Why a document of a kind the directory does not import is refused."""
    name = document.get("name")
    named = f" {str(name)[:80]!r}" if isinstance(name, str) and name else ""
    return (
        f"this is {KIND_NAMES[kind][0]}{named} ({evidence(kind, document)}), not an "
        "organization, a service or a service at a location: nothing to import"
    )


def importable(kind):
    return kind in IMPORTABLE


# --- Field checks. ---


def problems(kind, document, where=""):
    """Every way the document breaks the rules for the fields the directory reads, as text."""
    found = []
    _check(kind, document, where, found)
    return found


def _check(kind, document, where, found):
    if not isinstance(document, dict):
        found.append(f"{where or '(document)'}: {shown(document)} is not an object")
        return
    for name, field in FIELDS[kind].items():
        path = f"{where}/{name}" if where else name
        value = document.get(name)
        if value is None or value == "":
            if field.required:
                found.append(f"{path}: missing (HSDS requires it)")
            continue
        if field.type == "many":
            if not isinstance(value, list):
                found.append(f"{path}: {shown(value)} is not a list")
                continue
            for number, item in enumerate(value):
                _check(field.kind, item, f"{path}/{number}", found)
        elif field.type == "one":
            _check(field.kind, value, path, found)
        else:
            message = _scalar(field, value)
            if message:
                found.append(f"{path}: {message}")


def row_problems(kind, row):
    """The problems of one table row: its own fields only, nested parts live in other tables."""
    found = []
    for name, field in FIELDS.get(kind, {}).items():
        if field.type in ("many", "one"):
            continue
        value = row.get(name)
        if value is None or value == "":
            if field.required:
                found.append(f"{name}: missing (HSDS requires it)")
            continue
        message = _scalar(field, value)
        if message:
            found.append(f"{name}: {message}")
    return found


def _scalar(field, value):
    """Why a value does not fit its field, or None."""
    if field.type == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{shown(value)} is not a number"
        if not math.isfinite(value):
            return f"{value} is not a finite number"
        return None
    if not isinstance(value, str):
        return f"{shown(value)} is not text"
    if field.type == "uuid" and not _is_uuid(value):
        return f"{shown(value)} is not a UUID (like 7c4b1c5e-5e4e-4d5c-9a43-0b0e8e2c1a01)"
    if field.type == "uri" and not _is_uri(value):
        return f"{shown(value)} is not an absolute URI (like https://example.org/)"
    if field.type == "email" and "@" not in value:
        return f"{shown(value)} is not an email address"
    if field.type == "datetime" and not _is_datetime(value):
        return f"{shown(value)} is not a date and time (like 2025-01-31T12:00:00Z)"
    if field.type == "choice" and value not in field.choices:
        return f"{shown(value)} is not one of {', '.join(field.choices)}"
    return None


def shown(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_uuid(text):
    # As JSON Schema's "uuid" format: the hyphenated form of 36 characters.
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) == 36 and all(text[i] == "-" for i in (8, 13, 18, 23))


def _is_uri(text):
    scheme, _, rest = text.partition(":")
    return bool(rest) and bool(SCHEME.match(scheme)) and not CONTROL.search(text)


def _is_datetime(text):
    try:
        return parse_datetime(text) is not None
    except ValueError:
        return False


# --- Loose ends: links inside one document that lead nowhere. ---


def loose_ends(organization):
    """Warnings about an organization document's links that point at nothing it holds."""
    warnings = []
    org_id = organization.get("id")
    locations = {loc.get("id") for loc in organization.get("locations") or [] if _obj(loc)}
    for loc in organization.get("locations") or []:
        if _obj(loc) and loc.get("organization_id") not in (None, "", org_id):
            warnings.append(
                f"location {loc.get('id')}: organization_id {loc['organization_id']} is not "
                f"this organization ({org_id})"
            )
    for service in organization.get("services") or []:
        if not _obj(service):
            continue
        label = f"service {service.get('id')}"
        if service.get("organization_id") not in (None, "", org_id):
            warnings.append(
                f"{label}: organization_id {service['organization_id']} is not its "
                f"organization ({org_id})"
            )
        for link in service.get("service_at_locations") or []:
            if not _obj(link):
                continue
            if link.get("service_id") not in (None, "", service.get("id")):
                warnings.append(
                    f"{label}: its service at a location {link.get('id')} names another "
                    f"service ({link['service_id']})"
                )
            if not _obj(link.get("location")) and link.get("location_id") not in locations:
                warnings.append(
                    f"{label}: location {link.get('location_id') or '(none)'} of its service at "
                    f"a location {link.get('id')} is not in the document; that place is skipped"
                )
        for attribute in service.get("attributes") or []:
            if not _obj(attribute):
                continue
            term = attribute.get("taxonomy_term")
            wanted = attribute.get("taxonomy_term_id")
            if not _obj(term):
                warnings.append(
                    f"{label}: attribute {attribute.get('id')} names taxonomy term "
                    f"{wanted or '(none)'} without giving it; the attribute is ignored"
                )
            elif wanted and term.get("id") != wanted:
                warnings.append(
                    f"{label}: attribute {attribute.get('id')} names taxonomy term {wanted} but "
                    f"carries term {term.get('id')}"
                )
    return warnings


def _obj(value):
    return isinstance(value, dict)
