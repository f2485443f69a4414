"""Pagination shared by every list endpoint: ?limit=&offset=, default 50, max 500."""

from __future__ import annotations

from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    default_limit = 50
    max_limit = 500
