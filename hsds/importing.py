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
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime, parse_time
from django.utils.text import slugify

from curation.history import one_record
from directory.models import LANGUAGE_CODES, Category, Organization
from directory.placing import locate
from hsds import ids
from hsds.ids import CAUSES_TAXONOMY, DETAILS_TAXONOMY
from hsds.mapping import FLAGS
from hsds.models import EntryIds, ExternalRecord, ImportRun
from hsds.reading import ImportFailed, Outcome, read

__all__ = ["ImportFailed", "ImportReport", "Outcome", "import_hsds"]

PLACEHOLDER = re.compile(
    r"^(test|testing|tbd|tba|todo|n/?a|none|null|unknown|placeholder|sample|example|"
    r"x+|\?+|-+|\.+|0+|name|organi[sz]ation( name)?)$",
    re.IGNORECASE,
)
STATUS_FROM_HSDS = {
    "active": Organization.Status.PUBLISHED,
    "temporarily closed": Organization.Status.INACTIVE,
    "inactive": Organization.Status.INACTIVE,
    "defunct": Organization.Status.ARCHIVED,
}
COUNTRY_NAMES = {"usa": "US", "united states": "US", "united states of america": "US"}
BYDAY = re.compile(r"^(-1|[1-4])?(MO|TU|WE|TH|FR|SA|SU)(,(-1|[1-4])?(MO|TU|WE|TH|FR|SA|SU))*$")
PHONE_QUOTES = "\"'“”‘’"

# Which fields of an entry each part of a document speaks for.
PLACE = ("address", "address_public", "city", "state", "postal_code", "country")
POINT = ("latitude", "longitude", "precision")
MEETINGS = ("meeting_schedule", "meeting_frequency", "meeting_byday", "meeting_time")
DETAILS = ("coverage", "coverage_radius", "social_links", "precision", *FLAGS.values())


@dataclass
class ImportReport:
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


# --- Mapping one HSDS organization to directory entries. ---


def _entries(document):
    """(source location id, service, location) for each place the organization is found."""
    locations = {loc["id"]: loc for loc in document.get("locations") or [] if isinstance(loc, dict)}
    seen, entries = set(), []
    services = document.get("services") or []
    for service in services:
        for link in service.get("service_at_locations") or []:
            location = link.get("location") or locations.get(link.get("location_id"))
            if location and location["id"] not in seen:
                seen.add(location["id"])
                entries.append((location["id"], service, location))
    first_service = services[0] if services else {}
    for location_id, location in locations.items():
        if location_id not in seen:
            seen.add(location_id)
            entries.append((location_id, first_service, location))
    if not entries:
        entries.append(("", first_service, {}))
    if len(entries) == 1:
        entries[0] = ("", *entries[0][1:])  # one place: the organization itself is the key
    return entries


class _Mapper:
    """Turns one (organization, service, location) into Organization field values and notes.

    `current` is the entry as it is, when updating: the fields the document says nothing about
    keep its values, so that what depends on them (placing from a postal code) stays right.
    """

    def __init__(self, document, service, location, cause_names, current=None):
        self.doc, self.service, self.location = document, service, location
        self.cause_names = cause_names  # {lower-case cause name: slug}, to match foreign terms
        self.current = current
        self.problems, self.notes = [], []
        self.known = self._known()

    def _known(self):
        """The entry's fields this document speaks about (a key it leaves out is unknown)."""
        doc, service, location = self.doc, self.service, self.location
        # A document may say outright that there is no place: "locations": [] and no service
        # offered anywhere.
        no_place = not location and ("locations" in doc or "service_at_locations" in service)
        known = {"name"}
        for name, present in (
            ("summary", "description" in service),
            ("description", "description" in doc),
            ("website", "website" in doc),
            ("signup_url", "url" in service),
            ("phone", "phones" in service or "phones" in location or "phones" in doc),
            ("first_step", "application_process" in service),
            ("status", "status" in service),
            ("last_verified", "assured_date" in service),
            ("accessibility", "accessibility" in location or no_place),
            ("languages", "languages" in service or "languages" in location),
        ):
            if present:
                known.add(name)
        if "schedules" in service or "schedules" in location:
            known.update(MEETINGS)
        if "attributes" in service:
            known.update(DETAILS)
            known.add("causes")
        if "addresses" in location or self._place_details() or no_place:
            known.update(PLACE)
        if "latitude" in location or "longitude" in location or PLACE[0] in known:
            known.update(POINT)
        return known

    def says(self, *names):
        """Whether the document speaks about these fields, or a new entry is being made."""
        return self.current is None or all(name in self.known for name in names)

    def text(self, value, limit, what):
        value = str(value if value is not None else "").replace("\x00", "").strip()
        if len(value) > limit:
            self.problems.append(f"{what} cut to {limit} characters")
            value = value[:limit].rstrip()
        return value

    def values(self):
        """Every field's value: the document's, else (updating) the entry's, else a default."""
        doc, service, location = self.doc, self.service, self.location
        name = self.text(doc.get("name") or service.get("name"), 200, "name")
        summary = self.text(service.get("description"), 280, "summary")
        description = self.text(doc.get("description"), 10_000, "description")
        if description in (summary, name):
            description = ""  # our export falls back to these when there is no description
        addresses = [a for a in location.get("addresses") or [] if isinstance(a, dict)]
        address = next(iter(addresses), None) or self._place_details()
        status = service.get("status") or "active"
        values = {
            "name": name,
            "summary": summary,
            "description": description,
            "website": self.text(doc.get("website"), 200, "website"),
            "signup_url": self.text(service.get("url"), 200, "sign-up link"),
            "phone": self._phone(),
            "first_step": self.text(service.get("application_process"), 300, "first step"),
            "address": self.text(address.get("address_1"), 200, "address"),
            "city": self.text(address.get("city"), 100, "city"),
            "state": self.text(address.get("state_province"), 50, "state"),
            "postal_code": self.text(address.get("postal_code"), 12, "postal code"),
            "country": self._country(address.get("country")),
            "accessibility": self.text(
                "; ".join(
                    str(a.get("description") or "")
                    for a in location.get("accessibility") or []
                    if isinstance(a, dict)
                ),
                300,
                "accessibility",
            ),
            "status": STATUS_FROM_HSDS[status],
            "last_verified": self._date(service.get("assured_date")),
            "meeting_schedule": "",
            "meeting_frequency": "",
            "meeting_byday": "",
            "meeting_time": None,
        }
        values["address_public"] = bool(values["address"])
        values.update(self._schedule())
        values.update(self._languages())
        values.update(self._details())
        if self.current is not None:
            for name in set(values) - self.known:
                values[name] = getattr(self.current, name)
        if self.says(*POINT):
            values.update(self._point(values))
        else:
            values["latitude"] = self.current.latitude
            values["longitude"] = self.current.longitude
        return values

    def _place_details(self):
        """City, state, postal code and country sent as details when there is no address."""
        keys = {"city": "city", "state": "state_province", "postal-code": "postal_code"}
        keys["country"] = "country"
        return {
            keys[term.get("code")]: value
            for term, value in self._attributes(DETAILS_TAXONOMY)
            if term.get("code") in keys
        }

    def _phone(self):
        for phones in (
            self.service.get("phones"),
            self.location.get("phones"),
            self.doc.get("phones"),
        ):
            for phone in phones or []:
                if isinstance(phone, dict) and phone.get("number"):
                    return self._phone_number(str(phone["number"]))
        return ""

    def _phone_number(self, raw):
        number = raw.replace("\x00", "").strip()
        bare = number.strip(PHONE_QUOTES + " ")
        if bare != number:
            self.notes.append(f"phone number {number[:40]!r} had quotes around it; taken off")
            number = bare
        if not any(character.isdigit() for character in number):
            self.problems.append(f"phone number {number[:40]!r} has no digits (left empty)")
            return ""
        return self.text(number, 30, "phone")

    def _country(self, value):
        value = str(value or "").strip()
        code = COUNTRY_NAMES.get(value.lower(), value.upper())
        if re.fullmatch(r"[A-Z]{2}", code):
            return code
        if value:
            self.problems.append(f"country '{value[:40]}' is not a two-letter code")
        return "US"

    def _date(self, value):
        if not value:
            return None
        try:
            parsed = parse_date(str(value)[:10])
        except ValueError:
            parsed = None
        if parsed is None:
            self.problems.append(f"assured date '{str(value)[:40]}' is not a date")
        return parsed

    def _schedule(self):
        schedules = self.service.get("schedules") or self.location.get("schedules") or []
        schedules = [s for s in schedules if isinstance(s, dict)]
        if not schedules:
            return {}
        schedule = schedules[0]
        result = {"meeting_schedule": self.text(schedule.get("description"), 200, "meetings")}
        if schedule.get("freq") in ("WEEKLY", "MONTHLY"):
            result["meeting_frequency"] = schedule["freq"]
        byday = str(schedule.get("byday") or "").replace(" ", "").upper()
        if byday and BYDAY.fullmatch(byday) and len(byday) <= 20:
            result["meeting_byday"] = byday
        elif byday:
            self.notes.append(f"meeting day rule '{byday[:30]}' not understood")
        if schedule.get("opens_at"):
            try:
                result["meeting_time"] = parse_time(str(schedule["opens_at"])[:8])
            except ValueError:
                result["meeting_time"] = None
            if result["meeting_time"] is None:
                self.notes.append(f"meeting time '{str(schedule['opens_at'])[:20]}' not understood")
        return result

    def _languages(self):
        codes = []
        for language in (self.service.get("languages") or []) + (
            self.location.get("languages") or []
        ):
            if not isinstance(language, dict):
                continue
            code = str(language.get("code") or "").strip().lower()
            if re.fullmatch(r"[a-z]{2,3}", code) and code not in codes:
                codes.append(code)
            elif code and code not in codes:
                self.notes.append(f"language code '{code[:20]}' is not an ISO 639 code")
        languages = ",".join(codes)
        if len(languages) > 60 or not LANGUAGE_CODES.match(languages or "en"):
            self.notes.append("too many languages; kept the first ones")
            languages = ",".join(codes[: 60 // 4])
        return {"languages": languages or "en"}

    def _attributes(self, taxonomy):
        taxonomy_id = str(ids.taxonomy(taxonomy))
        for attribute in self.service.get("attributes") or []:
            if not isinstance(attribute, dict):
                continue
            term = attribute.get("taxonomy_term") or {}
            if term.get("taxonomy_id") == taxonomy_id or term.get("taxonomy") == taxonomy:
                value = attribute.get("value")
                yield term, "" if value is None else value

    def _details(self):
        values = dict.fromkeys(FLAGS.values(), False)
        social = []
        for term, value in self._attributes(DETAILS_TAXONOMY):
            code = term.get("code")
            if code == "coverage" and value in Organization.Coverage.values:
                values["coverage"] = value
            elif code == "coverage-radius" and str(value).isascii() and str(value).isdecimal():
                values["coverage_radius"] = int(value)
            elif code == "precision" and value in Organization.Precision.values:
                values["precision"] = value
            elif code in FLAGS:
                values[FLAGS[code]] = str(value).lower() == "true"
            elif code == "social-link" and str(value).startswith(("https://", "http://")):
                social.append(str(value))
        values["social_links"] = "\n".join(social)
        speaks = self.says(*DETAILS)
        if "coverage" not in values:
            online = self.location.get("location_type") == "virtual"
            values["coverage"] = "online" if online else "local"
            if speaks:
                self.notes.append(f"coverage not stated: taken as {values['coverage']}")
        if values["coverage"] in ("local", "regional") and not values.get("coverage_radius"):
            values["coverage_radius"] = settings.SEARCH_DEFAULT_RADIUS
            if speaks:
                self.notes.append(
                    f"coverage radius not stated: {settings.SEARCH_DEFAULT_RADIUS} miles"
                )
        values.setdefault("coverage_radius", None)
        values.setdefault("precision", Organization.Precision.APPROXIMATE)
        return values

    def causes(self):
        """(slug, name, description) of each cause; foreign terms match causes by slug or name."""
        found = []
        for term, _value in self._attributes(CAUSES_TAXONOMY):
            found.append(term)
        by_name = self.cause_names
        for attribute in self.service.get("attributes") or []:
            if not isinstance(attribute, dict):
                continue
            term = attribute.get("taxonomy_term") or {}
            if term.get("taxonomy") in (CAUSES_TAXONOMY, DETAILS_TAXONOMY):
                continue
            slug = by_name.get(str(term.get("name") or "").lower())
            if slug:
                found.append({"code": slug, "name": term["name"]})
        result = {}
        for term in found:
            slug = slugify(str(term.get("code") or ""))[:60]
            if slug:
                description = term.get("description") or ""
                if description == term.get("name"):
                    description = ""  # our export fills a missing description with the name
                result[slug] = (str(term.get("name") or slug)[:80], description)
        return result

    def _point(self, values):
        """Latitude and longitude, never a placeholder: else from the postal code or city."""
        lat, lng = self.location.get("latitude"), self.location.get("longitude")
        point = {"latitude": None, "longitude": None}
        if lat is not None or lng is not None:
            if lat is None or lng is None:
                self.problems.append("only one of latitude and longitude given")
            elif not (-90 <= lat <= 90 and -180 <= lng <= 180):
                self.problems.append(f"impossible coordinates {lat},{lng}")
            elif lat == 0 and lng == 0:
                self.problems.append("coordinates 0,0 (a placeholder)")
            else:
                point = {"latitude": float(lat), "longitude": float(lng)}
        if point["latitude"] is None and values["coverage"] != "online":
            where = Organization(
                postal_code=values["postal_code"],
                city=values["city"],
                state=values["state"],
                country=values["country"],
            )
            if locate(where):
                point = {"latitude": where.latitude, "longitude": where.longitude}
                values["precision"] = Organization.Precision.APPROXIMATE
                self.notes.append("point taken from the postal code or city")
            elif values["coverage"] in ("local", "regional"):
                self.problems.append("no usable location (coordinates, postal code or city)")
        return point


# --- Writing. ---


def import_hsds(path, dry_run=False):
    """Read, check and import HSDS data in one transaction; return an ImportReport."""
    documents, outcomes = read(path)
    report = ImportReport(outcomes=list(outcomes), dry_run=dry_run)
    with transaction.atomic():
        run = None if dry_run else ImportRun.objects.create(path=str(path)[:500])
        # A package's causes are created even when no group uses them, so nothing is lost.
        for term in documents[0].get("_package_causes", ()) if documents else ():
            _ensure_cause(term["code"], term.get("name") or "", term.get("description") or "")
        names = {c.name.lower(): c.slug for c in Category.objects.all()}
        for document in documents:
            for location_id, service, location in _entries(document):
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
    mapper = _Mapper(document, service, location, cause_names, current)
    values = mapper.values()
    if not values["name"] or PLACEHOLDER.fullmatch(values["name"]):
        return Outcome(
            "rejected", label, values["name"], reason="the name is missing or a placeholder"
        )
    causes = mapper.causes()
    if not causes and mapper.says("causes"):
        mapper.problems.append("no cause this directory knows")
    modified = _modified(service)
    if record and modified and record.source_modified and modified < record.source_modified:
        return Outcome(
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
        return Outcome("unchanged", label, values["name"], current.slug)
    archived = current is not None and current.status == Organization.Status.ARCHIVED
    org = current or Organization(slug=_new_slug(document, values, location_id))
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
        return Outcome("rejected", label, values["name"], reason=failure)
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
    return Outcome(
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


def _new_slug(document, values, location_id):
    """The slug the source gives in our identifier scheme, else one made from the name."""
    wanted = ""
    if not location_id:
        for identifier in document.get("organization_identifiers") or []:
            if (
                isinstance(identifier, dict)
                and identifier.get("identifier_scheme") == "orgsite"
                and identifier.get("identifier_type") == "slug"
            ):
                wanted = slugify(identifier.get("identifier") or "")[:200]
    if not wanted:
        wanted = slugify(values["name"])[:180] or "group"
        if location_id and values["city"]:
            wanted = f"{wanted}-{slugify(values['city'])[:30]}".strip("-")
    slug, n = wanted, 2
    while Organization.objects.filter(slug=slug).exists():
        slug, n = f"{wanted}-{n}", n + 1
    return slug
