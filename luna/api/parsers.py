"""JSON parsing that survives hostile bodies: strict JSON whose strings can be stored."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError


def _has_unencodable_text(data) -> bool:
    # Iterative, so a deeply nested body cannot exhaust the stack here either.
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (NaN and Infinity already refused) that also refuses lone UTF-16 surrogates
    and bodies nested too deeply.

    `"\\ud800"` is valid JSON but cannot be encoded for the database, so it is a 400 here
    instead of a 500 when the row is saved.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json.loads recurses once per nesting level; a body of [[[[...]]]] must be a 400, not a 500.
            raise ParseError("JSON parse error - nested too deeply.") from None
        if _has_unencodable_text(data):
            raise ParseError("JSON parse error - strings must be valid Unicode text (no lone surrogates).")
        return data
