"""Curators' tools: causes and organizations, with filters, search and a map preview."""

import datetime

from django import forms
from django.contrib import admin
from django.db import models
from django.utils import timezone
from django.utils.html import format_html, json_script
from django.utils.translation import gettext_lazy as _

from directory.maps import map_config
from directory.models import Category, Organization
from directory.placing import locate

STALE_AFTER_DAYS = 365


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order", "colour"]
    list_editable = ["order"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class StaleFilter(admin.SimpleListFilter):
    title = _("freshness")
    parameter_name = "stale"

    def lookups(self, request, model_admin):
        return [("yes", _("Not verified for a year")), ("no", _("Verified this year"))]

    def queryset(self, request, queryset):
        cutoff = timezone.localdate() - datetime.timedelta(days=STALE_AFTER_DAYS)
        if self.value() == "yes":
            return queryset.exclude(last_verified__gte=cutoff)
        if self.value() == "no":
            return queryset.filter(last_verified__gte=cutoff)
        return queryset


def https_by_default(field, **kwargs):
    """Form fields for model fields, reading a bare domain as https:// (Django 6's default)."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        formfield_callback = https_by_default
        fields = "__all__"  # noqa: DJ007 (the admin's fieldsets choose what is shown)

    def clean(self):
        """Fill a missing point from the ZIP or city, so a curator never types coordinates."""
        cleaned = super().clean()
        if cleaned.get("latitude") is None and cleaned.get("longitude") is None:
            where = Organization(
                **{name: cleaned.get(name) or "" for name in ("postal_code", "city", "state")},
                country=cleaned.get("country") or "US",
            )
            if locate(where):
                cleaned.update(
                    latitude=where.latitude,
                    longitude=where.longitude,
                    precision=where.precision,
                    state=where.state,
                )
        return cleaned


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = OrganizationForm
    # A bare domain typed by a curator means https://, as it will in Django 6.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "city", "state", "coverage", "status", "last_verified"]
    list_filter = ["status", "causes", "coverage", "state", StaleFilter]
    search_fields = ["name", "slug", "city", "postal_code", "summary"]
    autocomplete_fields = ["causes"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["map_preview", "created", "updated"]
    date_hierarchy = "last_verified"
    list_select_related = True
    fieldsets = [
        (None, {"fields": ["name", "slug", "status", "summary", "description", "causes", "logo"]}),
        (
            _("Where"),
            {
                "fields": [
                    ("address", "address_public"),
                    ("city", "state", "postal_code", "country"),
                    ("latitude", "longitude", "precision"),
                    "map_preview",
                    ("coverage", "coverage_radius"),
                ],
                "description": _(
                    "Leave latitude and longitude empty to fill them from the ZIP or city."
                ),
            },
        ),
        (
            _("How to join"),
            {
                "fields": [
                    "first_step",
                    ("website", "signup_url"),
                    "phone",
                    "social_links",
                    "meeting_schedule",
                    ("meeting_frequency", "meeting_byday", "meeting_time"),
                    "languages",
                    "accessibility",
                    ("dues_required", "childcare", "asl", "virtual_participation"),
                ]
            },
        ),
        (
            _("Trust"),
            {"fields": ["last_verified", "source", "contact_email", ("created", "updated")]},
        ),
    ]

    class Media:
        css = {"all": ["vendor/leaflet/leaflet.css", "directory/css/admin-map.css"]}
        js = ["vendor/leaflet/leaflet.js", "directory/js/map.js"]

    @admin.display(description=_("Map"))
    def map_preview(self, obj):
        if not obj.pk or not obj.has_point:
            return _("No point yet: save with a ZIP or city to place it.")
        # Curators see the exact point, not the rounded public one.
        config = map_config([])
        config["markers"] = [{"name": obj.name, "lat": obj.latitude, "lng": obj.longitude}]
        return format_html(
            '<div id="map" class="map map--admin" data-map></div>{}',
            json_script(config, "map-data"),
        )
