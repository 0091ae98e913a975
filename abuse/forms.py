"""One spam-checked form for every public form: a honeypot and a signed "shown at" stamp."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abuse import tokens


class HoneypotField(forms.CharField):
    """Hidden from people by CSS and from screen readers, filled in by robots."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Leave this field empty"))
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"})
        )
        super().__init__(required=False, **kwargs)


class SpamCheckedForm(forms.Form):
    """A form for one `subject` (an id or a short string) that refuses robots' ways of sending.

    Subclasses name their token's `salt` and the settings holding the least and the most
    seconds a person may take; a form shown again with errors keeps its stamp, so the person
    does not have to wait again.
    """

    salt = None
    min_seconds_setting = None
    max_seconds_setting = None
    honeypot = "leave_empty"

    leave_empty = HoneypotField()
    token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, subject, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.subject = subject
        self.now = now or timezone.now()
        self.posted_token = self.data.get("token") if self.is_bound else None
        # A fresh stamp unless the one that came back is genuine and still usable.
        self.signed_token = self.stamp(subject)
        if self.posted_token:
            try:
                self._check(self.posted_token, min_age=None)
                self.signed_token = self.posted_token
            except (tokens.TokenInvalid, tokens.TokenExpired):
                pass

    @classmethod
    def stamp(cls, subject, issued=None):
        """The signed "shown at" token for `subject`, issued now or at `issued` (Unix seconds)."""
        return tokens.make(cls.salt, subject, issued=issued)

    def _check(self, token, min_age):
        tokens.check(
            token,
            self.salt,
            subject=self.subject,
            min_age=min_age,
            max_age=getattr(settings, self.max_seconds_setting),
            now=self.now.timestamp(),
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get(self.honeypot):
            raise ValidationError(
                _(
                    "The form has a hidden field that people leave empty, to catch spam robots, "
                    "and it was filled in, so nothing was sent. If your browser filled it for "
                    "you, empty the field “Leave this field empty” and send again."
                ),
                code="honeypot",
            )
        try:
            self._check(self.posted_token, min_age=getattr(settings, self.min_seconds_setting))
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
        return cleaned
