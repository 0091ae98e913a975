"""Import HSDS 3.0 data: a service, an organization, a list or page of them, or a data package.

Every record is first checked against the official schema; an invalid one is reported with its id
and the schema error, and skipped. A valid HSDS organization becomes one directory entry per
location its services are offered at. Messy values (placeholder names, a 0,0 point, impossible
coordinates, a missing place) never land on the map: the entry is imported as pending with the
problems noted on its `hsds.ExternalRecord`, or rejected with the reason. Importing the same data
again changes nothing, and a curator's later edits survive until the source itself changes.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime, parse_time
from django.utils.text import slugify

from curation.history import one_record
from directory.models import LANGUAGE_CODES, Category, Organization
from directory.placing import locate
from hsds import ids, schemas, tabular
from hsds.ids import CAUSES_TAXONOMY, DETAILS_TAXONOMY
from hsds.mapping import FLAGS
from hsds.models import ExternalRecord, ImportRun

MAX_FILE_BYTES = 50 * 1024 * 1024
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


class ImportFailed(Exception):
    """The input cannot be read at all: a message for the person who ran the import."""


@dataclass
class Outcome:
    """What happened to one record: created, updated, unchanged, rejected or invalid."""

    action: str
    record: str  # "organization <id>" and, for one of several locations, "@ <location id>"
    name: str = ""
    slug: str = ""
    problems: list = field(default_factory=list)
    reason: str = ""

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
        return text


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
        return f"{counts} ({self.pending} pending review)" + (" [dry run]" if self.dry_run else "")


# --- Reading. ---


def read(path):
    """(organization documents, invalid outcomes) from a JSON file or a data package."""
    path = Path(path)
    if path.is_dir() or path.name == "datapackage.json":
        folder = path if path.is_dir() else path.parent
        if (
            not (folder / "datapackage.json").is_file()
            and not (folder / "organizations.csv").is_file()
        ):
            raise ImportFailed(f"{folder} holds no datapackage.json or organizations.csv.")
        try:
            tables, invalid_rows = tabular.read(folder)
        except tabular.TableError as error:
            raise ImportFailed(str(error)) from None
        invalid = [
            Outcome("invalid", f"{name} {label}", reason=e) for name, label, e in invalid_rows
        ]
        documents, more = _checked(
            [("organization", doc) for doc in tabular.nest(tables)],
            categories=_package_causes(tables),
        )
        return documents, invalid + more
    if not path.is_file():
        raise ImportFailed(f"{path} is not a file or a folder.")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImportFailed(f"{path} is larger than {MAX_FILE_BYTES // 1024 // 1024} MB.")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise ImportFailed(f"{path} is not UTF-8 text.") from None
    except ValueError as error:
        raise ImportFailed(f"{path} is not JSON: {error}") from None
    return _checked(_classify(data))


def _classify(data):
    """(kind, document) pairs from a service, an organization, a list or an HSDS API page."""
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        data = data["contents"]
    items = data if isinstance(data, list) else [data]
    result = []
    for item in items:
        if isinstance(item, dict) and "status" in item and "services" not in item:
            result.append(("service", item))
        else:
            result.append(("organization", item))
    return result


def _checked(pairs, categories=()):
    """Validate each document against its compiled schema; group services by organization."""
    invalid, organizations = [], {}
    for kind, document in pairs:
        error = schemas.first_error(schemas.validator(f"compiled/{kind}.json"), document)
        if error:
            label = document.get("id", "?") if isinstance(document, dict) else "?"
            invalid.append(Outcome("invalid", f"{kind} {str(label)[:60]}", reason=error))
            continue
        if kind == "organization":
            organizations.setdefault(document["id"], {"services": []}).update(
                {k: v for k, v in document.items() if k != "services"}
            )
            organizations[document["id"]]["services"] += document.get("services", [])
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
        document["_package_causes"] = categories
    return documents, invalid


def _package_causes(tables):
    """The causes a package defines in its `orgsite` taxonomy, used or not."""
    taxonomy_id = str(ids.taxonomy(CAUSES_TAXONOMY))
    return [
        term
        for term in tables.get("taxonomy_term", [])
        if term.get("taxonomy_id") == taxonomy_id and term.get("code")
    ]


# --- Mapping one HSDS organization to directory entries. ---


def _entries(document):
    """(source location id, service, location) for each place the organization is found."""
    locations = {loc["id"]: loc for loc in document.get("locations", [])}
    seen, entries = set(), []
    for service in document["services"]:
        for link in service.get("service_at_locations", []):
            location = link.get("location") or locations.get(link.get("location_id"))
            if location and location["id"] not in seen:
                seen.add(location["id"])
                entries.append((location["id"], service, location))
    first_service = document["services"][0] if document["services"] else {}
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
    """Turns one (organization, service, location) into Organization field values and notes."""

    def __init__(self, document, service, location, cause_names):
        self.doc, self.service, self.location = document, service, location
        self.cause_names = cause_names  # {lower-case cause name: slug}, to match foreign terms
        self.problems, self.notes = [], []

    def text(self, value, limit, what):
        value = str(value or "").replace("\x00", "").strip()
        if len(value) > limit:
            self.problems.append(f"{what} cut to {limit} characters")
            value = value[:limit].rstrip()
        return value

    def values(self):
        doc, service, location = self.doc, self.service, self.location
        name = self.text(doc.get("name") or service.get("name"), 200, "name")
        summary = self.text(service.get("description"), 280, "summary")
        description = self.text(doc.get("description"), 10_000, "description")
        if description in (summary, name):
            description = ""  # our export falls back to these when there is no description
        address = next(iter(location.get("addresses", [])), None) or self._place_details()
        values = {
            "name": name,
            "summary": summary,
            "description": description,
            "website": self.text(doc.get("website"), 200, "website"),
            "signup_url": self.text(service.get("url"), 200, "sign-up link"),
            "phone": self.text(self._phone(), 30, "phone"),
            "first_step": self.text(service.get("application_process"), 300, "first step"),
            "address": self.text(address.get("address_1"), 200, "address"),
            "city": self.text(address.get("city"), 100, "city"),
            "state": self.text(address.get("state_province"), 50, "state"),
            "postal_code": self.text(address.get("postal_code"), 12, "postal code"),
            "country": self._country(address.get("country")),
            "accessibility": self.text(
                "; ".join(a.get("description", "") for a in location.get("accessibility", [])),
                300,
                "accessibility",
            ),
            "status": STATUS_FROM_HSDS[service.get("status", "active")],
            "last_verified": self._date(service.get("assured_date")),
        }
        values["address_public"] = bool(values["address"])
        values.update(self._schedule())
        values.update(self._languages())
        values.update(self._details())
        values.update(self._point(values))
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
                return phone.get("number", "")
        return ""

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
        if not schedules:
            return {}
        schedule = schedules[0]
        result = {"meeting_schedule": self.text(schedule.get("description"), 200, "meetings")}
        if schedule.get("freq") in ("WEEKLY", "MONTHLY"):
            result["meeting_frequency"] = schedule["freq"]
        byday = str(schedule.get("byday", "")).replace(" ", "").upper()
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
            code = str(language.get("code", "")).strip().lower()
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
        for attribute in self.service.get("attributes", []):
            term = attribute.get("taxonomy_term") or {}
            if term.get("taxonomy_id") == taxonomy_id or term.get("taxonomy") == taxonomy:
                yield term, attribute.get("value", "")

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
        if "coverage" not in values:
            online = self.location.get("location_type") == "virtual"
            values["coverage"] = "online" if online else "local"
            self.notes.append(f"coverage not stated: taken as {values['coverage']}")
        if values["coverage"] in ("local", "regional") and not values.get("coverage_radius"):
            values["coverage_radius"] = settings.SEARCH_DEFAULT_RADIUS
            self.notes.append(f"coverage radius not stated: {settings.SEARCH_DEFAULT_RADIUS} miles")
        values.setdefault("coverage_radius", None)
        values.setdefault("precision", Organization.Precision.APPROXIMATE)
        return values

    def causes(self):
        """(slug, name, description) of each cause; foreign terms match causes by slug or name."""
        found = []
        for term, _value in self._attributes(CAUSES_TAXONOMY):
            found.append(term)
        by_name = self.cause_names
        for attribute in self.service.get("attributes", []):
            term = attribute.get("taxonomy_term") or {}
            if term.get("taxonomy") in (CAUSES_TAXONOMY, DETAILS_TAXONOMY):
                continue
            slug = by_name.get(str(term.get("name", "")).lower())
            if slug:
                found.append({"code": slug, "name": term["name"]})
        result = {}
        for term in found:
            slug = slugify(str(term.get("code", "")))[:60]
            if slug:
                description = term.get("description", "")
                if description == term.get("name"):
                    description = ""  # our export fills a missing description with the name
                result[slug] = (str(term.get("name", slug))[:80], description)
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
    documents, invalid = read(path)
    report = ImportReport(outcomes=list(invalid), dry_run=dry_run)
    with transaction.atomic():
        run = None if dry_run else ImportRun.objects.create(path=str(path)[:500])
        # A package's causes are created even when no group uses them, so nothing is lost.
        for term in documents[0]["_package_causes"] if documents else ():
            _ensure_cause(term["code"], term["name"], term.get("description", ""))
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


def _import_entry(document, location_id, service, location, run, cause_names):
    label = f"organization {document['id']}" + (f" @ {location_id}" if location_id else "")
    mapper = _Mapper(document, service, location, cause_names)
    values = mapper.values()
    if not values["name"] or PLACEHOLDER.fullmatch(values["name"]):
        return Outcome(
            "rejected", label, values["name"], reason="the name is missing or a placeholder"
        )
    causes = mapper.causes()
    if not causes:
        mapper.problems.append("no cause this directory knows")
    fingerprint = hashlib.sha256(
        json.dumps(
            [values, sorted(causes.items()), service.get("last_modified")],
            default=str,
            sort_keys=True,
        ).encode()
    ).hexdigest()
    record = (
        ExternalRecord.objects.select_related("organization")
        .filter(source_organization_id=document["id"], source_location_id=location_id)
        .first()
    )
    if record is not None and record.fingerprint == fingerprint:
        record.last_run = run
        record.save(update_fields=["last_run"])
        return Outcome("unchanged", label, values["name"], record.organization.slug)
    if mapper.problems:
        values["status"] = Organization.Status.PENDING
    if record and record.organization.status == Organization.Status.ARCHIVED:
        # A curator archived it (say, at the organizers' request): a source update does not
        # bring it back into public view.
        values["status"] = Organization.Status.ARCHIVED
    org = (
        record.organization
        if record
        else Organization(slug=_new_slug(document, values, location_id))
    )
    for name, value in values.items():
        setattr(org, name, value)
    failure = _full_clean(org, mapper)
    if failure:
        return Outcome("rejected", label, values["name"], reason=failure)
    action = "updated" if record else "created"
    with one_record(org, reason=f"HSDS import: {run.path if run else 'preview'}"[:100]):
        org.save()
        org.causes.set([_ensure_cause(slug, *about) for slug, about in causes.items()])
    modified = parse_datetime(str(service.get("last_modified", "")))
    if modified is not None:
        # Keep the source's modification time, so a round trip gives the same documents.
        Organization.objects.filter(pk=org.pk).update(updated=modified)
    if record is None:
        record = ExternalRecord(
            organization=org,
            hsds_id=_hsds_id(document["id"], location_id),
            source_organization_id=document["id"],
            source_location_id=location_id,
            first_run=run,
        )
    record.problems = "; ".join(mapper.problems + mapper.notes)
    record.fingerprint, record.last_run = fingerprint, run
    record.save()
    return Outcome(action, label, values["name"], org.slug, list(mapper.problems))


def _full_clean(org, mapper):
    """Validate like a form would; an optional value that fails is dropped, with a note."""
    for _attempt in range(2):
        try:
            org.full_clean(exclude=["causes"], validate_unique=False)
            return ""
        except ValidationError as error:
            errors = error.message_dict
        required = {"name", "slug", "status", "coverage", "__all__"}
        if required & errors.keys():
            return "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
        for name, messages in errors.items():
            setattr(org, name, Organization._meta.get_field(name).get_default())
            mapper.problems.append(f"{name}: {' '.join(messages)} (left empty)")
        org.status = Organization.Status.PENDING
    return "; ".join(mapper.problems)


def _hsds_id(organization_id, location_id):
    """The source id for a single-place organization; a derived one for each of several places."""
    source = ids.parse(organization_id)
    candidate = ids.child(source, f"location:{location_id}") if location_id else source
    if ExternalRecord.objects.filter(hsds_id=candidate).exists():
        candidate = ids.child(source, f"copy:{location_id}")
    return candidate


def _new_slug(document, values, location_id):
    """The slug the source gives in our identifier scheme, else one made from the name."""
    wanted = ""
    if not location_id:
        for identifier in document.get("organization_identifiers", []):
            if (
                identifier.get("identifier_scheme") == "orgsite"
                and identifier.get("identifier_type") == "slug"
            ):
                wanted = slugify(identifier.get("identifier", ""))[:200]
    if not wanted:
        wanted = slugify(values["name"])[:180] or "group"
        if location_id and values["city"]:
            wanted = f"{wanted}-{slugify(values['city'])[:30]}".strip("-")
    slug, n = wanted, 2
    while Organization.objects.filter(slug=slug).exists():
        slug, n = f"{wanted}-{n}", n + 1
    return slug
