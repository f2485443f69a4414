"""Booking providers: the outside systems that reserve a table at a venue.

A provider is a class with a `name`, `book(...)` returning the provider's
reference for the reservation, and `cancel(...)`. `LUNA_BOOKING_PROVIDER`
names the class that makes new bookings, by its dotted path. Every booking
stores the name of the provider that made it, and is cancelled through that
one: PROVIDERS maps each name to its class (a class that sets its own `name`
is entered when its module is imported), so a provider added here, or in a
module imported here, keeps cancelling its bookings after the setting moves on.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

# Provider name (as stored in Booking.provider) -> its class; filled by BookingProvider's subclasses.
PROVIDERS: dict[str, type[BookingProvider]] = {}


class ProviderError(Exception):
    """The provider refused or failed; the message is stored on the booking."""


class UnknownProvider(Exception):
    """A booking names a provider that no class in this process is registered as."""


class BookingProvider:
    name: str = ""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")  # a subclass that keeps its parent's name is not a provider of its own
        if not name:
            return
        known = PROVIDERS.get(name)
        # The same class defined again (a module imported twice) is not a clash.
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise ImproperlyConfigured(
                f"Two booking providers are named {name!r}: {known.__qualname__} and {cls.__qualname__}."
            )
        PROVIDERS[name] = cls

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
    """An instance of the provider named by `LUNA_BOOKING_PROVIDER`: the one that makes new bookings."""
    return import_string(settings.LUNA_BOOKING_PROVIDER)()


def provider_named(name: str) -> BookingProvider:
    """An instance of the provider a booking was made with, by the name it stored.

    A booking stored without a name (made before bookings recorded theirs) is the configured
    provider's. Raises UnknownProvider when no provider class has that name.
    """
    if not name:
        return get_provider()
    if name not in PROVIDERS:
        try:
            import_string(settings.LUNA_BOOKING_PROVIDER)  # its module may not be imported yet; importing registers it
        except ImportError:
            pass
    try:
        return PROVIDERS[name]()
    except KeyError:
        raise UnknownProvider(
            f"the booking was made with provider {name!r}, which is not registered here "
            f"(known: {', '.join(sorted(PROVIDERS)) or 'none'})"
        ) from None
