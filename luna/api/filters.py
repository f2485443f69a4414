"""Filter backends shared by the list endpoints."""

from __future__ import annotations

from rest_framework import filters


def without_nul(text: str) -> str:
    # PostgreSQL text cannot hold NUL; a query string carrying one must not reach the database.
    return text.replace("\x00", "")


class SearchFilter(filters.SearchFilter):
    """DRF's `?search=` (every word must match one of the view's `search_fields`)."""

    def get_search_terms(self, request) -> list[str]:
        return [term for term in (without_nul(t) for t in super().get_search_terms(request)) if term]
