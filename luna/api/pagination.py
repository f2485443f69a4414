"""Pagination shared by every list endpoint: ?limit=&offset=, default 50, max 500.

Malformed values are a 400 naming the parameter rather than being silently replaced,
so a client with a paging bug finds out.
"""

from __future__ import annotations

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from luna.api.query import number_error

MAX_OFFSET = 2**31 - 1


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    default_limit = 50
    max_limit = 500

    def _read(self, request, name: str, minimum: int, maximum: int) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        # ASCII digits only (luna.api.query): int() would also take " 7", "7_0" and other scripts' digits.
        value = int(raw) if number_error(raw, whole=True) is None and len(raw) <= 10 else None
        if value is None or not minimum <= value <= maximum:
            raise ValidationError({name: [f"Must be a whole number from {minimum} to {maximum}."]}, code="invalid")
        return value

    def get_limit(self, request) -> int:
        limit = self._read(request, self.limit_query_param, 1, self.max_limit)
        return self.default_limit if limit is None else limit

    def get_offset(self, request) -> int:
        return self._read(request, self.offset_query_param, 0, MAX_OFFSET) or 0

    def get_paginated_response_schema(self, schema: dict) -> dict:
        # The schema's examples show one result (luna.api.schema.operation): a page of one, with no neighbours.
        paginated = super().get_paginated_response_schema(schema)
        properties = paginated["properties"]
        properties["count"]["example"] = 1
        properties["next"]["example"] = properties["previous"]["example"] = None
        return paginated

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": self.max_limit, "default": self.default_limit},
            self.offset_query_param: {"minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters
