from django.urls import path, re_path

from embed import views
from embed.presets import speaks_locale_preset

app_name = "embed"
urlpatterns = [
    path("embed/", speaks_locale_preset(views.frame), name="frame"),
    path("embed/accent.css", views.accent, name="accent"),
    path("embed/builder/", views.builder, name="builder"),
    path("embed/to/<slug:slug>/", views.visit, name="visit"),
    path("embed/stats/<str:token>/", views.stats_page, name="stats"),
    path("widget.js", views.widget, name="widget"),
    re_path(r"^widget\.(?P<version>[0-9a-f]{12})\.js$", views.widget, name="widget_versioned"),
    path("oembed", views.oembed, name="oembed"),
]
