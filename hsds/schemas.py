"""The official HSDS 3.0 JSON Schemas, loaded once from settings.HSDS_SCHEMA_DIR, as validators.

The files stay unmodified where they were published (CC BY-SA 4.0, Open Referral); see
docs/hsds.md. The top-level files use relative `$ref`s, resolved here against the same base URL
the HSDS OpenAPI file uses.
"""

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


def schema_dir():
    path = Path(settings.HSDS_SCHEMA_DIR)
    if not (path / "compiled" / "service.json").is_file():
        raise ImproperlyConfigured(
            f"The HSDS 3.0 schemas are not in {path}. Set HSDS_SCHEMA_DIR to the folder holding "
            "openreferral/specification's schema/ (with compiled/ and datapackage.json)."
        )
    return path


def load(name):
    """One schema file, by its path under the schema folder ("compiled/service.json")."""
    return json.loads((schema_dir() / name).read_text(encoding="utf-8"))


@cache
def _registry():
    resources = []
    for path in sorted(schema_dir().glob("*.json")) + sorted(schema_dir().glob("compiled/*.json")):
        relative = path.relative_to(schema_dir()).as_posix()
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((BASE + relative, Resource(contents, specification=DRAFT202012)))
    return Registry().with_resources(resources)


@cache
def validator(name):
    """A Draft 2020-12 validator, with format checking, for a schema file of the folder."""
    return Draft202012Validator(
        {"$ref": BASE + name},
        registry=_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


@cache
def table_validator(resource):
    """The validator of one row of a tabular resource ("service"), from compiled/tabular.json."""
    tabular = load("compiled/tabular.json")
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
