"""The one request parser: strict JSON whose strings can be stored."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError


def _has_unencodable_text(value) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_unencodable_text(key) or _has_unencodable_text(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_unencodable_text(item) for item in value)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (NaN and Infinity already refused) that also refuses lone UTF-16 surrogates.

    `"\\ud800"` is valid JSON but cannot be encoded for the database, so it is a 400 here
    instead of a 500 when the row is saved.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if _has_unencodable_text(data):
            raise ParseError("JSON parse error - strings must be valid Unicode text (no lone surrogates).")
        return data
