from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from api.views import SearchBoxPlaces
from directory import share
from directory.views import healthz, ready

# Not translated: machine-read addresses keep one URL whatever the language.
urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("healthz/ready", ready, name="healthz_ready"),
    path("robots.txt", share.robots_txt, name="robots_txt"),
    path("sitemap.xml", share.sitemap, name="sitemap"),
    path("favicon.ico", share.favicon, name="favicon"),
    path("api/hsds/", include("hsds.urls")),
    path("api/", include("api.urls")),
]
# Pages, in English at their plain address and in every other language under /<code>/. The
# widget's frame, script and oEmbed answer unprefixed too (and take an interface-language preset).
urlpatterns += i18n_patterns(
    # The switcher's form. No CSRF token, so that no page sets a cookie by showing it: the worst a
    # forged post can do is change the language of the next page.
    path("language/", csrf_exempt(set_language), name="set_language"),
    path("jsi18n/", share.javascript_catalog, name="javascript_catalog"),
    path(settings.ADMIN_PATH, admin.site.urls),
    path("", include("embed.urls")),
    path("", include("referrals.urls")),
    path("", include("curation.urls")),
    path("", include("alerts.urls")),
    # The search box's autocomplete: /api/v1/places/'s answers, from any text typed.
    path("places/suggest/", SearchBoxPlaces.as_view(), name="place_suggest"),
    path("", include("directory.urls")),
    prefix_default_language=False,
)

# A database or cache outage is a 503 (with the reader's words given back), not a 500.
handler500 = "orgsite.outage.server_error"
