"""Ranges shared by the model, the API serializers and the CSV importer."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator

HANDLE_PATTERN = r"^[A-Za-z0-9_.-]{3,30}$"
MIN_AGE, MAX_AGE = 13, 120

validate_handle = RegexValidator(
    HANDLE_PATTERN,
    message="Handle must be 3-30 characters: letters, digits, '_', '.' or '-'.",
    code="invalid_handle",
)
age_validators = [MinValueValidator(MIN_AGE), MaxValueValidator(MAX_AGE)]
