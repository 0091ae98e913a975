"""The two mails the relay sends: the reader's message to the organizers, and the follow-up."""

from email.utils import formataddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation


class NoAddress(Exception):
    """The group has no private contact address: retrying cannot help."""


def origin_host(origin):
    return urlsplit(origin).hostname or "localhost"


def _render(name, context):
    # Mails go out in the site's language, whatever language the worker last served.
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"referrals/email/{name}_subject.txt", context)
        body = render_to_string(f"referrals/email/{name}_body.txt", context)
    return " ".join(subject.split()), body


def relay_email(referral, timeout=None):
    """The reader's message as a plain-text mail to the group's private address."""
    org = referral.organization
    if not org.contact_email:
        raise NoAddress("the group has no private contact address; add one, then resend")
    subject, body = _render(
        "relay",
        {
            "referral": referral,
            "org": org,
            "site_name": settings.SITE_NAME,
            "page_url": referral.origin + org.get_absolute_url(),
        },
    )
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[org.contact_email],
        # The organizer's reply goes straight to the reader; the site never sees it.
        reply_to=[formataddr((referral.name, referral.email))],
        headers={"Message-ID": referral.message_id},
        connection=get_connection(timeout=timeout or settings.EMAIL_TIMEOUT),
    )


def followup_email(referral, token):
    """One mail to the reader asking whether the group got back to them."""
    base = referral.origin
    subject, body = _render(
        "followup",
        {
            "referral": referral,
            "org": referral.organization,
            "site_name": settings.SITE_NAME,
            "yes_url": base + reverse("referrals:followup", args=[token, "yes"]),
            "no_url": base + reverse("referrals:followup", args=[token, "no"]),
            "valid_days": settings.REFERRALS_FOLLOWUP_VALID_DAYS,
        },
    )
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[referral.email],
        headers={"Auto-Submitted": "auto-generated"},
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
    )
