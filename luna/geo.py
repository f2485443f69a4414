"""Valid coordinates, as Django validators every app's models share (the geometry is ranking.geometry)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator

latitude_validators = [MinValueValidator(-90.0), MaxValueValidator(90.0)]
longitude_validators = [MinValueValidator(-180.0), MaxValueValidator(180.0)]
