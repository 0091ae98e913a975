"""The relay's public pages: the contact form, its confirmation, and the follow-up answer."""

from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from abuse import tokens
from abuse.limits import Refused, client_hash
from directory.models import Organization
from embed import stats
from referrals import guards, services
from referrals.forms import DUPLICATE, ContactForm
from referrals.models import Referral
from referrals.queries import responsiveness_of

ANSWERS = {"yes": True, "no": False}


@require_http_methods(["GET", "POST"])
def contact(request, slug):
    """Write to a group's organizers; the message is stored, then relayed to their address."""
    org = get_object_or_404(Organization.objects.published(), slug=slug)
    # A widget's snippet ref (embed.stats) rides along, so a message sent counts for it.
    ref = stats.clean_ref((request.GET if request.method == "GET" else request.POST).get("ref"))
    if request.method == "GET":
        via = request.GET.get("via")
        form = ContactForm(
            organization=org, initial={"via": via if via in Referral.Via.values else None}
        )
        return _contact_page(request, org, form, ref=ref)
    form = ContactForm(request.POST, organization=org)
    if not org.contact_email or not form.is_valid():
        return _contact_page(request, org, form, ref=ref)
    client = client_hash(request)
    try:
        guards.admit_message(org, client)
    except Refused as refusal:
        form.add_error(None, str(refusal))
        return _contact_page(request, org, form, status=429, ref=ref)
    try:
        referral = services.referral_submit(
            org,
            form.cleaned_data,
            client=client,
            origin=request.build_absolute_uri("/").rstrip("/"),
        )
    except services.Duplicate:  # an identical post (a double click) was stored an instant ago
        form.add_error(None, DUPLICATE)
        return _contact_page(request, org, form, ref=ref)
    stats.count(ref, "messages")  # never raises: a failed count loses no message
    if referral.status == Referral.Status.HELD:
        return redirect("referrals:check_mail", slug=org.slug)
    return redirect("referrals:sent", slug=org.slug)


def _contact_page(request, org, form, status=200, ref=""):
    return render(
        request,
        "referrals/contact.html",
        {"org": org, "form": form, "replies": responsiveness_of(org), "widget_ref": ref},
        status=status,
    )


@require_GET
def sent(request, slug):
    """The confirmation after a message was stored."""
    org = get_object_or_404(Organization.objects.published(), slug=slug)
    return render(request, "referrals/sent.html", {"org": org})


@require_GET
def check_mail(request, slug):
    """After a message was stored and held: the reader is to confirm their address by mail."""
    org = get_object_or_404(Organization.objects.published(), slug=slug)
    context = {"org": org, "valid_days": settings.REFERRALS_CONFIRM_VALID_DAYS}
    return render(request, "referrals/check_mail.html", context)


# A signed link's page: neither it nor its token may stay in any cache.
@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """The reader's link: GET shows a button, POST releases the held message for delivery.

    Mail scanners open GET links by themselves, so only the POST counts.
    """
    days = settings.REFERRALS_CONFIRM_VALID_DAYS
    try:
        referral_id = tokens.check(token, services.CONFIRM_SALT, max_age=days * 86400)
        referral = Referral.objects.select_related("organization").get(pk=referral_id)
    except tokens.TokenExpired:
        return _confirm_page(request, "expired", status=410)
    except (tokens.TokenInvalid, Referral.DoesNotExist):
        return _confirm_page(request, "invalid", status=400)
    if referral.purged_at:
        return _confirm_page(request, "expired", status=410)
    if referral.status != Referral.Status.HELD:
        return _confirm_page(request, "again", referral)
    if request.method == "GET":
        return _confirm_page(request, "ask", referral)
    released = services.referral_confirm(referral)
    return _confirm_page(request, "done" if released else "again", referral)


def _confirm_page(request, state, referral=None, status=200):
    context = {
        "state": state,
        "org": referral.organization if referral else None,
        "valid_days": settings.REFERRALS_CONFIRM_VALID_DAYS,
    }
    return render(request, "referrals/confirm.html", context, status=status)


# A signed link's page: neither it nor its token may stay in any cache.
@never_cache
@require_http_methods(["GET", "POST"])
def followup(request, token, answer):
    """Answer "did the group get back to you?": GET shows a button, POST records the answer.

    Mail scanners open GET links by themselves, so only the POST counts.
    """
    try:
        referral_id = tokens.check(
            token,
            services.FOLLOWUP_SALT,
            max_age=settings.REFERRALS_FOLLOWUP_VALID_DAYS * 86400,
        )
        referral = Referral.objects.select_related("organization").get(pk=referral_id)
    except tokens.TokenExpired:
        return render(
            request,
            "referrals/followup_invalid.html",
            {"expired": True, "valid_days": settings.REFERRALS_FOLLOWUP_VALID_DAYS},
            status=410,
        )
    except (tokens.TokenInvalid, Referral.DoesNotExist):
        return render(request, "referrals/followup_invalid.html", status=400)
    context = {"org": referral.organization, "answer": answer, "replied": ANSWERS[answer]}
    if hasattr(referral, "answer"):
        return render(request, "referrals/followup_done.html", {**context, "again": True})
    if request.method == "GET":
        return render(request, "referrals/followup_confirm.html", context)
    try:
        services.followup_answer(referral, ANSWERS[answer])
    except services.AlreadyAnswered:
        return render(request, "referrals/followup_done.html", {**context, "again": True})
    return render(request, "referrals/followup_done.html", context)
