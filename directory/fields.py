"""Form fields shared by every boundary that reads query parameters."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

WHOLE_NUMBER = re.compile(r"[+-]?\d+")
MAX_CAUSES = 20


class WholeNumberField(forms.IntegerField):
    """An integer as people type one: "25", not "25.0" (which Django's IntegerField accepts)."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not WHOLE_NUMBER.fullmatch(value.strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class CauseField(forms.ModelMultipleChoiceField):
    """Category slugs, checked for shape before they reach the database."""

    def clean(self, value):
        values = [value] if isinstance(value, str) else list(value or [])
        if len(values) > MAX_CAUSES:
            raise ValidationError(
                _("Choose at most %(max)s causes.") % {"max": MAX_CAUSES}, code="too_many"
            )
        for item in values:
            if "\x00" in str(item) or len(str(item)) > 60:
                raise ValidationError(_("That is not a cause we know."), code="invalid_choice")
        return super().clean(values)
