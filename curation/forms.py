"""The public curation forms: suggest a group, report a problem, and an organizer's edits."""

import copy

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from abuse.forms import SpamCheckedForm
from curation.models import DETAILS_MAX_LENGTH, Report
from curation.services import PROPOSABLE_FIELDS
from directory.fields import CauseField
from directory.geocoding import us_states
from directory.models import Category, Organization

TOO_LONG = _("Please shorten this to %(limit_value)d characters or fewer (it has %(show_value)d).")
ONE_LINE = RegexValidator(
    r"^[^\r\n\t\x00-\x1f]*$", _("Please keep this on one line."), code="line_break"
)


def _text(label, max_length, required=False, help_text="", one_line=True, **kwargs):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        validators=[ONE_LINE] if one_line else [],
        error_messages={"max_length": TOO_LONG},
        **kwargs,
    )


def https_by_default(field, **kwargs):
    """Form fields for model fields, reading a bare domain as https://."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


def _model_max(name):
    return Organization._meta.get_field(name).max_length


# Where suggestions come from; the directory places groups in these countries.
SUGGEST_COUNTRIES = [("US", _("United States")), ("CA", _("Canada")), ("MX", _("Mexico"))]


def _state_choices():
    return [("", _("Choose a state")), *us_states().items()]


class PublicForm(SpamCheckedForm):
    """What the public curation forms share: their stamp's salt and how long a person takes."""

    salt = "curation.form"
    min_seconds_setting = "CURATION_FORM_MIN_SECONDS"
    max_seconds_setting = "CURATION_FORM_MAX_SECONDS"


class SuggestForm(PublicForm):
    """What a newcomer needs to know about a group, and how we can reach the suggester."""

    name = _text(_("Name of the group"), _model_max("name"), required=True)
    causes = CauseField(
        label=_("Causes"),
        queryset=Category.objects.all(),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one cause.")},
    )
    coverage = forms.ChoiceField(
        label=_("Where does it organize?"),
        choices=Organization.Coverage.choices,
        initial=Organization.Coverage.LOCAL,
    )
    city = _text(_("City"), _model_max("city"))
    state = forms.ChoiceField(
        label=_("State"),
        choices=_state_choices,
        required=False,
        help_text=_("Leave it empty for a group outside the US."),
    )
    postal_code = _text(_("ZIP or postal code"), _model_max("postal_code"))
    country = forms.ChoiceField(
        label=_("Country"),
        choices=SUGGEST_COUNTRIES,
        initial="US",
        help_text=_("Elsewhere? Tell the curators in the note at the end."),
    )
    website = forms.URLField(
        label=_("Website"), required=False, max_length=200, assume_scheme="https"
    )
    summary = _text(
        _("What does the group do?"),
        _model_max("summary"),
        one_line=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    first_step = _text(
        _("How can a newcomer join?"),
        _model_max("first_step"),
        help_text=_('e.g. "Come to the monthly new-member meeting."'),
    )
    meeting_schedule = _text(_("When does it meet?"), _model_max("meeting_schedule"))
    contact_email = forms.EmailField(
        label=_("The organizers' email (optional)"),
        max_length=254,
        required=False,
        help_text=_("Never shown on the site: readers' messages are relayed to it."),
    )
    email = forms.EmailField(
        label=_("Your email"),
        max_length=254,
        help_text=_("Only the curators see it, to ask you about the suggestion."),
    )
    is_organizer = forms.BooleanField(label=_("I organize with this group"), required=False)
    note = _text(
        _("Anything else the curators should know? (optional)"),
        DETAILS_MAX_LENGTH,
        one_line=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    field_order = [
        "name",
        "causes",
        "coverage",
        "city",
        "state",
        "postal_code",
        "country",
        "website",
        "summary",
        "first_step",
        "meeting_schedule",
        "contact_email",
        "email",
        "is_organizer",
        "note",
    ]

    # The page shows the fields in these groups, in this order (field_order above for the rest).
    FIELDSETS = [
        (_("The group"), ["name", "causes", "summary"]),
        (_("Where"), ["coverage", "city", "state", "postal_code", "country"]),
        (_("How to join"), ["website", "first_step", "meeting_schedule", "contact_email"]),
        (_("About you"), ["email", "is_organizer", "note"]),
    ]

    def fieldsets(self):
        """(legend, bound fields) for each group of fields on the page."""
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    def clean_summary(self):
        # A box of a few lines for the reader; one line in the listing.
        return " ".join(self.cleaned_data["summary"].split())

    def clean_state(self):
        return self.cleaned_data["state"].strip()

    def clean(self):
        cleaned = super().clean()
        place = cleaned.get("city") or cleaned.get("postal_code")
        if cleaned.get("state") and cleaned.get("country") not in (None, "US"):
            self.add_error("state", _("States are for groups in the US: leave it empty."))
        if (
            cleaned.get("coverage") in ("local", "regional", "statewide")
            and not place
            and not (cleaned.get("coverage") == "statewide" and cleaned.get("state"))
        ):
            self.add_error("city", _("Tell us where the group meets: a city or a ZIP code."))
        return cleaned


class ReportForm(PublicForm):
    """What is wrong with a listing."""

    reason = forms.ChoiceField(
        label=_("What is wrong?"), choices=Report.Reason.choices, widget=forms.RadioSelect
    )
    details = _text(
        _("Details"),
        DETAILS_MAX_LENGTH,
        one_line=False,
        help_text=_("What should the listing say instead? Links help."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    email = forms.EmailField(
        label=_("Your email (optional)"),
        max_length=254,
        required=False,
        help_text=_("Only if you would like a curator to be able to ask you about it."),
    )


class ProposalForm(forms.ModelForm):
    """The organizer's entry as it stands, to edit; only the changes are kept, as a diff."""

    note = _text(
        _("A note for the curators (optional)"),
        DETAILS_MAX_LENGTH,
        one_line=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = Organization
        fields = PROPOSABLE_FIELDS
        formfield_callback = https_by_default
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "social_links": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.proposed_changes():
            raise ValidationError(
                _(
                    "Nothing was changed. If the listing is right as it is, use “Yes, it is "
                    "current” above instead."
                ),
                code="unchanged",
            )
        return cleaned

    def _post_clean(self):
        # Run the model's validators on a copy: the entry itself waits for a curator.
        trial = copy.copy(self.instance)
        for name in PROPOSABLE_FIELDS:
            if name in self.cleaned_data:
                setattr(trial, name, self.cleaned_data[name])
        excluded = [f.name for f in Organization._meta.fields if f.name not in PROPOSABLE_FIELDS]
        try:
            trial.clean_fields(exclude=excluded)
        except ValidationError as error:
            self.add_error(None, error)

    def proposed_changes(self):
        """{field: [current, proposed]} for the fields the organizer changed (JSON values)."""
        changes = {}
        for name in PROPOSABLE_FIELDS:
            if name not in self.cleaned_data:
                continue
            old, new = getattr(self.instance, name), self.cleaned_data[name]
            if old != new:
                changes[name] = [old, new]
        return changes
