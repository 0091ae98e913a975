"""The official HSDS 3.0 JSON Schemas, when a copy is configured: an extra layer of validation.

The directory does not need them: the importer checks what it reads by its own rules
(hsds/checking.py) and the export writes its own table definitions (hsds/spec.py). When
settings.HSDS_SCHEMA_DIR points at the `schema/` folder of Open Referral's specification (3.0),
every imported record is also validated against its official schema, and the export carries the
official table definitions. The files stay unmodified where they were published (CC BY-SA 4.0,
Open Referral); see docs/hsds.md. The top-level files use relative `$ref`s, resolved here against
the same base URL the HSDS OpenAPI file uses.
"""

import copy
import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
HOW_TO_GET = (
    "the schema/ folder of https://github.com/openreferral/specification at the v3.0 tag "
    "(with compiled/; datapackage.json may be in it or, as in that repository, beside it)"
)


def schema_dir():
    """The configured schema folder, or None when none is configured.

    A folder that is configured but does not hold the schemas is a configuration error, not a
    reason to import without them.
    """
    if not settings.HSDS_SCHEMA_DIR:
        return None
    path = Path(settings.HSDS_SCHEMA_DIR)
    if not (path / "compiled" / "service.json").is_file() or _datapackage(path) is None:
        raise ImproperlyConfigured(
            f"HSDS_SCHEMA_DIR is {path}, which does not hold the HSDS 3.0 schemas. Point it at "
            f"{HOW_TO_GET}, or leave it empty to work without them."
        )
    return path


def available():
    """Whether the official schemas are configured (and there)."""
    return schema_dir() is not None


def _required():
    path = schema_dir()
    if path is None:
        raise ImproperlyConfigured(
            f"The official HSDS schemas are not configured: set HSDS_SCHEMA_DIR to {HOW_TO_GET}."
        )
    return path


def _datapackage(folder):
    """The tabular package descriptor: in the schema folder, or at the root of the repository
    whose schema/ folder it is."""
    for path in (folder / "datapackage.json", folder.parent / "datapackage.json"):
        if path.is_file():
            return path
    return None


def load(name):
    """One schema file, by its path under the schema folder ("compiled/service.json")."""
    return _load(str(_required()), name)


@cache
def _load(folder, name):
    path = Path(folder) / name
    if name == "datapackage.json":
        path = _datapackage(Path(folder))
    return json.loads(path.read_text(encoding="utf-8"))


def strict(schema):
    """A copy of the schema in which no object may carry a property it does not define.

    This is how Open Referral's own CI checks its examples (compiletojsonschema's
    --set-additional-properties-false-everywhere); the published files allow anything extra.
    """
    schema = copy.deepcopy(schema)
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict):
                node.setdefault("additionalProperties", False)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return schema


@cache
def _registry(folder, strict_mode):
    folder = Path(folder)
    resources = []
    for path in sorted(folder.glob("*.json")) + sorted(folder.glob("compiled/*.json")):
        relative = path.relative_to(folder).as_posix()
        contents = json.loads(path.read_text(encoding="utf-8"))
        if strict_mode:
            contents = strict(contents)
        resources.append((BASE + relative, Resource(contents, specification=DRAFT202012)))
    return Registry().with_resources(resources)


def validator(name, strict=False):
    """A Draft 2020-12 validator, with format checking, for a schema file of the folder.

    With `strict`, objects may not carry properties their schema does not define.
    """
    return _validator(str(_required()), name, strict)


@cache
def _validator(folder, name, strict_mode):
    return Draft202012Validator(
        {"$ref": BASE + name},
        registry=_registry(folder, strict_mode),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def table_validator(resource):
    """The validator of one row of a tabular resource ("service"), from compiled/tabular.json."""
    return _table_validator(str(_required()), resource)


@cache
def _table_validator(folder, resource):
    tabular = _load(folder, "compiled/tabular.json")
    return Draft202012Validator(
        tabular["properties"][resource]["items"],
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def first_error(validator_, document):
    """The most relevant schema error as "path: message", or None when the document is valid."""
    error = best_match(validator_.iter_errors(document))
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "(document)"
    message = error.message if len(error.message) <= 300 else error.message[:300] + "…"
    return f"{where}: {message}"
