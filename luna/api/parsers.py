"""JSON parsing that survives hostile bodies."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json.loads recurses once per nesting level; a body of [[[[...]]]] must be a 400, not a 500.
            raise ParseError("JSON parse error - nested too deeply.") from None
