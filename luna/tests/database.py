"""Helpers for tests that check what the database itself refuses."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction


def refused(make) -> bool:
    """Whether the database refuses what `make()` writes (in a savepoint, so the test goes on)."""
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


def parallel_postgres(reason: str) -> list:
    """The marks of a test across real parallel connections: PostgreSQL only (`reason` says why SQLite
    cannot), in committed transactions that the other connections see."""
    return [
        pytest.mark.skipif(connection.vendor != "postgresql", reason=reason),
        pytest.mark.django_db(transaction=True),
    ]
