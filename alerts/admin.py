"""The alerts' outbox for curators: what is waiting, what failed, and "send again"."""

from django.contrib import admin, messages
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alerts.models import AlertMail
from alerts.services import mails_requeue


@admin.register(AlertMail)
class AlertMailAdmin(admin.ModelAdmin):
    # Subscribers' addresses are not listed: the outbox is about delivery, not about people.
    list_display = ["created", "kind", "organization", "status", "attempts", "short_error"]
    list_filter = ["status", "kind"]
    list_select_related = ["organization"]
    date_hierarchy = "created"
    actions = ["send_again"]
    fields = [
        "kind",
        "organization",
        "status",
        "created",
        "attempts",
        "failures",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_send_again_permission(self, request):
        return super().has_change_permission(request)

    @admin.display(description=_("last error"))
    def short_error(self, mail):
        return Truncator(mail.last_error).chars(80)

    @admin.action(
        description=_("Send again: queue the selected failed mails"), permissions=["send_again"]
    )
    def send_again(self, request, queryset):
        count = mails_requeue(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d mail queued again; send_alerts sends it on its next run.",
                "%(count)d mails queued again; send_alerts sends them on its next run.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
