"""The booking agent as a Celery task, for when CELERY_BROKER_URL is set."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import DatabaseError

from luna.celery import app
from plans.agent import FINAL_ERRORS, booking_reopen, booking_run
from plans.models import Booking
from plans.services import bookings_retry_due

MAX_BACKOFF_SECONDS = 600.0
DATABASE_ERROR_RETRIES = 20


def retry_delay(attempts: int) -> float:
    """Seconds to wait before the next attempt after `attempts` failed ones: doubling, capped."""
    return min(settings.LUNA_BOOKING_RETRY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


@app.task(
    bind=True,
    name="plans.run_booking_agent",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=int(MAX_BACKOFF_SECONDS),
    # For database errors; provider errors are bounded by LUNA_BOOKING_MAX_ATTEMPTS below instead.
    max_retries=DATABASE_ERROR_RETRIES,
)
def run_booking_agent(self, booking_id: str) -> str | None:
    """Run the booking agent; a provider error is retried with exponential backoff up to the attempt limit."""
    if self.request.retries:
        booking_reopen(uuid.UUID(booking_id))
    booking = booking_run(uuid.UUID(booking_id))
    if booking is None:
        return None
    retry_worthwhile = booking.attempts < settings.LUNA_BOOKING_MAX_ATTEMPTS and booking.last_error not in FINAL_ERRORS
    if booking.status == Booking.Status.FAILED and retry_worthwhile:
        # The attempt limit above bounds these retries (read now, not when this module was imported).
        raise self.retry(countdown=retry_delay(booking.attempts), max_retries=None)
    return booking.status


@app.task(name="plans.sweep_bookings")
def sweep_bookings() -> dict:
    """The periodic sweep (Celery beat, `LUNA_BOOKING_SWEEP_SECONDS`): what `manage.py retry_bookings` does.

    It picks up bookings whose dispatch was lost (a broker that was down when the plan
    was confirmed), whose runner died, and failed ones below the attempt limit.
    """
    report = bookings_retry_due(max_attempts=settings.LUNA_BOOKING_MAX_ATTEMPTS)
    return {"retried": len(report.retried), "resumed": len(report.resumed), "released": report.released_claims}
