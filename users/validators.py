"""Ranges shared by the model, the API serializers and the CSV importer."""

from __future__ import annotations

import unicodedata

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator

HANDLE_PATTERN = r"^[A-Za-z0-9_.-]{3,30}$"
MIN_AGE, MAX_AGE = 13, 120

validate_handle = RegexValidator(
    HANDLE_PATTERN,
    message="Handle must be 3-30 characters: letters, digits, '_', '.' or '-'.",
    code="invalid_handle",
)
age_validators = [MinValueValidator(MIN_AGE), MaxValueValidator(MAX_AGE)]


def normalize_handle(handle: str) -> str:
    """The one spelling of a handle: what is stored, looked up and counted by the sign-in limits.

    NFKC folds compatibility forms (fullwidth "Ａ", the Kelvin sign) into the letters they stand
    for, and casefold makes case irrelevant the way Python and Unicode define it, not the way a
    database's UPPER or LOWER happens to (PostgreSQL's UPPER turns the dotless "ı" into "I").
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", handle).casefold())
