"""Public curation pages: suggest a group, report a problem, and the organizer's confirmation."""

from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from abuse import tokens
from abuse.limits import Refused, admit, client_hash
from curation import services
from curation.forms import ProposalForm, ReportForm, SuggestForm
from directory.models import Organization

SUGGEST_SUBJECT = "suggest"
SUGGEST_PREFILL = ("city", "state", "postal_code", "country")


def _admit(request, scope):
    """Count one accepted form from this client in `scope`, or raise Refused past the limit."""
    admit(
        f"curation:{scope}:{client_hash(request)}",
        settings.CURATION_CLIENT_LIMIT,
        settings.CURATION_CLIENT_WINDOW,
        _(
            "You have sent several forms in a short time, so we are holding this one back. "
            "Please try again in an hour; what you wrote is still below."
        ),
    )


@require_http_methods(["GET", "POST"])
def suggest(request):
    """Suggest a group: it waits, pending, for a curator."""
    # "Know a group here? Suggest it" on a far search fills in the place it was made for.
    place = {name: request.GET[name][:100] for name in SUGGEST_PREFILL if name in request.GET}
    form = SuggestForm(request.POST or None, subject=SUGGEST_SUBJECT, initial=place)
    if request.method == "POST" and form.is_valid():
        try:
            _admit(request, "suggest")
        except Refused as refusal:
            form.add_error(None, str(refusal))
            return render(request, "curation/suggest.html", {"form": form}, status=429)
        services.suggestion_submit(form.cleaned_data)
        return redirect("curation:suggest_thanks")
    return render(request, "curation/suggest.html", {"form": form})


@require_GET
def suggest_thanks(request):
    """After a suggestion was stored."""
    return render(request, "curation/suggest_thanks.html")


@require_http_methods(["GET", "POST"])
def report(request, slug):
    """Report a problem with a listing."""
    org = get_object_or_404(Organization.objects.published(), slug=slug)
    form = ReportForm(request.POST or None, subject=f"report:{org.pk}")
    context = {"org": org, "form": form}
    if request.method == "POST" and form.is_valid():
        try:
            _admit(request, "report")
        except Refused as refusal:
            form.add_error(None, str(refusal))
            return render(request, "curation/report.html", context, status=429)
        services.report_submit(org, form.cleaned_data)
        return render(request, "curation/report_thanks.html", {"org": org})
    return render(request, "curation/report.html", context)


# A signed link's page: neither it nor its token may stay in any cache.
@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """An organizer's link: confirm the entry is current (POST), or propose edits (POST)."""
    try:
        reconfirmation = services.reconfirmation_open(token)
    except tokens.TokenExpired:
        return _link_problem(request, "expired", 410)
    except tokens.TokenInvalid:
        return _link_problem(request, "invalid", 400)
    except services.LinkUsed as used:
        return _link_problem(request, "used", 410, used.reconfirmation)
    org = reconfirmation.organization
    action = request.POST.get("action") if request.method == "POST" else None
    form = ProposalForm(request.POST if action == "propose" else None, instance=org)
    try:
        if action == "confirm":
            services.reconfirmation_confirm(reconfirmation)
            return render(request, "curation/confirm_done.html", {"org": org, "confirmed": True})
        if action == "propose" and form.is_valid():
            services.proposal_submit(
                reconfirmation, form.proposed_changes(), form.cleaned_data.get("note", "")
            )
            return render(request, "curation/confirm_done.html", {"org": org, "proposed": True})
    except services.LinkUsed as used:  # a second click that raced the first
        return _link_problem(request, "used", 410, used.reconfirmation)
    return render(request, "curation/confirm.html", {"org": org, "form": form, "token": token})


def _link_problem(request, problem, status, reconfirmation=None):
    return render(
        request,
        "curation/confirm_problem.html",
        {"problem": problem, "reconfirmation": reconfirmation},
        status=status,
    )
