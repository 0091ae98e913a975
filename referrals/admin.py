"""Curators' view of the relay: the outbox with its attempts, and each group's responsiveness."""

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from referrals.models import (
    CapReached,
    DeliveryAttempt,
    FollowupAnswer,
    Referral,
    ReferralStats,
    WorkerHeartbeat,
)
from referrals.queries import Responsiveness
from referrals.services import referrals_requeue


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["started", "ok", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class FollowupAnswerInline(admin.StackedInline):
    model = FollowupAnswer
    extra = 0
    can_delete = False
    fields = ["replied", "answered"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    list_display = [
        "created",
        "organization",
        "status",
        "attempts",
        "short_error",
        "next_attempt_at",
        "sent_at",
        "answer_given",
    ]
    list_filter = ["status", "via", ("answer__replied", admin.BooleanFieldListFilter)]
    list_select_related = ["organization", "answer"]
    search_fields = ["organization__name", "email", "name"]
    date_hierarchy = "created"
    actions = ["resend"]
    inlines = [DeliveryAttemptInline, FollowupAnswerInline]
    fields = [
        "organization",
        "created",
        "via",
        "status",
        "attempts",
        "failures",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "message_id",
        "name",
        "email",
        "message",
        "heard_from",
        "followup_sent_at",
        "purged_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Messages are records, not drafts: the only change curators make is "resend".
        return False

    def has_resend_permission(self, request):
        return super().has_change_permission(request)

    @admin.display(description=_("last error"))
    def short_error(self, referral):
        return Truncator(referral.last_error).chars(80)

    @admin.display(description=_("reader says the group replied"), boolean=True)
    def answer_given(self, referral):
        answer = getattr(referral, "answer", None)
        return None if answer is None else answer.replied

    @admin.action(
        description=_("Resend: queue the selected failed messages again"),
        permissions=["resend"],
    )
    def resend(self, request, queryset):
        count = referrals_requeue(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d message queued again; the worker sends it within a minute.",
                "%(count)d messages queued again; the worker sends them within a minute.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )


@admin.register(ReferralStats)
class ReferralStatsAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "status",
        "total",
        "delivered",
        "failed",
        "waiting",
        "answers",
        "replied_percent",
        "usually_replies",
    ]
    list_filter = ["status"]
    search_fields = ["name", "slug", "city"]

    def get_ordering(self, request):
        return ["-total", "name"]

    def get_queryset(self, request):
        # Annotated before ordering, since the default order is by an annotation.
        return (
            self.model._default_manager.annotate(
                total=Count("referrals"),
                delivered=Count("referrals", filter=Q(referrals__status="sent")),
                failed=Count("referrals", filter=Q(referrals__status="failed")),
                waiting=Count("referrals", filter=Q(referrals__status__in=["pending", "sending"])),
                answers=Count("referrals__answer"),
                yes=Count("referrals__answer", filter=Q(referrals__answer__replied=True)),
            )
        ).order_by(*self.get_ordering(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("messages"), ordering="total")
    def total(self, org):
        return org.total

    @admin.display(description=_("delivered"), ordering="delivered")
    def delivered(self, org):
        return org.delivered

    @admin.display(description=_("failed"), ordering="failed")
    def failed(self, org):
        return org.failed

    @admin.display(description=_("waiting"), ordering="waiting")
    def waiting(self, org):
        return org.waiting

    @admin.display(description=_("answers"), ordering="answers")
    def answers(self, org):
        return org.answers

    @admin.display(description=_("said the group replied"))
    def replied_percent(self, org):
        percent = Responsiveness(org.answers, org.yes).percent
        return "—" if percent is None else f"{percent}%"

    @admin.display(description=_("usually replies"), boolean=True)
    def usually_replies(self, org):
        replies = Responsiveness(org.answers, org.yes)
        return replies.usually_replies if replies.enough_answers else None

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "subtitle": _(
                "“Usually replies” needs %(answers)d answers and %(percent)d%% saying yes."
            )
            % {
                "answers": settings.REFERRALS_REPLIES_MIN_ANSWERS,
                "percent": settings.REFERRALS_REPLIES_MIN_PERCENT,
            },
        }
        return super().changelist_view(request, extra_context)


@admin.register(CapReached)
class CapReachedAdmin(admin.ModelAdmin):
    """Days a group's message cap turned readers away: a flood to look into, or a cap to raise."""

    list_display = ["day", "organization", "refused", "first_refused"]
    list_select_related = ["organization"]
    list_filter = ["day"]
    search_fields = ["organization__name"]
    readonly_fields = ["organization", "day", "first_refused", "refused"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    """When each delivery worker last finished a pass: older than a few minutes means it is down."""

    list_display = ["worker", "last_success"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
