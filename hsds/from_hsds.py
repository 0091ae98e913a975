"""From HSDS to directory entries: how one HSDS organization becomes entries, field by field.

The other direction, an entry as HSDS documents, is hsds/to_hsds.py; hsds/importing.py reads
the files, compares with what the source said before and writes.
"""

import re

from django.conf import settings
from django.utils.dateparse import parse_date, parse_time
from django.utils.text import slugify

from directory.models import LANGUAGE_CODES, MEETING_BYDAY, Organization
from directory.placing import locate
from directory.slugs import slug_base, unused_slug
from hsds import ids
from hsds.ids import CAUSES_TAXONOMY, DETAILS_TAXONOMY
from hsds.to_hsds import FLAGS

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
PHONE_QUOTES = "\"'“”‘’"

# Which fields of an entry each part of a document speaks for.
PLACE = ("address", "address_public", "city", "state", "postal_code", "country")
POINT = ("latitude", "longitude", "precision")
MEETINGS = ("meeting_schedule", "meeting_frequency", "meeting_byday", "meeting_time")
DETAILS = ("coverage", "coverage_radius", "social_links", "precision", *FLAGS.values())


def entries(document):
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


class EntryMapper:
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
        if byday and MEETING_BYDAY.fullmatch(byday) and len(byday) <= 20:
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


def new_slug(document, values, location_id):
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
        wanted = slug_base(values["name"], 180)
        if location_id and values["city"]:
            wanted = f"{wanted}-{slugify(values['city'])[:30]}".strip("-")
    return unused_slug(wanted)
