"""What the site gives to crawlers, link previews and browsers: robots.txt, the sitemap (every
published group but the sensitive ones, and every cause, in every language), the favicon, the
JavaScript catalog, and the schema.org description of a group."""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import last_modified, require_safe
from django.views.i18n import JavaScriptCatalog

from directory.maps import public_address
from directory.models import Category, Organization

SHARE_IMAGE = "share.png"  # 1200 x 630, made by `python -m directory.share_image`
SHARE_IMAGE_SIZE = (1200, 630)
SITEMAP_MAX_AGE = 3600


class _Localised(Sitemap):
    # One <url> per page and language, each listing its alternates (hreflang) and an x-default.
    i18n = True
    alternates = True
    x_default = True


class GroupSitemap(_Localised):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        # A sensitive entry asks search engines not to index it; the sitemap does not offer it.
        return (
            Organization.objects.published()
            .filter(sensitive=False)
            .only("slug", "updated")
            .order_by("pk")
        )

    def lastmod(self, org):
        return org.updated


class CauseSitemap(_Localised):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return Category.objects.only("slug").order_by("pk")


class PageSitemap(_Localised):
    changefreq = "monthly"

    def items(self):
        return ["directory:home", "directory:category_list", "directory:about"]

    def location(self, name):
        return reverse(name)


SITEMAPS = {"pages": PageSitemap, "causes": CauseSitemap, "groups": GroupSitemap}


@require_safe
@cache_control(public=True, max_age=SITEMAP_MAX_AGE)
def sitemap(request):
    """sitemap.xml: published groups and causes, each in every language."""
    return sitemap_view(request, sitemaps=SITEMAPS)


@require_safe
@cache_control(public=True, max_age=86400)
def robots_txt(request):
    """Crawl everything public but the forms, the widget's frame and the API; name the sitemap."""
    prefixes = [""] + [f"/{code}" for code, _name in settings.LANGUAGES[1:]]
    disallowed = ["/api/", "/embed/", "/language/", "/confirm/", "/followup/"]
    lines = ["User-agent: *"]
    for prefix in prefixes:
        lines += [f"Disallow: {prefix}{path}" for path in disallowed]
    lines += ["Allow: /", "", f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_safe
@cache_control(public=True, max_age=604800)
def favicon(request):
    """/favicon.ico for browsers and tools that ask for it by that name (pages link the SVG)."""
    path = finders.find("favicon.ico")
    if not path:
        raise Http404
    return FileResponse(open(path, "rb"), content_type="image/x-icon")  # noqa: SIM115


# The catalog changes only with a deployment: browsers may keep it for a day, and revalidate
# against the time this process started.
_STARTED = timezone.now()
javascript_catalog = require_safe(
    cache_control(public=True, max_age=86400)(
        last_modified(lambda request, **kwargs: _STARTED)(JavaScriptCatalog.as_view())
    )
)


def share_image_url(request):
    return request.build_absolute_uri(static(SHARE_IMAGE))


DAYS = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}


def meeting_schedule(org):
    """A schema.org Schedule for a structured meeting rule (weekly or monthly), or None."""
    if not org.meeting_frequency or not org.meeting_byday:
        return None
    schedule = {
        "@type": "Schedule",
        "repeatFrequency": "P1W"
        if org.meeting_frequency == Organization.Frequency.WEEKLY
        else "P1M",
        "scheduleTimezone": settings.TIME_ZONE,
    }
    days, weeks = [], []
    for rule in org.meeting_byday.split(","):
        ordinal, day = rule[:-2], rule[-2:]
        days.append(f"https://schema.org/{DAYS[day]}")
        if ordinal:
            weeks.append(int(ordinal))
    schedule["byDay"] = days if len(days) > 1 else days[0]
    if weeks and org.meeting_frequency == Organization.Frequency.MONTHLY:
        schedule["byMonthWeek"] = weeks if len(weeks) > 1 else weeks[0]
    if org.meeting_time:
        schedule["startTime"] = org.meeting_time.strftime("%H:%M")
    return schedule


def postal_address(org):
    """schema.org PostalAddress of a group: its place, and its street only when public."""
    address = {"@type": "PostalAddress", "addressCountry": org.country}
    if org.city:
        address["addressLocality"] = org.city
    if org.state:
        address["addressRegion"] = org.state
    if org.postal_code:
        address["postalCode"] = org.postal_code
    street = public_address(org)
    if street:
        address["streetAddress"] = street
    return address


def organization_json_ld(request, org):
    """schema.org Organization for a group page, with an Event for its regular meeting."""
    url = request.build_absolute_uri(org.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "@id": url,
        "name": org.name,
        "url": url,
    }
    if org.summary or org.description:
        data["description"] = org.summary or org.description
    same_as = [u for u in [org.website, *(link for _label, link in org.social_link_list)] if u]
    if same_as:
        data["sameAs"] = same_as
    if org.phone:
        data["telephone"] = org.phone
    if org.logo:
        data["logo"] = request.build_absolute_uri(org.logo.url)
    # A sensitive entry's page is kept out of search engines and tells machines nothing of where
    # the group is; its city is on the page for people.
    address = None if org.sensitive else postal_address(org)
    if address:
        data["address"] = address
    causes = [cause.name for cause in org.causes.all()]
    if causes:
        data["knowsAbout"] = causes
    if org.language_codes:
        data["knowsLanguage"] = org.language_codes
    schedule = meeting_schedule(org)
    if schedule:
        event = {
            "@type": "Event",
            "name": org.meeting_schedule or org.name,
            "url": url,
            "eventSchedule": schedule,
            "organizer": {"@id": url},
            "eventAttendanceMode": (
                "https://schema.org/MixedEventAttendanceMode"
                if org.virtual_participation
                else "https://schema.org/OfflineEventAttendanceMode"
            ),
        }
        if org.coverage == Organization.Coverage.ONLINE:
            event["location"] = {"@type": "VirtualLocation", "url": org.website or url}
        elif address:
            event["location"] = {"@type": "Place", "address": address}
        data["event"] = event
    return data


def _og_locale(code):
    """Open Graph wants language_TERRITORY; the directory's readers are in the United States."""
    return {"en": "en_US", "es": "es_US"}.get(code) or to_locale(code)


def context(request):
    """Template context for link previews: the share image and the page's locales."""
    current = get_language()
    return {
        "share_image_url": share_image_url(request),
        "share_image_alt": _("%(site)s: find local groups to join") % {"site": settings.SITE_NAME},
        "og_locale": _og_locale(current),
        "og_locale_alternates": [
            _og_locale(code) for code, _name in settings.LANGUAGES if code != current
        ],
    }
