"""How the booking agent gets run: the one place that decides where it runs."""

from __future__ import annotations

import uuid
from functools import partial

from django.conf import settings
from django.db import transaction

from plans.agent import booking_run


def booking_dispatch(booking_id: uuid.UUID) -> None:
    """Run the booking agent for this booking: on a Celery worker when a broker is set, else right here."""
    if settings.CELERY_BROKER_URL:
        from plans.tasks import run_booking_agent  # only imports Celery when it is used

        run_booking_agent.delay(str(booking_id))
    else:
        booking_run(booking_id)


def booking_dispatch_on_commit(booking_id: uuid.UUID) -> None:
    """Dispatch once the current transaction commits; nothing happens if it rolls back.

    `robust`: an agent that breaks (say the database drops) is logged and the
    booking stays pending for `retry_bookings`; the request that committed the
    change still succeeds.
    """
    transaction.on_commit(partial(booking_dispatch, booking_id), robust=True)
