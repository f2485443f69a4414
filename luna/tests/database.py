"""Helpers for tests that check what the database itself refuses."""

from __future__ import annotations

from django.db import IntegrityError, transaction


def refused(make) -> bool:
    """Whether the database refuses what `make()` writes (in a savepoint, so the test goes on)."""
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False
