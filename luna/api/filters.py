"""Filter backends and filters shared by the list endpoints.

Every filter here follows luna.api.query's rule: a parameter given empty (`?status=`,
`?search=`) is a 400 naming it instead of the unfiltered list, and a number is ASCII digits.
"""

from __future__ import annotations

from django import forms
from django_filters import rest_framework as django_filters
from rest_framework import filters
from rest_framework.exceptions import ValidationError

from luna.api.query import BLANK, is_blank, number_error

MAX_SEARCH_WORDS = 10


def without_nul(text: str) -> str:
    # PostgreSQL text cannot hold NUL; a query string carrying one must not reach the database.
    return text.replace("\x00", "")


class SearchFilter(filters.SearchFilter):
    """DRF's `?search=` (every word must match one of the view's `search_fields`).

    DRF refuses a NUL character with a bare list as the body; here the error names the
    parameter like every other 400. Each word adds a condition per field, so the number
    of words is capped: thousands of them overflow SQLite's expression depth (an error
    that would read as "database unavailable") and make PostgreSQL scan for nothing.
    """

    def get_search_terms(self, request) -> list[str]:
        raw = request.query_params.get(self.search_param)
        if raw is not None and is_blank(raw):
            raise ValidationError({self.search_param: [BLANK]})
        try:
            terms = super().get_search_terms(request)
        except ValidationError as exc:
            raise ValidationError({self.search_param: exc.detail}) from None
        if len(terms) > MAX_SEARCH_WORDS:
            raise ValidationError({self.search_param: [f"Give at most {MAX_SEARCH_WORDS} words."]})
        return terms


class RejectBlank:
    """A parameter given as `?name=` is malformed, not absent."""

    def to_python(self, value):
        if isinstance(value, str) and is_blank(value):
            raise forms.ValidationError(BLANK, code="blank")
        return super().to_python(value)


class AsciiNumber:
    """A number in ASCII digits only (luna.api.query); `whole` numbers without a decimal point."""

    whole = False

    def to_python(self, value):
        if isinstance(value, str) and (error := number_error(value, whole=self.whole)):
            raise forms.ValidationError(error, code="blank" if error == BLANK else "invalid")
        return super().to_python(value)


class _NumberField(AsciiNumber, forms.DecimalField):
    pass


class _UUIDField(RejectBlank, forms.UUIDField):
    pass


class _ChoiceField(RejectBlank, forms.ChoiceField):
    pass


class _IntegerField(AsciiNumber, forms.IntegerField):
    whole = True


class NumberFilter(django_filters.NumberFilter):
    field_class = _NumberField

    def get_max_validator(self):
        # django-filter adds a catch-all bound of 1e50; with a real max_value it only repeats the error.
        return None if self.extra.get("max_value") is not None else super().get_max_validator()


class UUIDFilter(django_filters.UUIDFilter):
    field_class = _UUIDField


class ChoiceFilter(django_filters.ChoiceFilter):
    field_class = _ChoiceField


class IntegerFilter(NumberFilter):
    """A whole number: `?max_price_level=2.5` is malformed, not 2.5."""

    field_class = _IntegerField
