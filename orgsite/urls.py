from django.contrib import admin
from django.urls import include, path

from directory.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/hsds/", include("hsds.urls")),
    path("api/", include("api.urls")),
    path("", include("embed.urls")),
    path("", include("referrals.urls")),
    path("", include("curation.urls")),
    path("", include("directory.urls")),
]
