"""Filters of the admin's Data page (world.admin_data)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def thousands(value: object) -> str:
    """1234567 -> 1,234,567, as `seed` and `import_data` print counts."""
    return f"{value:,}" if isinstance(value, int) else str(value)
