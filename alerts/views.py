"""The alert's pages: ask for one, confirm it from the mail, stop it from any alert."""

from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from abuse import limits
from alerts import services
from alerts.forms import SubscribeForm


@never_cache
@require_http_methods(["GET", "POST"])
def subscribe(request):
    """Ask to be told when a group near a place is listed; a mail confirms it (double opt-in)."""
    if request.method == "POST":
        form = SubscribeForm(request.POST)
    else:
        form = SubscribeForm(
            initial={
                "near": request.GET.get("near", "")[:200],
                "cause": request.GET.getlist("cause"),
            }
        )
    if request.method == "POST" and form.is_valid():
        try:
            _admit(request, form.cleaned_data["email"])
        except limits.Refused as refusal:
            form.add_error(None, str(refusal))
            context = {"form": form, "retention_days": settings.ALERTS_RETENTION_DAYS}
            return render(request, "alerts/subscribe.html", context, status=429)
        subscription = services.subscription_request(
            form.cleaned_data["email"],
            form.cleaned_data["near"],
            form.cleaned_data["cause"],
            origin=f"{request.scheme}://{request.get_host()}",
        )
        if settings.REFERRALS_DELIVER_AT_ONCE:
            # As the contact relay does: stored first, tried once after commit, else the worker.
            transaction.on_commit(
                lambda: services.deliver_confirmation(
                    subscription, timeout=settings.REFERRALS_REQUEST_EMAIL_TIMEOUT
                ),
                robust=True,
            )
        return redirect("alerts:sent")
    causes = form.fields["cause"].queryset.filter(slug__in=_slugs(form))
    return render(
        request,
        "alerts/subscribe.html",
        {"form": form, "causes": causes, "retention_days": settings.ALERTS_RETENTION_DAYS},
    )


def _slugs(form):
    value = form["cause"].value() or []
    return [value] if isinstance(value, str) else [str(slug)[:60] for slug in value][:20]


def _admit(request, email):
    """Per client, like the curation forms; per address too, so nobody can mail-bomb another."""
    message = _(
        "You have asked for several alerts in a short time, so we are holding this one back. "
        "Please try again in an hour."
    )
    window = settings.CURATION_CLIENT_WINDOW
    client = limits.client_hash(request)
    limits.admit(f"alerts:client:{client}", settings.CURATION_CLIENT_LIMIT, window, message)
    address = limits.keyed_hash("alerts.email", email.strip().casefold())
    limits.admit(f"alerts:email:{address}", settings.ALERTS_EMAIL_LIMIT, window, message)


@require_GET
def sent(request):
    """After asking: the confirmation mail is on its way (the address is never shown again)."""
    return render(request, "alerts/sent.html", {"valid_days": settings.ALERTS_CONFIRM_DAYS})


# Signed links' pages: neither they nor their tokens may stay in any cache.
@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """The confirmation mail's link: a page whose button turns the alert on."""
    try:
        subscription = services.subscription_open(token, services.CONFIRM_SALT)
    except services.LinkExpired:
        return _problem(request, "expired", 410)
    except services.LinkInvalid:
        return _problem(request, "invalid", 400)
    if request.method == "POST" or subscription.confirmed_at:
        services.subscription_confirm(subscription)
        return render(
            request, "alerts/done.html", {"confirmed": True, "subscription": subscription}
        )
    return render(request, "alerts/confirm.html", {"subscription": subscription})


# The one-click unsubscribe of mail programs (RFC 8058) posts without a form: the signed token
# is what authorizes it, so there is no CSRF token to check.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """Every alert's link: a page whose button stops the alert and deletes the address."""
    try:
        subscription = services.subscription_open(token, services.UNSUBSCRIBE_SALT)
    except services.LinkInvalid:
        return _problem(request, "gone", 410)
    if request.method == "POST":
        services.subscription_cancel(subscription)
        return render(request, "alerts/done.html", {"stopped": True, "subscription": subscription})
    return render(request, "alerts/unsubscribe.html", {"subscription": subscription})


def _problem(request, problem, status):
    return render(
        request,
        "alerts/problem.html",
        {"problem": problem, "valid_days": settings.ALERTS_CONFIRM_DAYS},
        status=status,
    )
