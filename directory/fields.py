"""Form fields shared by every boundary that reads query parameters."""

import re

from django import forms
from django.core.exceptions import ValidationError

WHOLE_NUMBER = re.compile(r"[+-]?\d+")


class WholeNumberField(forms.IntegerField):
    """An integer as people type one: "25", not "25.0" (which Django's IntegerField accepts)."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not WHOLE_NUMBER.fullmatch(value.strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)
