"""The one definition of a search, shared by the HTML pages, the JSON API and the widget."""

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from directory import caching
from directory.fields import CauseField, WholeNumberField
from directory.geocoding import PlaceNotFound, geocode
from directory.models import MEETING_LANGUAGES, Category, Organization
from directory.search import BLOCK_KEYS, limits, who_covers, without_place


class CauseFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = CauseField


class RadiusFilter(django_filters.Filter):
    field_class = WholeNumberField


class SearchForm(forms.Form):
    """Turns the place text into a `Place` once; the rest of the code trusts it."""

    place_suggestions = ()

    def clean_near(self):
        text = self.cleaned_data.get("near")
        if not text:
            return None
        try:
            return geocode(text)
        except PlaceNotFound as error:
            self.place_suggestions = error.suggestions
            raise ValidationError(error.message, code="unknown_place") from None

    def clean_radius(self):
        return self.cleaned_data.get("radius") or settings.SEARCH_DEFAULT_RADIUS


class OrganizationSearch(django_filters.FilterSet):
    near = django_filters.CharFilter(
        label=_("ZIP code or city"),
        max_length=200,
        strip=True,
        help_text=_("A ZIP code, “City, ST”, or your location."),
    )
    cause = CauseFilter(
        label=_("Causes"),
        field_name="causes",
        to_field_name="slug",
        queryset=Category.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("There is no cause called “%(value)s”.")},
    )
    q = django_filters.CharFilter(label=_("Words"), max_length=200, strip=True)
    radius = RadiusFilter(
        label=_("Within (miles)"),
        min_value=1,
        max_value=settings.SEARCH_MAX_RADIUS,
        error_messages={
            "min_value": _("The radius must be at least %(limit_value)s mile."),
            "max_value": _("The radius can be at most %(limit_value)s miles."),
            "invalid": _("The radius must be a whole number of miles."),
        },
    )
    lang = django_filters.ChoiceFilter(
        label=_("Meeting language"), choices=MEETING_LANGUAGES, empty_label=_("Any language")
    )
    coverage = django_filters.MultipleChoiceFilter(
        label=_("Kinds of group"),
        choices=Organization.Coverage.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    # Which block "Show more" opens: it shows more rows, it filters none.
    show = django_filters.ChoiceFilter(
        label=_("Show more of"),
        choices=[(key, key) for key in BLOCK_KEYS],
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Organization
        form = SearchForm
        fields = []

    def filter_queryset(self, queryset):
        """Filter rows by cause, words, language and coverage; the place comes later."""
        data = self.form.cleaned_data
        return (
            queryset.for_causes(data.get("cause"))
            .matching(data.get("q") or "")
            .speaking(data.get("lang"))
            .with_coverage(data.get("coverage"))
        )

    def _by_cause(self):
        """(cause ids, kinds) when causes (and kinds) are all that filter_queryset filters by,
        so the rings may read the index of groups by cause (search.who_covers); else None."""
        data = self.form.cleaned_data
        causes = data.get("cause")
        if not causes or data.get("q") or data.get("lang"):
            return None
        return [cause.pk for cause in causes], list(data.get("coverage") or ())

    @property
    def place(self):
        return self.form.cleaned_data.get("near")

    def outcome(self, limit=None, window=None):
        """Run the search: labelled blocks around the place, or place-free groups without one.

        Outcomes are cached under the normalised search (and the directory's generation), so the
        same search typed two ways is answered once, and no edit leaves a stale answer behind.
        With a `window` (the API's page) each block is read as deep as the page reaches, and
        only the rows in the window are fetched.
        """
        data = self.form.cleaned_data
        if window is not None:
            limit = min(max(window[1], 1), settings.SEARCH_BLOCK_MAX)
        shown = limits(limit, data.get("show"))
        key = (self._key(shown), window)
        if self.place is None:
            return caching.cached(key, lambda: without_place(self.qs, False, shown, window))
        by_cause = self._by_cause()
        return caching.cached(
            key,
            lambda: who_covers(self.qs, self.place, data["radius"], shown, window, by_cause),
        )

    def _key(self, shown):
        data = self.form.cleaned_data
        place = self.place
        return (
            place and (place.latitude, place.longitude, place.label, place.state, place.country),
            sorted(cause.slug for cause in data.get("cause") or ()),
            " ".join((data.get("q") or "").lower().split()),
            data.get("lang") or "",
            sorted(data.get("coverage") or ()),
            data.get("radius"),
            sorted(shown.items()),
        )
