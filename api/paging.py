"""Page parameters, validated like every other parameter, and the links between pages."""

import math

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from directory.fields import WholeNumberField

MAX_PAGE = 100_000


class PageForm(forms.Form):
    """`page` (from 1) and a page size under the parameter name the API uses for it."""

    page = WholeNumberField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE,
        error_messages={"invalid": _("The page must be a whole number.")},
    )

    def __init__(self, data, *, size_name, default, maximum):
        super().__init__(data)
        self.size_name, self.default = size_name, default
        self.fields[size_name] = WholeNumberField(
            required=False,
            min_value=1,
            max_value=maximum,
            error_messages={"invalid": _("The page size must be a whole number.")},
        )

    @property
    def number(self):
        return self.cleaned_data.get("page") or 1

    @property
    def size(self):
        return self.cleaned_data.get(self.size_name) or self.default

    def window(self):
        """The (start, stop) slice of the current page."""
        start = (self.number - 1) * self.size
        return start, start + self.size


def api_page_form(data):
    return PageForm(
        data,
        size_name="page_size",
        default=settings.API_PAGE_SIZE,
        maximum=settings.API_MAX_PAGE_SIZE,
    )


def page_count(total, size):
    return max(1, math.ceil(total / size))


def page_url(request, page):
    """This request's absolute URL with another page number."""
    query = request.GET.copy()
    query["page"] = page
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
