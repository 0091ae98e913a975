"""The contact form, with its abuse controls: honeypot, signed age, caps, one line per header."""

import datetime
import unicodedata

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from referrals import tokens
from referrals.guards import fingerprint
from referrals.models import HEARD_MAX_LENGTH, NAME_MAX_LENGTH, Referral

ONE_LINE = _(
    "Please keep this on one line: line breaks and control characters are not allowed here."
)
TOO_LONG = _(
    "Please shorten this to %(limit_value)d characters or fewer (it has %(show_value)d). "
    "Nothing you wrote is lost."
)

DUPLICATE = _(
    "You sent this same message to this group a few minutes ago. It is saved "
    "and on its way, so there is no need to send it again."
)


def _has_control_characters(value):
    return any(unicodedata.category(char) == "Cc" for char in value)


def single_line(value):
    # Name and email end up in mail headers: a line break there could add headers of its own.
    if _has_control_characters(value):
        raise ValidationError(ONE_LINE, code="line_break")


class SingleLineEmailField(forms.EmailField):
    def to_python(self, value):
        if isinstance(value, str) and _has_control_characters(value.strip()):
            raise ValidationError(ONE_LINE, code="line_break")
        return super().to_python(value)


class ContactForm(forms.Form):
    """A reader's message to one group. Also checks the form's age, honeypot and duplicates."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=NAME_MAX_LENGTH,
        validators=[single_line],
        error_messages={"max_length": TOO_LONG},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = SingleLineEmailField(
        label=_("Your email"),
        max_length=254,
        help_text=_("The organizers reply to this address."),
        error_messages={
            "max_length": TOO_LONG,
            "invalid": _("Please enter an email address like name@example.org."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    message = forms.CharField(
        label=_("Your message"),
        max_length=settings.REFERRALS_MESSAGE_MAX_LENGTH,
        error_messages={"max_length": TOO_LONG},
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Say who you are and what you would like to do with the group."),
    )
    heard_from = forms.CharField(
        label=_("How did you hear about the group? (optional)"),
        required=False,
        max_length=HEARD_MAX_LENGTH,
        validators=[single_line],
        error_messages={"max_length": TOO_LONG},
    )
    # The honeypot: hidden from people by CSS and from screen readers, filled in by robots.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    token = forms.CharField(required=False, widget=forms.HiddenInput)
    via = forms.ChoiceField(required=False, choices=Referral.Via.choices, widget=forms.HiddenInput)

    def __init__(self, *args, organization, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.now = now or timezone.now()
        self.fields["message"].widget.attrs["maxlength"] = settings.REFERRALS_MESSAGE_MAX_LENGTH
        # A fresh token unless the one that came back is genuine and still usable.
        self.signed_token = tokens.make(tokens.FORM_SALT, organization.pk)
        if self.is_bound:
            posted = self.data.get("token")
            try:
                tokens.check(
                    posted,
                    tokens.FORM_SALT,
                    subject=organization.pk,
                    max_age=settings.REFERRALS_FORM_MAX_SECONDS,
                )
                self.signed_token = posted
            except (tokens.TokenInvalid, tokens.TokenTooYoung, tokens.TokenExpired):
                pass

    @property
    def retention_days(self):
        return settings.REFERRALS_RETENTION_DAYS

    @property
    def followup_days(self):
        return settings.REFERRALS_FOLLOWUP_DAYS

    def clean_via(self):
        return self.cleaned_data.get("via") or Referral.Via.SITE

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):
            raise ValidationError(
                _(
                    "The form has a hidden field that people leave empty, to catch spam robots, "
                    "and it was filled in, so the message was not sent. If your browser filled "
                    "it for you, empty the field “Leave this field empty” and send again."
                ),
                code="honeypot",
            )
        self._check_token(self.data.get("token"))
        if not self.errors and all(cleaned.get(k) for k in ("email", "message")):
            cleaned["fingerprint"] = fingerprint(
                self.organization.pk, cleaned["email"], cleaned["message"]
            )
            self._check_duplicate(cleaned["fingerprint"])
        return cleaned

    def _check_token(self, token):
        try:
            tokens.check(
                token,
                tokens.FORM_SALT,
                subject=self.organization.pk,
                min_age=settings.REFERRALS_FORM_MIN_SECONDS,
                max_age=settings.REFERRALS_FORM_MAX_SECONDS,
                now=self.now.timestamp(),
            )
        except tokens.TokenTooYoung:
            raise ValidationError(
                _(
                    "The form was sent within seconds of opening it, which is what spam robots "
                    "do. If you are a person, wait a moment and press Send again: your message "
                    "is kept below."
                ),
                code="too_fast",
            ) from None
        except tokens.TokenExpired:
            raise ValidationError(
                _(
                    "This form was open too long to be accepted. Your message is kept below: "
                    "press Send again."
                ),
                code="expired",
            ) from None
        except tokens.TokenInvalid:
            raise ValidationError(
                _(
                    "This form could not be checked (it may be a copy from another page). Your "
                    "message is kept below: press Send again."
                ),
                code="bad_token",
            ) from None

    def _check_duplicate(self, print_):
        since = self.now - datetime.timedelta(minutes=settings.REFERRALS_DUPLICATE_MINUTES)
        if Referral.objects.filter(fingerprint=print_, created__gte=since).exists():
            raise ValidationError(DUPLICATE, code="duplicate")
