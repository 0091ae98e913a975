"""The curation queues: suggestions, problem reports and organizers' proposed edits."""

from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from curation import services
from curation.models import Proposal, Reconfirmation, Report, Review, Suggestion


def entry_link(org):
    url = reverse("admin:directory_organization_change", args=[org.pk])
    return format_html('<a href="{}">{}</a>', url, org.name)


class QueueFilter(admin.SimpleListFilter):
    """Status, opening on the items still waiting; "All" is a choice of its own."""

    title = _("status")
    parameter_name = "queue"
    waiting = None
    statuses = ()

    def lookups(self, request, model_admin):
        return [*self.statuses, ("all", _("All"))]

    def choices(self, changelist):
        current = self.value() or self.waiting
        for value, title in self.lookup_choices:
            yield {
                "selected": current == str(value),
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or self.waiting
        if value == "all" or value not in {str(v) for v, _title in self.statuses}:
            return queryset
        return queryset.filter(status=value)


class ReviewQueue(QueueFilter):
    waiting = Review.PENDING
    statuses = Review.choices


class ReportQueue(QueueFilter):
    waiting = Report.Status.OPEN
    statuses = Report.Status.choices


class QueueAdmin(admin.ModelAdmin):
    """A read-only queue whose list opens on the items still waiting."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def _each(self, request, queryset, action, done_message):
        done = 0
        for item in queryset:
            try:
                action(item, request.user)
            except services.CurationError as error:
                self.message_user(request, str(error), messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"count": done})


@admin.register(Suggestion)
class SuggestionAdmin(QueueAdmin):
    list_display = [
        "entry",
        "place",
        "created",
        "status",
        "duplicate_count",
        "sets_relay_address",
        "reviewed_by",
    ]
    list_filter = [ReviewQueue]
    search_fields = ["organization__name", "organization__city", "email"]
    list_select_related = ["organization", "reviewed_by"]
    actions = ["approve", "reject"]
    fields = [
        "entry",
        "relay_address",
        "details",
        "duplicates",
        "email",
        "is_organizer",
        "note",
        "status",
        "created",
        "reviewed_by",
        "reviewed_at",
    ]
    readonly_fields = fields

    class Media:
        css = {"all": ["curation/admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(duplicates_found=Count("possible_duplicates"))

    @admin.display(description=_("suggested entry"), ordering="organization__name")
    def entry(self, obj):
        return entry_link(obj.organization)

    @admin.display(description=_("place"))
    def place(self, obj):
        return obj.organization.place_label or obj.organization.get_coverage_display()

    @admin.display(description=_("possible duplicates"), ordering="duplicates_found")
    def duplicate_count(self, obj):
        return obj.duplicates_found

    @admin.display(description=_("relay address to confirm"), boolean=True)
    def sets_relay_address(self, obj):
        return bool(obj.organization.contact_email)

    @admin.display(description=_("relay address suggested"))
    def relay_address(self, obj):
        """The address readers' messages would go to, which anyone suggesting a group can set."""
        address = obj.organization.contact_email
        if not address:
            return gettext("None: readers cannot write to this group until a curator sets one.")
        who = (
            gettext("The suggester says they organize with the group.")
            if obj.is_organizer
            else gettext("The suggester does not say they organize with the group.")
        )
        return format_html(
            '<div class="relay-check"><p class="relay-check__address">{}</p><p>{}</p><p>{}</p>'
            "</div>",
            address,
            gettext(
                "Once the entry is published, readers' messages to this group go to this "
                "address. Whoever suggested the group chose it, and nobody has checked it: "
                "before approving, confirm with the organizer, through a contact on the group's "
                "own website or in person, that it is theirs. If it cannot be confirmed, empty "
                "the entry's private contact email first."
            ),
            who,
        )

    @admin.display(description=_("what was suggested"))
    def details(self, obj):
        org = obj.organization
        rows = [
            (_("Causes"), ", ".join(cause.name for cause in org.causes.all())),
            (_("Where"), f"{org.place_label} {org.postal_code} ({org.get_coverage_display()})"),
            (_("Website"), org.website),
            (_("What it does"), org.summary),
            (_("First step"), org.first_step),
            (_("Meetings"), org.meeting_schedule),
        ]
        return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))

    @admin.display(description=_("possible duplicates"))
    def duplicates(self, obj):
        found = obj.possible_duplicates.all()
        if not found:
            return gettext("None found.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> · {} · {} · {}</li>',
                (
                    (
                        reverse("admin:directory_organization_change", args=[org.pk]),
                        org.name,
                        org.place_label,
                        org.website or "-",
                        org.get_status_display(),
                    )
                    for org in found
                ),
            ),
        )

    @admin.action(
        permissions=["change"], description=_("Approve and publish the selected suggestions")
    )
    def approve(self, request, queryset):
        selected = list(queryset.values_list("pk", flat=True))
        self._each(
            request,
            queryset,
            services.suggestion_approve,
            gettext("%(count)s suggestions approved and published."),
        )
        relayed = (
            Suggestion.objects.filter(pk__in=selected, status=Review.APPROVED)
            .exclude(organization__contact_email="")
            .select_related("organization")
        )
        if relayed:
            self.message_user(
                request,
                gettext(
                    "These entries now relay readers' messages to an address their suggester "
                    "gave: %(entries)s. Confirm each address with the group's organizer."
                )
                % {"entries": ", ".join(str(item.organization) for item in relayed)},
                messages.WARNING,
            )

    @admin.action(permissions=["change"], description=_("Reject the selected suggestions"))
    def reject(self, request, queryset):
        self._each(
            request,
            queryset,
            services.suggestion_reject,
            gettext("%(count)s suggestions rejected; their entries are archived."),
        )


@admin.register(Report)
class ReportAdmin(QueueAdmin):
    list_display = ["entry", "reason", "excerpt", "created", "status", "resolved_by"]
    list_filter = [ReportQueue, "reason"]
    search_fields = ["organization__name", "details"]
    list_select_related = ["organization", "resolved_by"]
    actions = ["resolve", "dismiss"]
    fields = [
        "entry",
        "reason",
        "details",
        "email",
        "status",
        "created",
        "resolved_by",
        "resolved_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("entry"), ordering="organization__name")
    def entry(self, obj):
        return entry_link(obj.organization)

    @admin.display(description=_("details"))
    def excerpt(self, obj):
        return obj.details[:120] + ("…" if len(obj.details) > 120 else "")

    @admin.action(
        permissions=["change"], description=_("Resolve the selected reports (the entry was fixed)")
    )
    def resolve(self, request, queryset):
        self._each(
            request, queryset, services.report_resolve, gettext("%(count)s reports resolved.")
        )

    @admin.action(
        permissions=["change"], description=_("Dismiss the selected reports (nothing to fix)")
    )
    def dismiss(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda report, user: services.report_resolve(report, user, dismiss=True),
            gettext("%(count)s reports dismissed."),
        )


@admin.register(Proposal)
class ProposalAdmin(QueueAdmin):
    list_display = ["entry", "changed_fields", "created", "status", "reviewed_by"]
    list_filter = [ReviewQueue]
    search_fields = ["organization__name"]
    list_select_related = ["organization", "reviewed_by"]
    actions = ["apply", "reject"]
    fields = ["entry", "diff", "note", "status", "created", "reviewed_by", "reviewed_at"]
    readonly_fields = fields

    @admin.display(description=_("entry"), ordering="organization__name")
    def entry(self, obj):
        return entry_link(obj.organization)

    @admin.display(description=_("changed"))
    def changed_fields(self, obj):
        return ", ".join(sorted(obj.changes))

    @admin.display(description=_("proposed changes"))
    def diff(self, obj):
        rows = [(name, "" if old is None else old, new) for name, (old, new) in obj.changes.items()]
        return format_html(
            '<table><thead><tr><th scope="col">{}</th><th scope="col">{}</th>'
            '<th scope="col">{}</th></tr></thead><tbody>{}</tbody></table>',
            gettext("field"),
            gettext("was"),
            gettext("proposed"),
            format_html_join(
                "",
                "<tr><th scope='row'>{}</th><td><del>{}</del></td><td><ins>{}</ins></td></tr>",
                rows,
            ),
        )

    @admin.action(permissions=["change"], description=_("Apply the selected proposed edits"))
    def apply(self, request, queryset):
        self._each(
            request, queryset, services.proposal_apply, gettext("%(count)s proposals applied.")
        )

    @admin.action(permissions=["change"], description=_("Reject the selected proposed edits"))
    def reject(self, request, queryset):
        self._each(
            request, queryset, services.proposal_reject, gettext("%(count)s proposals rejected.")
        )


@admin.register(Reconfirmation)
class ReconfirmationAdmin(admin.ModelAdmin):
    list_display = ["organization", "created", "sent_at", "used_at", "outcome"]
    list_filter = ["outcome"]
    search_fields = ["organization__name"]
    list_select_related = ["organization"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
