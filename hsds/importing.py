"""Import HSDS 3.0 data: organizations, services, services at locations, or a data package.

Reading (hsds/reading.py) tells each document's kind from its shape and checks it by the
importer's own rules, then against the official schema when one is configured; a document that
fails is reported with its id and the reason, and skipped. A valid HSDS organization becomes one
directory entry per location its services are offered at. Messy values (placeholder names, a 0,0
point, impossible coordinates, a missing place) never land on the map: the entry is imported as
pending with the problems noted on its `hsds.ExternalRecord`, or rejected with the reason.

An import never erases what it does not know. A key a document leaves out says nothing about
that field (a service list carries no phones, addresses or languages), so only the fields a
document speaks about are compared with what the source said last time, and only those that
changed are written: a curator's edit survives until the source changes that same field. A
document older than the one imported before (by `last_modified`) changes nothing. Importing the
same data again changes nothing.
"""

import datetime
import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from curation.history import one_record
from directory.models import Category, Organization
from hsds import ids
from hsds.from_hsds import PLACEHOLDER, EntryMapper, entries, new_slug
from hsds.models import EntryIds, ExternalRecord, ImportRun
from hsds.reading import ImportFailed, RecordOutcome, read

__all__ = ["ImportFailed", "HsdsImportReport", "RecordOutcome", "import_hsds"]


@dataclass
class HsdsImportReport:
    outcomes: list = field(default_factory=list)
    dry_run: bool = False

    def count(self, action):
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    @property
    def pending(self):
        return sum(1 for o in self.outcomes if o.problems and o.action in ("created", "updated"))

    def summary(self):
        counts = ", ".join(
            f"{self.count(action)} {action}"
            for action in ("created", "updated", "unchanged", "rejected", "invalid")
        )
        warnings = self.count("warning")
        counts += f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""
        return f"{counts} ({self.pending} pending review)" + (" [dry run]" if self.dry_run else "")


# --- Writing. ---


def import_hsds(path, dry_run=False):
    """Read, check and import HSDS data in one transaction; return an HsdsImportReport."""
    documents, outcomes = read(path)
    report = HsdsImportReport(outcomes=list(outcomes), dry_run=dry_run)
    with transaction.atomic():
        run = None if dry_run else ImportRun.objects.create(path=str(path)[:500])
        # A package's causes are created even when no group uses them, so nothing is lost.
        for term in documents[0].get("_package_causes", ()) if documents else ():
            _ensure_cause(term["code"], term.get("name") or "", term.get("description") or "")
        names = {c.name.lower(): c.slug for c in Category.objects.all()}
        for document in documents:
            for location_id, service, location in entries(document):
                report.outcomes.append(
                    _import_entry(document, location_id, service, location, run, names)
                )
        if run is not None:
            run.created, run.updated = report.count("created"), report.count("updated")
            run.unchanged = report.count("unchanged")
            run.rejected = report.count("rejected") + report.count("invalid")
            run.pending = report.pending
            run.report = "\n".join(str(o) for o in report.outcomes)
            run.save()
        if dry_run:
            transaction.set_rollback(True)
    return report


def _ensure_cause(slug, name, description):
    slug = slugify(str(slug))[:60]
    if not slug:
        return None
    if description == name:
        description = ""
    cause, _ = Category.objects.get_or_create(
        slug=slug, defaults={"name": str(name)[:80] or slug, "description": description}
    )
    return cause


def _modified(service):
    """The service's `last_modified` as an aware moment, or None."""
    try:
        moment = parse_datetime(str(service.get("last_modified") or ""))
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return moment


def _said(values, causes, known):
    """What the document says, field by field, as JSON values: kept to compare with next time."""
    said = {
        name: value.isoformat() if isinstance(value, (datetime.date, datetime.time)) else value
        for name, value in values.items()
        if name in known
    }
    if "causes" in known:
        said["causes"] = sorted(causes.items())
    return json.loads(json.dumps(said))  # tuples become lists, as they come back from the database


def _import_entry(document, location_id, service, location, run, cause_names):
    label = f"organization {document['id']}" + (f" @ {location_id}" if location_id else "")
    record = (
        ExternalRecord.objects.select_related("organization")
        .filter(source_organization_id=document["id"], source_location_id=location_id)
        .first()
    )
    current = record.organization if record else None
    mapper = EntryMapper(document, service, location, cause_names, current)
    values = mapper.values()
    if not values["name"] or PLACEHOLDER.fullmatch(values["name"]):
        return RecordOutcome(
            "rejected", label, values["name"], reason="the name is missing or a placeholder"
        )
    causes = mapper.causes()
    if not causes and mapper.says("causes"):
        mapper.problems.append("no cause this directory knows")
    modified = _modified(service)
    if record and modified and record.source_modified and modified < record.source_modified:
        return RecordOutcome(
            "unchanged",
            label,
            values["name"],
            current.slug,
            reason=(
                f"last modified {modified.isoformat()}, before the version imported already "
                f"({record.source_modified.isoformat()}): nothing taken from it"
            ),
        )
    said = _said(values, causes, mapper.known)
    previous = record.source_values if record else {}
    changed = {name for name, value in said.items() if previous.get(name, ...) != value}
    if record is not None and not changed:
        record.last_run = run
        if modified and (record.source_modified is None or modified > record.source_modified):
            record.source_modified = modified
        record.save(update_fields=["last_run", "source_modified"])
        return RecordOutcome("unchanged", label, values["name"], current.slug)
    archived = current is not None and current.status == Organization.Status.ARCHIVED
    org = current or Organization(slug=new_slug(document, values, location_id))
    writing = set(values) if record is None else changed - {"causes"}
    for name in writing:
        setattr(org, name, values[name])
    if mapper.problems:
        org.status = Organization.Status.PENDING
    if archived:
        # A curator archived it (say, at the organizers' request): a source update does not
        # bring it back into public view.
        org.status = Organization.Status.ARCHIVED
    failure = _full_clean(org, mapper, writing)
    if failure:
        return RecordOutcome("rejected", label, values["name"], reason=failure)
    action = "updated" if record else "created"
    with one_record(org, reason=f"HSDS import: {run.path if run else 'preview'}"[:100]):
        org.save()
        if record is None or "causes" in changed:
            org.causes.set([_ensure_cause(slug, *about) for slug, about in causes.items()])
    if modified is not None:
        # Keep the source's modification time, so a round trip gives the same documents.
        Organization.objects.filter(pk=org.pk).update(updated=modified)
    if record is None:
        record = ExternalRecord(
            organization=org,
            hsds_id=_hsds_id(document["id"], location_id, org),
            source_organization_id=document["id"],
            source_location_id=location_id,
            first_run=run,
        )
    record.problems = "; ".join(mapper.problems + mapper.notes)
    record.source_values = {**previous, **said}
    if modified and (record.source_modified is None or modified > record.source_modified):
        record.source_modified = modified
    record.last_run = run
    record.save()  # its signal stores the entry's HSDS ids (hsds/apps.py)
    return RecordOutcome(
        action, label, values["name"], org.slug, list(mapper.problems), notes=mapper.notes
    )


def _full_clean(org, mapper, writing):
    """Validate like a form would; an optional value being written that fails is dropped."""
    for _attempt in range(2):
        try:
            org.full_clean(exclude=["causes"], validate_unique=False)
            return ""
        except ValidationError as error:
            errors = error.message_dict
        required = {"name", "slug", "status", "coverage", "__all__"}
        if required & errors.keys() or not set(errors) <= writing:
            return "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
        for name, messages in errors.items():
            setattr(org, name, Organization._meta.get_field(name).get_default())
            mapper.problems.append(f"{name}: {' '.join(messages)} (left empty)")
        org.status = Organization.Status.PENDING
    return "; ".join(mapper.problems)


def _hsds_id(organization_id, location_id, org):
    """The source id for a single-place organization; a derived one for each of several places.

    An id another entry already answers to (an imported one, or one made from a slug) is never
    given twice. (The new entry itself answers, until its record exists, to its slug's id.)
    """
    source = ids.parse(organization_id)
    candidate = ids.child(source, f"location:{location_id}") if location_id else source
    taken = (
        ExternalRecord.objects.filter(hsds_id=candidate).exists()
        or EntryIds.objects.filter(organization_uuid=candidate).exclude(organization=org).exists()
    )
    if taken:
        candidate = ids.child(source, f"copy:{location_id}")
    return candidate
