"""CSV import of organizations: one flat row per entry, matched on a stable key.

The file's columns and the reading of its cells are curation/csv_format.py's; the export is
curation/exporting.py. The same engine backs `manage.py import_orgs` and the admin's import
(through the django-import-export resource in curation/resources.py): a whole file is parsed,
validated and compared with the database first, so a preview writes nothing; then, only if no row
has an error, everything is written with bulk queries, and each created or changed entry gets a
history record. Rows that would change nothing are not touched, so importing the same file twice
changes nothing the second time.

An import never loses data by accident: a row with fewer cells than the header (a file cut short,
a row whose last cells a tool dropped) is refused rather than read as empty cells, and a private
field (the relay's contact email) is only emptied when the importer says so.

The write commits in batches of a few hundred entries, each a short transaction: on SQLite a
transaction holds the only write lock, and one as long as a big import would make every contact
message and suggestion written meanwhile wait, then fail. Since every row was checked first, a
batch fails only on a database fault; the batches written before it stay, and running the same
file again writes the rest (what was written is unchanged the second time).
"""

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from curation.csv_format import (
    COLUMN_KINDS,
    HEADERS,
    PRIVATE_FIELDS,
    ImportRefused,
    parse_cells,
    width_error,
)
from curation.history import copy_history
from directory import caching
from directory.constraints import constraint_errors
from directory.models import Category, Organization
from directory.placing import locate
from directory.slugs import free_slug, slug_base

# Fields that locating from a ZIP or city may fill.
PLACE_FIELDS = ("latitude", "longitude", "precision", "state")
NOT_VALIDATED = ("id", "logo", "created", "updated", "version")
MODEL_FIELDS = {f.name: f for f in Organization._meta.concrete_fields}
CHUNK = 2000
MAX_ERRORS = 500
# Entries written per transaction: on SQLite a batch holds the write lock for a fraction of a
# second (up to a second on a loaded machine). Between batches the importer pauses as long as
# SQLite's busy handler waits at most between two tries (100 ms), so a writer waiting on the
# lock gets it. Measured (docs/curation.md): a 60,000-row import in one transaction made 11
# of 1,085 writes fail at a 5 s busy timeout; in batches, none of 1,635 did.
BATCH = 500
SQLITE_PAUSE = 0.1


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
            values, errors = parse_cells(raw, self.headers, self.categories)
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
            values["slug"] = free_slug(slug_base(values.get("name", "")), self.slug_owner)
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
    copy_history([org.pk for org in orgs], "+" if adding else "~", now, user_id, reason)
