"""Filter backends shared by the list endpoints."""

from __future__ import annotations

from rest_framework import filters
from rest_framework.exceptions import ValidationError

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
        try:
            terms = super().get_search_terms(request)
        except ValidationError as exc:
            raise ValidationError({self.search_param: exc.detail}) from None
        if len(terms) > MAX_SEARCH_WORDS:
            raise ValidationError({self.search_param: [f"Give at most {MAX_SEARCH_WORDS} words."]})
        return terms
