"""Curators see each HSDS import and the problems that left an entry pending."""

from django.contrib import admin

from hsds.models import ExternalRecord, ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["started", "path", "created", "updated", "unchanged", "pending", "rejected"]
    readonly_fields = [f.name for f in ImportRun._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ExternalRecord)
class ExternalRecordAdmin(admin.ModelAdmin):
    list_display = ["organization", "hsds_id", "source_organization_id", "problems", "last_run"]
    list_select_related = ["organization", "last_run"]
    search_fields = ["organization__name", "source_organization_id", "hsds_id"]
    readonly_fields = ["organization", "hsds_id", "source_organization_id", "source_location_id"]

    def has_add_permission(self, request):
        return False
