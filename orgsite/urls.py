from django.contrib import admin
from django.urls import include, path

from directory.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("directory.urls")),
]
