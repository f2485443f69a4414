"""Providers for tests: they record their calls, fail, or hang."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime

from plans.providers import BookingProvider, ProviderError


class Record:
    """What the test providers were asked to do, shared by every thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.booked: list[uuid.UUID] = []
        self.refused: list[uuid.UUID] = []
        self.cancelled: list[str] = []
        self.party_sizes: list[int] = []
        self.release = threading.Event()

    @property
    def book_calls(self) -> int:
        return len(self.booked) + len(self.refused)


RECORD = Record()


class RecordingProvider(BookingProvider):
    name = "recording"

    def book(self, *, booking_id: uuid.UUID, venue_name: str, start_time: datetime, party_size: int) -> str:
        with RECORD.lock:
            RECORD.booked.append(booking_id)
            RECORD.party_sizes.append(party_size)
            return f"rec-{len(RECORD.booked)}"

    def cancel(self, *, external_ref: str) -> None:
        with RECORD.lock:
            RECORD.cancelled.append(external_ref)


class SlowProvider(RecordingProvider):
    """Takes a moment to answer, so that runners started together overlap."""

    def book(self, **kwargs) -> str:
        RECORD.release.wait(0.3)
        return super().book(**kwargs)


class FailingProvider(BookingProvider):
    name = "failing"

    def book(self, *, booking_id: uuid.UUID, venue_name: str, start_time: datetime, party_size: int) -> str:
        with RECORD.lock:
            RECORD.refused.append(booking_id)
        raise ProviderError("No tables left at that time.")

    def cancel(self, *, external_ref: str) -> None:
        raise ProviderError("The cancellation line is busy.")


class CancelRefusingProvider(RecordingProvider):
    """Books, then refuses to cancel."""

    name = "cancel-refusing"

    def cancel(self, *, external_ref: str) -> None:
        raise ProviderError("The cancellation line is busy.")


class HangingProvider(BookingProvider):
    """Never answers while the test runs (it gives up once the test releases it)."""

    name = "hanging"

    def book(self, *, booking_id: uuid.UUID, venue_name: str, start_time: datetime, party_size: int) -> str:
        RECORD.release.wait(30)
        return "too-late"

    def cancel(self, *, external_ref: str) -> None:
        RECORD.release.wait(30)


class JunkProvider(BookingProvider):
    name = "junk"

    def book(self, *, booking_id: uuid.UUID, venue_name: str, start_time: datetime, party_size: int) -> str:
        return None  # type: ignore[return-value]


class FlakyProvider(RecordingProvider):
    """Refuses the first request for each booking (per process), then books it."""

    refused_once: set[uuid.UUID] = set()

    def book(self, *, booking_id: uuid.UUID, **kwargs) -> str:
        if booking_id not in FlakyProvider.refused_once:
            FlakyProvider.refused_once.add(booking_id)
            with RECORD.lock:
                RECORD.refused.append(booking_id)
            raise ProviderError("Try again in a moment.")
        return super().book(booking_id=booking_id, **kwargs)
