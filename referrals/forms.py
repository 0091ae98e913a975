"""The contact form: the shared spam checks, caps on every field, one line per header."""

import datetime
import unicodedata

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from abuse.forms import HoneypotField, SpamCheckedForm
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


class ContactForm(SpamCheckedForm):
    """A reader's message to one group; also refuses the same message twice in a row."""

    salt = "referrals.form"
    min_seconds_setting = "REFERRALS_FORM_MIN_SECONDS"
    max_seconds_setting = "REFERRALS_FORM_MAX_SECONDS"
    # Robots fill a field called "website" most eagerly; this form has no real one.
    honeypot = "website"
    leave_empty = None

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
    website = HoneypotField()
    via = forms.ChoiceField(required=False, choices=Referral.Via.choices, widget=forms.HiddenInput)

    def __init__(self, *args, organization, now=None, **kwargs):
        super().__init__(*args, subject=organization.pk, now=now, **kwargs)
        self.organization = organization
        self.fields["message"].widget.attrs["maxlength"] = settings.REFERRALS_MESSAGE_MAX_LENGTH

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
        if not self.errors and all(cleaned.get(k) for k in ("email", "message")):
            cleaned["fingerprint"] = fingerprint(
                self.organization.pk, cleaned["email"], cleaned["message"]
            )
            self._check_duplicate(cleaned["fingerprint"])
        return cleaned

    def _check_duplicate(self, print_):
        since = self.now - datetime.timedelta(minutes=settings.REFERRALS_DUPLICATE_MINUTES)
        if Referral.objects.filter(fingerprint=print_, created__gte=since).exists():
            raise ValidationError(DUPLICATE, code="duplicate")
