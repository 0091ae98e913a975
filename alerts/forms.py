"""The alert's one public form: an address, for a place and the causes of the search."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from abuse.forms import SpamCheckedForm
from directory.fields import CauseField
from directory.geocoding import PlaceNotFound, geocode
from directory.models import Category

SUBJECT = "alerts.subscribe"


class SubscribeForm(SpamCheckedForm):
    """Honeypot, signed form age (the curation forms' settings) and the place as a Place."""

    salt = "alerts.form"
    min_seconds_setting = "CURATION_FORM_MIN_SECONDS"
    max_seconds_setting = "CURATION_FORM_MAX_SECONDS"

    near = forms.CharField(
        label=_("ZIP code or city"),
        max_length=200,
        help_text=_("We tell you about groups that cover this place."),
    )
    cause = CauseField(
        label=_("Causes"),
        queryset=Category.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.MultipleHiddenInput,
    )
    email = forms.EmailField(
        label=_("Your email"),
        max_length=254,
        help_text=_("Used only for this alert, never shown to anyone."),
    )

    field_order = ["near", "email", "cause"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("subject", SUBJECT)
        super().__init__(*args, **kwargs)

    def clean_near(self):
        try:
            return geocode(self.cleaned_data["near"])
        except PlaceNotFound as error:
            raise ValidationError(error.message, code="unknown_place") from None
