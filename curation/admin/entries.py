"""Entries and causes: filters, search, a map preview, history with revert, CSV import and
export, and the bulk actions (archive, mark verified, merge) of curation.services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html, json_script
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from curation import history, services
from curation.models import LinkCheck
from curation.resources import OrganizationImportExport
from curation.widgets import ByDayField, LanguagesField, byday_parts
from directory.maps import map_config
from directory.models import Category, Organization
from directory.placing import locate


@admin.register(Category)
class CategoryAdmin(TranslationAdmin, SimpleHistoryAdmin):
    """Causes, with their name and description in every language side by side."""

    list_display = ["name", "slug", "order", "colour"]
    list_editable = ["order"]
    search_fields = ["name_en", "name_es", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class StaleFilter(admin.SimpleListFilter):
    title = _("freshness")
    parameter_name = "stale"

    def lookups(self, request, model_admin):
        return [("yes", _("Unconfirmed (stale)")), ("no", _("Confirmed recently"))]

    def queryset(self, request, queryset):
        cutoff = Organization.stale_cutoff()
        if self.value() == "yes":
            return queryset.exclude(last_verified__gte=cutoff)
        if self.value() == "no":
            return queryset.filter(last_verified__gte=cutoff)
        return queryset


class LinkFilter(admin.SimpleListFilter):
    title = _("links")
    parameter_name = "links"

    def lookups(self, request, model_admin):
        return [("failing", _("Failed the last two checks"))]

    def queryset(self, request, queryset):
        if self.value() == "failing":
            return queryset.filter(pk__in=LinkCheck.objects.failing_twice().values("organization"))
        return queryset


class OrganizationForm(forms.ModelForm):
    # The version the curator's form was built from: a save is refused if the entry has moved on.
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    meeting_byday = ByDayField(
        label=_("Meeting days"),
        help_text=_(
            "Tick the days the group meets and which weeks of the month, for example the "
            "second and fourth Thursday. Leave all empty if there is no regular day."
        ),
    )
    languages = LanguagesField(
        label=_("Languages spoken"),
        help_text=_("The languages people can use at the group's meetings and events."),
    )

    class Meta:
        model = Organization
        fields = "__all__"  # noqa: DJ007 (the admin's fieldsets choose what is shown)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["languages"].keep_codes(self.initial.get("languages"))
        if byday_parts(self.initial.get("meeting_byday")) is None:
            # A rule the picker cannot show ("1MO,3WE") stays a text box rather than be lost.
            self.fields["meeting_byday"] = forms.CharField(
                label=_("Meeting days"),
                required=False,
                max_length=20,
                help_text=_(
                    "A rule the day picker cannot show: days as MO TU WE TH FR SA SU, each "
                    "with its week of the month in front (1 to 4, or -1 for the last), "
                    "separated by commas: 1MO,3WE is the first Monday and third Wednesday."
                ),
            )
        past = getattr(self.instance, "_history", None)
        if self.instance.pk and past is not None:
            # A revert form shows a past version: its causes too, and the check is against now.
            self.initial["causes"] = list(past.causes.values_list("category_id", flat=True))
            current = Organization.objects.filter(pk=self.instance.pk).values("version").first()
            self.initial["expected_version"] = current["version"] if current else None
        elif self.instance.pk:
            self.initial["expected_version"] = self.instance.version

    def clean(self):
        """Refuse a stale form; fill a missing point from the ZIP or city."""
        cleaned = super().clean()
        if self.instance.pk:
            self._check_version(cleaned.get("expected_version"))
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

    def _check_version(self, expected):
        # Locked until the admin's transaction ends, so two saves cannot both pass the check.
        current = (
            Organization.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        if current is not None and expected == current:
            self.instance.version = current
            return
        last = Organization.history.filter(id=self.instance.pk).order_by("-history_id").first()
        who = (last.history_user if last else None) or gettext("someone")
        when = timezone.localtime(last.history_date) if last else timezone.localtime()
        raise ValidationError(
            gettext(
                "This entry was changed by %(who)s at %(when)s, after you opened it, so your "
                "changes were not saved (nothing of theirs or yours is lost). Open the entry "
                "again in a new tab to see their version, then make your changes there."
            )
            % {"who": who, "when": when.strftime("%Y-%m-%d %H:%M")},
            code="conflict",
        )


@admin.register(Organization)
class OrganizationAdmin(OrganizationImportExport, SimpleHistoryAdmin):
    """Entries, with the CSV import and export of curation.resources."""

    form = OrganizationForm
    # A bare domain typed by a curator means https://, as it will in Django 6.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "place", "status", "last_verified", "confirmed"]
    list_filter = ["status", "sensitive", "causes", "coverage", "state", StaleFilter, LinkFilter]
    search_fields = ["name", "slug", "external_id", "city", "postal_code", "summary"]
    autocomplete_fields = ["causes"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["map_preview", "created", "updated", "version"]
    date_hierarchy = "last_verified"
    list_select_related = True
    actions = ["archive", "mark_verified", "merge"]
    history_list_display = ["status", "history_change_reason"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "status", "summary", "description", "causes", "logo"]}),
        (
            _("Where"),
            {
                "fields": [
                    ("address", "address_public"),
                    "sensitive",
                    ("city", "state", "postal_code", "country"),
                    ("latitude", "longitude", "precision"),
                    "map_preview",
                    ("coverage", "coverage_radius"),
                ],
                "description": _(
                    "Leave latitude and longitude empty to fill them from the ZIP or city. "
                    "A sensitive entry is shown to the public at city level only: no street "
                    "address (even if public), no map marker, a point rounded to about 11 km; "
                    "search engines are asked not to index its page, and it is left out of the "
                    "sitemap and the open-data export. Curators still see everything here."
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
                    "events_feed_url",
                    "meeting_schedule",
                    ("meeting_frequency", "meeting_byday"),
                    ("meeting_time", "meeting_timezone"),
                    "languages",
                    "accessibility",
                    ("dues_required", "childcare", "asl", "virtual_participation"),
                ]
            },
        ),
        (
            _("Trust"),
            {
                "fields": [
                    "last_verified",
                    ("source", "external_id"),
                    "contact_email",
                    ("created", "updated", "version"),
                    "expected_version",
                ]
            },
        ),
    ]

    class Media:
        css = {
            "all": [
                "vendor/leaflet/leaflet.css",
                "directory/css/admin-map.css",
                "curation/entry-form.css",
            ]
        }
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

    @admin.display(description=_("confirmed recently"), boolean=True)
    def confirmed(self, obj):
        return not obj.is_stale

    @admin.display(description=_("place"), ordering="city")
    def place(self, obj):
        return obj.place_label or obj.get_coverage_display()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            # The card as readers see it in search results, from what is saved.
            context["card_preview"] = render_to_string(
                "directory/includes/org_card.html", {"org": obj}, request=request
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # Deleting is archiving; only a superuser can remove an entry for good (history keeps it).
    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        # One history record per save, written after the causes are saved too.
        obj.skip_history_when_saving = True
        super().save_model(request, obj, form, change)
        save_m2m = form.save_m2m
        past = getattr(obj, "_history", None)
        reason = (
            gettext("Reverted to the version of %(date)s")
            % {"date": timezone.localtime(past.history_date).strftime("%Y-%m-%d %H:%M")}
            if past is not None
            else ""
        )

        def save_m2m_and_record():
            save_m2m()
            del obj.skip_history_when_saving
            history.record(obj, "~" if change else "+", request.user, reason)

        form.save_m2m = save_m2m_and_record

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # The revert form saves like the change form: in one transaction, with the version lock.
        with transaction.atomic():
            return super().history_form_view(request, object_id, version_id, extra_context)

    @admin.action(description=_("Archive the selected entries"), permissions=["change"])
    def archive(self, request, queryset):
        count = services.organizations_archive(list(queryset), request.user)
        self.message_user(request, gettext("%(count)s entries archived.") % {"count": count})

    @admin.action(description=_("Mark the selected entries verified today"), permissions=["change"])
    def mark_verified(self, request, queryset):
        count = services.organizations_mark_verified(list(queryset), request.user)
        self.message_user(request, gettext("%(count)s entries marked verified.") % {"count": count})

    @admin.action(description=_("Merge the selected duplicates"), permissions=["change"])
    def merge(self, request, queryset):
        orgs = list(queryset.prefetch_related(None))
        try:
            keep = services.organizations_merge(orgs, request.user)
        except services.CurationError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(
            request,
            gettext("Merged %(count)s entries into “%(name)s”; the others are archived.")
            % {"count": len(orgs), "name": keep.name},
        )
