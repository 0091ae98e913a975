"""Curators see what widgets did: the daily counts and coverage gaps, read-only."""

from django.contrib import admin

from embed.models import EmbedDailyCount, EmbedGapCount


class ReadOnly(admin.ModelAdmin):
    """Counts are written by readers' searches alone; nobody edits them by hand."""

    date_hierarchy = "day"
    list_filter = ["day"]
    search_fields = ["ref"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EmbedDailyCount)
class EmbedDailyCountAdmin(ReadOnly):
    list_display = ["day", "ref", "searches", "views", "messages"]


@admin.register(EmbedGapCount)
class EmbedGapCountAdmin(ReadOnly):
    list_display = ["day", "ref", "area", "searches"]
    list_filter = ["day", "area"]
