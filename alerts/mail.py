"""The two mails an alert sends: "confirm your alert" and "a group near you is listed"."""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation


def _language(subscription):
    languages = dict(settings.LANGUAGES)
    return subscription.language if subscription.language in languages else settings.LANGUAGE_CODE


def _message(name, subscription, context, timeout, headers):
    # In the subscriber's language, links included (/es/alerts/...), never the worker's.
    with translation.override(_language(subscription)):
        context = {"subscription": subscription, "site_name": settings.SITE_NAME, **context}
        context = {k: v() if callable(v) else v for k, v in context.items()}
        subject = " ".join(render_to_string(f"alerts/email/{name}_subject.txt", context).split())
        body = render_to_string(f"alerts/email/{name}_body.txt", context)
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscription.email],
        headers={"Auto-Submitted": "auto-generated", **headers},
        connection=get_connection(timeout=timeout or settings.EMAIL_TIMEOUT),
    )


def confirm_email(mail, token, timeout=None):
    """The double opt-in: nothing is ever sent but this until the reader follows its link."""
    subscription = mail.subscription
    return _message(
        "confirm",
        subscription,
        {
            "confirm_url": lambda: subscription.origin + reverse("alerts:confirm", args=[token]),
            "valid_days": settings.ALERTS_CONFIRM_DAYS,
        },
        timeout,
        {},
    )


def alert_email(mail, unsubscribe_token, timeout=None):
    """One new group near the subscriber's place, with the one link that ends the alert."""
    subscription, org = mail.subscription, mail.organization
    with translation.override(_language(subscription)):
        unsubscribe_url = subscription.origin + reverse(
            "alerts:unsubscribe", args=[unsubscribe_token]
        )
        page_url = subscription.origin + org.get_absolute_url()
    return _message(
        "alert",
        subscription,
        {
            "org": org,
            "page_url": page_url,
            "unsubscribe_url": unsubscribe_url,
            "retention_days": settings.ALERTS_RETENTION_DAYS,
        },
        timeout,
        # One-click unsubscribe from the mail program itself (RFC 8058): a POST to the same link.
        {
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
