"""Spam controls for the public curation forms: honeypot, signed form age, per-client limit.

The signed age stamp, the client hash and the event counter are the contact form's own
(referrals.tokens and referrals.guards); only the form mixin and its limit live here.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from referrals import tokens
from referrals.guards import client_hash, count_event

FORM_SALT = "curation.form"

__all__ = ["Refused", "SpamCheckedForm", "admit", "client_hash"]


class Refused(Exception):
    """A submission turned away by the rate limit; the message says why."""


class SpamCheckedForm(forms.Form):
    """A form with a honeypot and a signed "shown at" stamp, for one `subject` (a string)."""

    # The honeypot: hidden from people by CSS and from screen readers, filled in by robots.
    leave_empty = forms.CharField(
        label=gettext_lazy("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, subject, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.subject = subject
        self.now = now
        self.posted_token = self.data.get("token") if self.is_bound else None
        # A fresh stamp unless the one that came back is genuine: a form shown again with errors
        # keeps its age, so the person does not have to wait again.
        self.signed_token = tokens.make(FORM_SALT, subject)
        if self.posted_token:
            try:
                tokens.check(self.posted_token, FORM_SALT, subject=subject)
                self.signed_token = self.posted_token
            except tokens.TokenInvalid:
                pass

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("leave_empty"):
            raise ValidationError(
                _(
                    "The form has a hidden field that people leave empty, to catch spam robots, "
                    "and it was filled in, so nothing was sent. If your browser filled it for "
                    "you, empty the field “Leave this field empty” and send again."
                ),
                code="honeypot",
            )
        self._check_age()
        return cleaned

    def _check_age(self):
        try:
            tokens.check(
                self.posted_token,
                FORM_SALT,
                subject=self.subject,
                min_age=settings.CURATION_FORM_MIN_SECONDS,
                max_age=settings.CURATION_FORM_MAX_SECONDS,
                now=self.now.timestamp() if self.now else None,
            )
        except tokens.TokenTooYoung:
            raise ValidationError(
                _(
                    "The form was sent within seconds of opening it, which is what spam robots "
                    "do. If you are a person, wait a moment and send again: what you wrote is "
                    "kept below."
                ),
                code="too_fast",
            ) from None
        except tokens.TokenExpired:
            raise ValidationError(
                _(
                    "This form was open too long to be accepted. What you wrote is kept below: "
                    "send again."
                ),
                code="expired",
            ) from None
        except tokens.TokenInvalid:
            raise ValidationError(
                _(
                    "This form could not be checked (it may be a copy from another page). What "
                    "you wrote is kept below: send again."
                ),
                code="bad_token",
            ) from None


def admit(request, scope):
    """Count one accepted form from this client in `scope`, or raise Refused past the limit."""
    key = f"curation:{scope}:{client_hash(request)}"
    if count_event(key, settings.CURATION_CLIENT_WINDOW) > settings.CURATION_CLIENT_LIMIT:
        raise Refused(
            _(
                "You have sent several forms in a short time, so we are holding this one back. "
                "Please try again in an hour; what you wrote is still below."
            )
        )
