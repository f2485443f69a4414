"""How the booking agent gets run: the one place that decides where it runs."""

from __future__ import annotations

import logging
import threading
import uuid

from django.conf import settings
from django.db import transaction

from plans.agent import booking_run
from plans.models import Booking

logger = logging.getLogger(__name__)

# What the agent left when it ran inline in this thread, by plan id, for the caller that
# committed the change to answer with instead of reading the booking once more.
_inline_outcomes = threading.local()


def booking_dispatch(booking_id: uuid.UUID, *, known: Booking | None = None) -> None:
    """Run the booking agent for this booking: on a Celery worker when a broker is set, else right here.

    A broker that cannot take the task leaves the booking pending; the periodic sweep
    (`retry_bookings`, or the `plans.sweep_bookings` task on Celery beat) picks it up.
    `known`: the booking as its caller just wrote it (with plan, venue and party_size), which
    spares an inline run its first read; a worker always reads for itself.
    """
    if settings.CELERY_BROKER_URL:
        from plans.tasks import run_booking_agent  # only imports Celery when it is used

        try:
            run_booking_agent.delay(str(booking_id))
        except Exception as exc:  # kombu raises several kinds for a broker that is down or refuses
            logger.error("booking %s stays pending: the task queue did not take it (%s)", booking_id, exc)
    else:
        booking = booking_run(booking_id, known=known)
        if booking is not None:
            vars(_inline_outcomes)[booking.plan_id] = booking


def booking_left_by_inline_run(plan_id: uuid.UUID) -> Booking | None:
    """The plan's booking as the agent just left it in this thread (inline mode), once; None otherwise."""
    return vars(_inline_outcomes).pop(plan_id, None)


def booking_dispatch_on_commit(booking_id: uuid.UUID, *, known: Booking | None = None) -> None:
    """Dispatch once the current transaction commits; nothing happens if it rolls back.

    `robust`: whatever goes wrong in the dispatch (the database drops while the agent
    runs, say) is logged and the booking stays pending for the sweep; the request that
    committed the change still succeeds.
    """

    def dispatch_booking_agent() -> None:
        # A named function: Django logs a robust callback's failure by its __qualname__,
        # which a functools.partial lacks (the logging itself then raised, a 500).
        booking_dispatch(booking_id, known=known)

    transaction.on_commit(dispatch_booking_agent, robust=True)
