"""The relay's mails: the reader's message to the organizers; to the reader, the link that
confirms their address, and the follow-up."""

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


def _render(name, context, language=None):
    # Mails to organizers go out in the site's language; mails to a reader in the language they
    # wrote in. Never whatever language the worker last served.
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"referrals/email/{name}_subject.txt", context)
        body = render_to_string(f"referrals/email/{name}_body.txt", context)
    return " ".join(subject.split()), body


def reader_language(referral):
    """The reader's language, when the site still offers it; else the site's."""
    return referral.language if referral.language in dict(settings.LANGUAGES) else None


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
            "reader_language": (
                translation.get_language_info(referral.language)["name"]
                if reader_language(referral) and referral.language != settings.LANGUAGE_CODE
                else ""
            ),
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


def _to_reader(referral, subject, body):
    """A mail from the site to the reader who wrote (never from or to the organizer)."""
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[referral.email],
        headers={"Auto-Submitted": "auto-generated"},
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
    )


def confirm_email(referral, token):
    """One mail to the reader with the link that confirms their address and sends the message."""
    language = reader_language(referral)
    with translation.override(language or settings.LANGUAGE_CODE):
        url = referral.origin + reverse("referrals:confirm", args=[token])
    subject, body = _render(
        "confirm",
        {
            "referral": referral,
            "org": referral.organization,
            "site_name": settings.SITE_NAME,
            "url": url,
            "valid_days": settings.REFERRALS_CONFIRM_VALID_DAYS,
        },
        language,
    )
    return _to_reader(referral, subject, body)


def followup_email(referral, token):
    """One mail to the reader asking whether the group got back to them."""
    base = referral.origin
    language = reader_language(referral)
    with translation.override(language or settings.LANGUAGE_CODE):
        # The answer pages, too, in the reader's language (/es/followup/...).
        yes_url = base + reverse("referrals:followup", args=[token, "yes"])
        no_url = base + reverse("referrals:followup", args=[token, "no"])
    subject, body = _render(
        "followup",
        {
            "referral": referral,
            "org": referral.organization,
            "site_name": settings.SITE_NAME,
            "yes_url": yes_url,
            "no_url": no_url,
            "valid_days": settings.REFERRALS_FOLLOWUP_VALID_DAYS,
        },
        language,
    )
    return _to_reader(referral, subject, body)
