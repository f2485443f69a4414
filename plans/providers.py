"""Booking providers: the outside systems that reserve a table at a venue.

A provider is a class with a `name`, `book(...)` returning the provider's
reference for the reservation, and `cancel(...)`. `LUNA_BOOKING_PROVIDER`
names the class by its dotted path.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.utils.module_loading import import_string


class ProviderError(Exception):
    """The provider refused or failed; the message is stored on the booking."""


class BookingProvider:
    name: str = ""

    def book(self, *, booking_id: uuid.UUID, venue_name: str, start_time: datetime, party_size: int) -> str:
        """Reserve the venue and return the provider's reference.

        `booking_id` is stable across retries of the same booking; a real
        provider should use it as an idempotency key, because a call that timed
        out on our side may still have succeeded on theirs.
        """
        raise NotImplementedError

    def cancel(self, *, external_ref: str) -> None:
        raise NotImplementedError


class MockProvider(BookingProvider):
    """Accepts every booking at once; the default, so Luna runs with no outside service."""

    name = "mock"

    def book(self, *, booking_id: uuid.UUID, venue_name: str, start_time: datetime, party_size: int) -> str:
        return f"mock-{uuid.uuid4()}"

    def cancel(self, *, external_ref: str) -> None:
        return None


def get_provider() -> BookingProvider:
    """An instance of the provider named by `LUNA_BOOKING_PROVIDER`."""
    return import_string(settings.LUNA_BOOKING_PROVIDER)()
