"""The directory's data: causes (categories) and the local groups that work on them."""

import calendar
import re

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast, Round
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directory.geo import CELLS_PER_DEGREE, public_coordinate
from directory.queries import CategoryQuerySet, OrganizationQuerySet
from directory.slugs import slug_path

COVERAGE_RADIUS_MAX = 250  # miles; larger areas are statewide or national
LANGUAGE_CODES = re.compile(r"^[a-z]{2,3}(,[a-z]{2,3})*$")
# iCalendar BYDAY values: "TU" every Tuesday, "2TH,4TH" the second and fourth Thursdays.
_BYDAY_ITEM = r"(-1|[1-4])?(MO|TU|WE|TH|FR|SA|SU)"
MEETING_BYDAY_ITEM = re.compile(rf"^{_BYDAY_ITEM}$")
MEETING_BYDAY = re.compile(rf"^{_BYDAY_ITEM}(,{_BYDAY_ITEM})*$")
# Languages a group can say it meets in, as the search offers them.
MEETING_LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("zh", _("Chinese")),
    ("vi", _("Vietnamese")),
    ("tl", _("Tagalog")),
    ("ko", _("Korean")),
    ("ht", _("Haitian Creole")),
    ("ar", _("Arabic")),
    ("fr", _("French")),
    ("pt", _("Portuguese")),
    ("ru", _("Russian")),
    ("so", _("Somali")),
    ("hmn", _("Hmong")),
]
SOCIAL_LABELS = {
    "bsky.app": "Bluesky",
    "facebook.com": "Facebook",
    "instagram.com": "Instagram",
    "tiktok.com": "TikTok",
    "x.com": "X",
    "twitter.com": "X",
    "youtube.com": "YouTube",
    "threads.net": "Threads",
    "mastodon.social": "Mastodon",
    "mastodon.online": "Mastodon",
    "linkedin.com": "LinkedIn",
    "youtu.be": "YouTube",
    "fb.com": "Facebook",
    "t.me": "Telegram",
    "whatsapp.com": "WhatsApp",
    "chat.whatsapp.com": "WhatsApp",
    "discord.gg": "Discord",
    "reddit.com": "Reddit",
    "linktr.ee": "Linktree",
}
SOCIAL_NAMES = {label.lower(): label for label in SOCIAL_LABELS.values()}
EXAMPLE_DOMAINS = ("example.org", "example.net", "example.com")


def social_label(url):
    """A social link's name for a reader: its site ("Instagram"), else its domain."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.").removeprefix("m.")
    if host in SOCIAL_LABELS:
        return SOCIAL_LABELS[host]
    first = parts.path.strip("/").split("/")[0].lower()
    # Sample data points at the reserved example domains, one path per site it stands in for
    # ("example.net/instagram/group"): named after that site, as the real link would be.
    if host in EXAMPLE_DOMAINS and first in SOCIAL_NAMES:
        return SOCIAL_NAMES[first]
    if first.startswith("@") and len(first) > 1:
        return "Mastodon"  # any instance: profiles are /@name
    return host


def months_before(day, months):
    """The same day of the month `months` earlier, clamped to that month's last day."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return day.replace(year=year, month=month + 1, day=min(day.day, last_day))


class Category(models.Model):
    """A cause readers search by: an admin-editable taxonomy term."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#3b5bdb",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a hex colour like #3b5bdb."))],
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    objects = CategoryQuerySet.as_manager()
    # History is registered in directory/translation.py, after the per-language fields exist, so
    # that each record keeps the name and description in every language.

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("cause")
        verbose_name_plural = _("causes")
        constraints = [
            models.CheckConstraint(
                condition=Q(colour__regex=r"^#[0-9a-fA-F]{6}$"), name="category_colour_hex"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("directory:category", args=[self.slug])


# Every change to an organization is kept with who and when; causes are kept in each record too,
# so a revert restores them. Write paths that save several times (fields, then causes) pause the
# automatic records and keep one of the result (curation/history.py).
ORGANIZATION_HISTORY = HistoricalRecords(
    m2m_fields=["causes"], excluded_fields=["public_latitude", "public_longitude", "cell"]
)


class Organization(models.Model):
    """One local group or chapter; a national body has one entry per chapter."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        PUBLISHED = "published", _("Published")
        INACTIVE = "inactive", _("Temporarily inactive")
        ARCHIVED = "archived", _("Archived")

    class Coverage(models.TextChoices):
        LOCAL = "local", _("Local")
        REGIONAL = "regional", _("Regional")
        STATEWIDE = "statewide", _("Statewide")
        NATIONAL = "national", _("National")
        ONLINE = "online", _("Online only")

    class Precision(models.TextChoices):
        EXACT = "exact", _("Exact")
        APPROXIMATE = "approximate", _("Approximate")

    class Frequency(models.TextChoices):
        WEEKLY = "WEEKLY", _("Weekly")
        MONTHLY = "MONTHLY", _("Monthly")

    # Identity
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True)
    summary = models.CharField(_("short summary"), max_length=280, blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Plain text."))
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    causes = models.ManyToManyField(
        Category, related_name="organizations", verbose_name=_("causes")
    )

    # Where
    address = models.CharField(
        _("street address"),
        max_length=200,
        blank=True,
        help_text=_("Shown only when the address is public."),
    )
    address_public = models.BooleanField(_("address is public"), default=False)
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_(
            "For groups at risk of harassment: shown at city level only, with no map marker, "
            "and kept out of search engines, the sitemap and the open-data export."
        ),
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = models.CharField(
        _("state / region"), max_length=50, blank=True, help_text=_("US: two-letter code.")
    )
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    country = models.CharField(_("country"), max_length=2, default="US")
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    precision = models.CharField(
        _("point precision"),
        max_length=12,
        choices=Precision.choices,
        default=Precision.APPROXIMATE,
    )
    # The point as the public may see it, computed by the database from the private one so that no
    # write path can forget it. Every public answer (search, distances, maps, API, HSDS) reads
    # these and never the private columns above.
    public_latitude = models.GeneratedField(
        expression=public_coordinate("latitude"),
        output_field=models.FloatField(),
        db_persist=True,
        verbose_name=_("public latitude"),
    )
    public_longitude = models.GeneratedField(
        expression=public_coordinate("longitude"),
        output_field=models.FloatField(),
        db_persist=True,
        verbose_name=_("public longitude"),
    )
    # The public point's longitude band (a tenth of a degree): with the latitude it makes the
    # search's two-dimensional index out of an ordinary B-tree, the same on SQLite and PostgreSQL.
    cell = models.GeneratedField(
        expression=Cast(
            Round(public_coordinate("longitude") * CELLS_PER_DEGREE), models.IntegerField()
        ),
        output_field=models.IntegerField(),
        db_persist=True,
    )
    coverage = models.CharField(
        _("area covered"), max_length=10, choices=Coverage.choices, default=Coverage.LOCAL
    )
    coverage_radius = models.PositiveSmallIntegerField(
        _("coverage radius (miles)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(COVERAGE_RADIUS_MAX)],
        help_text=_("For local and regional groups: how far from the point they organize."),
    )

    # How to join
    website = models.URLField(_("website"), blank=True)
    signup_url = models.URLField(_("sign-up link"), blank=True)
    phone = models.CharField(_("public phone"), max_length=30, blank=True)
    social_links = models.TextField(_("social links"), blank=True, help_text=_("One URL per line."))
    first_step = models.CharField(
        _("first step for a newcomer"),
        max_length=300,
        blank=True,
        help_text=_('e.g. "Come to our monthly new-member orientation."'),
    )
    meeting_schedule = models.CharField(
        _("meetings"), max_length=200, blank=True, help_text=_("As people say it.")
    )
    meeting_frequency = models.CharField(
        _("meeting frequency"), max_length=7, choices=Frequency.choices, blank=True
    )
    meeting_byday = models.CharField(
        _("meeting day rule"),
        max_length=20,
        blank=True,
        validators=[
            RegexValidator(
                MEETING_BYDAY.pattern, _("Use iCalendar BYDAY values like TU, 1TH or -1SA.")
            )
        ],
        help_text=_("iCalendar BYDAY: TU for every Tuesday, 2TH for the second Thursday."),
    )
    meeting_time = models.TimeField(_("meeting start time"), null=True, blank=True)
    meeting_timezone = models.CharField(
        _("meeting time zone"),
        max_length=40,
        blank=True,
        help_text=_("Leave empty to use the time zone of the group's state."),
    )
    events_feed_url = models.URLField(
        _("events calendar"),
        max_length=500,
        blank=True,
        help_text=_("A public calendar address (.ics); the group's page shows its next event."),
    )
    languages = models.CharField(
        _("languages spoken"),
        max_length=60,
        default="en",
        validators=[RegexValidator(LANGUAGE_CODES, _("Comma-separated codes like en,es."))],
        help_text=_("ISO 639 codes, comma-separated: en,es"),
    )
    accessibility = models.CharField(_("accessibility notes"), max_length=300, blank=True)
    dues_required = models.BooleanField(_("dues required"), default=False)
    childcare = models.BooleanField(_("childcare offered"), default=False)
    asl = models.BooleanField(_("ASL interpretation"), default=False)
    virtual_participation = models.BooleanField(_("can take part online"), default=False)

    # Trust
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    last_verified = models.DateField(_("last verified"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    external_id = models.CharField(
        _("external id"),
        max_length=100,
        blank=True,
        help_text=_("The entry's id in an imported list; imports match rows on it."),
    )
    # Optimistic locking: every save adds one, and a form posted with an older number is refused.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    # Private: used only by the referral relay, never rendered on a public page.
    contact_email = models.EmailField(
        _("private contact email"),
        blank=True,
        help_text=_("Never shown publicly; messages from readers are relayed to it."),
    )

    objects = OrganizationQuerySet.as_manager()
    history = ORGANIZATION_HISTORY

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        indexes = [
            # The "who covers me" rings: a longitude band, then a latitude range, with what the
            # distance test needs, so candidates are picked from the index alone.
            models.Index(
                fields=[
                    "status",
                    "cell",
                    "public_latitude",
                    "public_longitude",
                    "coverage",
                    "coverage_radius",
                ],
                name="org_search_point",
            ),
            # Statewide, national and online blocks, each read in name order from an index that
            # holds every column they test (the statewide one read each row for its country).
            # The id ends each: PostgreSQL then reads the blocks in their exact order (name, id)
            # and stops at the limit, where groups of one name were read whole to be sorted.
            models.Index(
                fields=["status", "coverage", "country", "state", "name", "id"],
                name="org_statewide",
            ),
            models.Index(
                fields=["status", "coverage", "country", "name", "id"], name="org_national"
            ),
            models.Index(fields=["status", "coverage", "name", "id"], name="org_coverage_name"),
            # Cause pages, one state at a time.
            models.Index(fields=["status", "state", "city", "name"], name="org_state_city"),
            # Lists of every published group, in the orders the API and HSDS page them.
            models.Index(fields=["status", "name", "id"], name="org_status_name"),
            models.Index(fields=["status", "slug"], name="org_status_slug"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="org_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="org_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="org_point_complete",
                violation_error_message=_("Give both latitude and longitude, or neither."),
            ),
            models.CheckConstraint(
                condition=Q(coverage_radius__isnull=True)
                | Q(coverage_radius__gte=1, coverage_radius__lte=COVERAGE_RADIUS_MAX),
                name="org_coverage_radius_range",
            ),
            # A published local or regional group must say where it is and how far it reaches.
            models.CheckConstraint(
                condition=~Q(status="published", coverage__in=["local", "regional"])
                | Q(latitude__isnull=False, coverage_radius__isnull=False),
                name="org_published_local_has_area",
                violation_error_message=_(
                    "A published local or regional group needs a place (a ZIP, a city or "
                    "coordinates) and a coverage radius."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status="published", coverage="statewide") | ~Q(state=""),
                name="org_published_statewide_has_state",
                violation_error_message=_("A published statewide group needs its state."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "published", "inactive", "archived"]),
                name="org_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(coverage__in=["local", "regional", "statewide", "national", "online"]),
                name="org_coverage_valid",
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="org_external_id_unique",
                violation_error_message=_("Another entry already has this external id."),
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self.version = (self.version or 0) + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version", "updated"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return slug_path("directory:organization", self.slug)

    @staticmethod
    def stale_cutoff(today=None):
        """Entries last verified before this date are stale (CURATION_STALE_AFTER_MONTHS)."""
        return months_before(today or timezone.localdate(), settings.CURATION_STALE_AFTER_MONTHS)

    @property
    def is_stale(self):
        """Not confirmed by its organizers or a curator for CURATION_STALE_AFTER_MONTHS."""
        return self.last_verified is None or self.last_verified < self.stale_cutoff()

    @property
    def has_point(self):
        return self.latitude is not None and self.longitude is not None

    @property
    def is_placed(self):
        """Whether distance means something for this group (it meets somewhere)."""
        return self.has_point and self.coverage != self.Coverage.ONLINE

    @property
    def language_codes(self):
        return [code for code in self.languages.split(",") if code]

    @property
    def language_names(self):
        names = dict(MEETING_LANGUAGES)
        return [str(names.get(code, code)) for code in self.language_codes]

    @property
    def social_link_list(self):
        """(label, url) pairs for the social links, labelled by their site."""
        links = []
        for line in self.social_links.splitlines():
            url = line.strip()
            if url.startswith(("https://", "http://")):
                links.append((social_label(url), url))
        return links

    @property
    def place_label(self):
        """ "Oakland, CA" or whatever part of it is known."""
        return ", ".join(part for part in (self.city, self.state) if part)


class Generation(models.Model):
    """One number that every change to groups or causes raises (directory/caching.py)."""

    value = models.PositiveBigIntegerField(default=1)

    class Meta:
        verbose_name = _("directory generation")

    def __str__(self):
        return str(self.value)


class CausePoint(models.Model):
    """A group's public point once for each of its causes: the index a ring of a search by
    cause reads, so that it picks only groups with the cause (directory/queries.py).

    Kept by the database itself, through the triggers of migration 0011, on every write to a
    group or to its causes, whatever writes it; the site never writes it. It holds the public
    point only, as the group's own search index does.
    """

    organization = models.ForeignKey(
        Organization,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # causepoint_once starts with it
        related_name="+",
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # causepoint_search starts with it
        related_name="+",
    )
    status = models.CharField(max_length=10)
    coverage = models.CharField(max_length=10)
    coverage_radius = models.PositiveSmallIntegerField(null=True)
    cell = models.IntegerField(null=True)
    public_latitude = models.FloatField(null=True)
    public_longitude = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "category"], name="causepoint_once")
        ]
        indexes = [
            # As org_search_point, after the cause: every column a ring reads, so on SQLite
            # too (whose indexes of generated columns never cover a query) no row is read.
            models.Index(
                fields=[
                    "category",
                    "status",
                    "cell",
                    "public_latitude",
                    "public_longitude",
                    "coverage",
                    "coverage_radius",
                    "organization",
                ],
                name="causepoint_search",
            )
        ]

    def __str__(self):
        return f"{self.organization_id} under {self.category_id}"
