"""Admin form fields that spare curators the stored formats: meeting days and languages."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from directory.models import MEETING_BYDAY_ITEM, MEETING_LANGUAGES, Organization

DAYS = [
    ("MO", _("Monday")),
    ("TU", _("Tuesday")),
    ("WE", _("Wednesday")),
    ("TH", _("Thursday")),
    ("FR", _("Friday")),
    ("SA", _("Saturday")),
    ("SU", _("Sunday")),
]
EVERY = "every"
WEEKS = [
    (EVERY, _("Every week")),
    ("1", pgettext_lazy("week of the month", "First")),
    ("2", pgettext_lazy("week of the month", "Second")),
    ("3", pgettext_lazy("week of the month", "Third")),
    ("4", pgettext_lazy("week of the month", "Fourth")),
    ("-1", pgettext_lazy("week of the month", "Last")),
]
BYDAY_MAX = Organization._meta.get_field("meeting_byday").max_length


def byday_parts(value):
    """(weeks, days) such that every week crossed with every day is the rule; None if not so.

    "2TH,4TH" is (["2", "4"], ["TH"]); "TU,TH" is (["every"], ["TU", "TH"]); "" is ([], []).
    A rule such as "1MO,3WE" is no such product, and the picker cannot show it.
    """
    items = [item for item in (value or "").split(",") if item]
    matches = [MEETING_BYDAY_ITEM.match(item) for item in items]
    if not all(matches):
        return None
    weeks = list(dict.fromkeys(m.group(1) or EVERY for m in matches))
    days = list(dict.fromkeys(m.group(2) for m in matches))
    if EVERY in weeks and len(weeks) > 1:
        return None
    if len(items) != len(weeks) * len(days):
        return None
    return weeks, days


def byday_value(weeks, days):
    """The stored rule for these weeks of the month and days of the week."""
    if EVERY in weeks or not weeks:
        return ",".join(days)
    return ",".join(f"{week}{day}" for week in weeks for day in days)


class ByDayWidget(forms.MultiWidget):
    """Two groups of checkboxes, weeks of the month and days of the week; no script needed."""

    template_name = "curation/widgets/byday.html"
    legends = [_("Which weeks of the month"), _("Which days")]

    def __init__(self, attrs=None):
        parts = [forms.CheckboxSelectMultiple(choices=choices) for choices in (WEEKS, DAYS)]
        super().__init__(parts, attrs)

    def decompress(self, value):
        return list(byday_parts(value) or ([], []))

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for subwidget, legend in zip(context["widget"]["subwidgets"], self.legends, strict=True):
            subwidget["legend"] = legend
        return context


class ByDayField(forms.MultiValueField):
    """The meeting day rule (iCalendar BYDAY, as stored) chosen with checkboxes."""

    widget = ByDayWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        fields = [
            forms.MultipleChoiceField(choices=WEEKS, required=False),
            forms.MultipleChoiceField(choices=DAYS, required=False),
        ]
        super().__init__(fields, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        weeks, days = (list(data_list) + [[], []])[:2]
        if weeks and not days:
            raise ValidationError(_("Choose the day of the week too."), code="no_day")
        if EVERY in weeks and len(weeks) > 1:
            raise ValidationError(
                _("Choose “Every week” or particular weeks, not both."), code="every_and_weeks"
            )
        value = byday_value(weeks, days)
        if len(value) > BYDAY_MAX:
            raise ValidationError(
                _(
                    "That is more meeting days than an entry can hold: choose fewer, and "
                    "describe the rest under “Meetings”."
                ),
                code="too_many",
            )
        return value

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        try:
            return (initial or "") != self.clean(data)
        except ValidationError:
            return True


class LanguagesField(forms.MultipleChoiceField):
    """The languages spoken, as checkboxes, stored as comma-separated codes ("en,es")."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", MEETING_LANGUAGES)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def keep_codes(self, value):
        """Offer codes stored already but not in the list, so saving does not drop them."""
        known = {code for code, _name in self.choices}
        extra = [(code, code) for code in split_codes(value) if code not in known]
        if extra:
            self.choices = [*self.choices, *extra]

    def prepare_value(self, value):
        return split_codes(value) if isinstance(value, str) else value

    def clean(self, value):
        return ",".join(super().clean(value))

    def has_changed(self, initial, data):
        return set(split_codes(initial)) != set(data or [])


def split_codes(value):
    if isinstance(value, str):
        return [code for code in value.split(",") if code]
    return list(value or [])
