"""The one rule every query parameter follows, whichever piece reads it (filters, paging, the
query serializers): a parameter given empty is malformed, not absent, and a number is written
in ASCII digits only (a minus sign and, where a fraction makes sense, a decimal point and an
exponent as JSON writes them): no
spaces, no other scripts' digits (`２`), no `5.0` for a whole number.

Python's int() and float() and Django's form fields are kinder than that; a client sending
such a value has a bug, so it gets a 400 naming the parameter instead of a guess.
"""

from __future__ import annotations

import re

BLANK = "Give a value or leave the parameter out."
NOT_WHOLE = "Write a whole number in ASCII digits, e.g. 5."
NOT_NUMBER = "Write a number in ASCII digits, e.g. 2.5."

_WHOLE = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")  # as JSON writes one


def is_blank(raw: str) -> bool:
    return not raw.strip()


def number_error(raw: str, *, whole: bool) -> str | None:
    """What is wrong with `raw` as a number (a whole one when `whole`), None when nothing is."""
    if is_blank(raw):
        return BLANK
    if whole:
        return None if _WHOLE.fullmatch(raw) else NOT_WHOLE
    return None if _NUMBER.fullmatch(raw) else NOT_NUMBER
