"""Filter backends shared by the list endpoints."""

from __future__ import annotations

from rest_framework import filters
from rest_framework.exceptions import ValidationError


def without_nul(text: str) -> str:
    # PostgreSQL text cannot hold NUL; a query string carrying one must not reach the database.
    return text.replace("\x00", "")


class SearchFilter(filters.SearchFilter):
    """DRF's `?search=` (every word must match one of the view's `search_fields`).

    DRF refuses a NUL character with a bare list as the body; here the error names the
    parameter like every other 400.
    """

    def get_search_terms(self, request) -> list[str]:
        try:
            return super().get_search_terms(request)
        except ValidationError as exc:
            raise ValidationError({self.search_param: exc.detail}) from None
