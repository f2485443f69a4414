"""The booking agent: brings one booking in line with its plan.

A confirmed plan's pending booking is booked with the provider; a cancelled
plan's booking is cancelled (through the provider when it was booked). Every
run first claims the booking with a conditional update, so however many
runners start for the same booking (retries, a second worker, the retry
command), only one of them calls the provider at a time.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db.models import Count, F, OuterRef, Subquery
from django.utils import timezone

from luna.metrics import BOOKINGS
from plans.models import STARTED, WITHOUT_VENUE, Booking, BookingBlocker, Plan, PlanParticipant
from plans.providers import UnknownProvider, get_provider, provider_named

logger = logging.getLogger(__name__)

T = TypeVar("T")

# A run that books and then finds the plan cancelled meanwhile goes round once more to cancel.
MAX_PASSES = 3
ERROR_MAX_LENGTH = 2000


def unbookable_error(blocker: BookingBlocker) -> str:
    return f"{blocker.reason}; nothing was booked."


# Failures that no retry can fix.
FINAL_ERRORS = tuple(unbookable_error(blocker) for blocker in (STARTED, WITHOUT_VENUE))


class ProviderTimeout(Exception):
    pass


def booking_run(booking_id: uuid.UUID, *, known: Booking | None = None) -> Booking | None:
    """Do whatever the booking needs now; safe to call any number of times, from anywhere.

    `known` is the booking as its caller just committed it (plan, venue and `party_size`
    loaded): the first pass starts from it instead of reading; its claim still checks the
    row. Returns the booking as the last pass read it (None once it is gone).
    """
    booking = None
    for _ in range(MAX_PASSES):
        worked, booking = _run_once(booking_id, known)
        known = None
        if not worked:
            break
    else:
        booking = _read(booking_id)
    return booking


def booking_reopen(booking_id: uuid.UUID) -> bool:
    """Put a failed booking back in line for the next run; False if it has moved on meanwhile."""
    reopened = Booking.objects.filter(pk=booking_id, status=Booking.Status.FAILED, claimed_at__isnull=True).update(
        status=Booking.Status.PENDING, updated_at=timezone.now()
    )
    return reopened == 1


def stale_claim_age() -> timedelta:
    """How long a claim may be held before its runner is presumed dead.

    A live runner holds its claim for one provider call, bounded by the timeout.
    """
    return timedelta(seconds=2 * settings.LUNA_BOOKING_TIMEOUT_SECONDS)


def release_stale_claims() -> list[uuid.UUID]:
    """Free bookings whose runner died while holding them; returns their ids."""
    stale = Booking.objects.filter(claimed_at__lt=timezone.now() - stale_claim_age())
    booking_ids = list(stale.values_list("pk", flat=True))
    stale.filter(pk__in=booking_ids).update(claimed_at=None, updated_at=timezone.now())
    return booking_ids


def _read(booking_id: uuid.UUID) -> Booking | None:
    """The booking with its plan and venue, and the plan's party (active accepted participants), in one query."""
    party = (
        PlanParticipant.objects.filter(plan=OuterRef("plan"), status=PlanParticipant.Status.ACCEPTED)
        .filter(user__is_active=True)
        .order_by()
        .values("plan")
        .annotate(size=Count("*"))
        .values("size")
    )
    return (
        Booking.objects.select_related("plan__venue").annotate(party_size=Subquery(party)).filter(pk=booking_id).first()
    )


def _run_once(booking_id: uuid.UUID, known: Booking | None = None) -> tuple[bool, Booking | None]:
    """One pass: (whether it did any work, the booking as read before it)."""
    booking = known if known is not None else _read(booking_id)
    if booking is None or booking.claimed_at is not None:
        return False, booking
    plan_status = booking.plan.status
    if plan_status == Plan.Status.CONFIRMED and booking.status == Booking.Status.PENDING:
        work = _book
    elif plan_status == Plan.Status.CANCELLED and booking.status != Booking.Status.CANCELLED:
        work = _cancel
    else:
        return False, booking

    claim = timezone.now()
    changes: dict = {"claimed_at": claim}
    if work is _book:
        changes["attempts"] = F("attempts") + 1
    # Another runner may have claimed this booking, or moved it on, since we read
    # it, so the update can match zero rows; then that runner owns the work.
    claimed = Booking.objects.filter(pk=booking.pk, status=booking.status, claimed_at__isnull=True).update(**changes)
    if claimed != 1:
        return False, booking

    outcome: dict = {}
    try:
        outcome = work(booking)
    finally:
        # Always release the claim. If it went stale and another runner took the
        # booking over, this matches nothing and the newer runner's result stands.
        Booking.objects.filter(pk=booking.pk, claimed_at=claim).update(
            claimed_at=None, updated_at=timezone.now(), **outcome
        )
        BOOKINGS.labels(outcome=outcome.get("status", "error")).inc()
    return True, booking


def _book(booking: Booking) -> dict:
    plan = booking.plan
    # A retry (the command, a worker's backoff, staff) can come after the plan has started
    # or its venue was removed: then there is nothing to book, so the provider is not asked.
    blocker = plan.booking_blocker()
    if blocker is not None:
        return {"status": Booking.Status.FAILED, "last_error": unbookable_error(blocker)}
    party_size = booking.party_size or 0
    provider_name = ""
    try:
        provider = get_provider()
        provider_name = provider.name
        reference = _call_with_timeout(
            lambda: provider.book(
                booking_id=booking.pk,
                venue_name=plan.venue.name,
                start_time=plan.start_time,
                party_size=max(party_size, 1),
            )
        )
        if not isinstance(reference, str) or not reference.strip() or len(reference) > 200:
            raise ValueError(f"the provider returned an unusable reference: {reference!r:.100}")
    except Exception as exc:  # any provider failure ends as a failed booking, never an error for the caller
        logger.warning("booking %s failed: %s", booking.pk, _describe(exc))
        return {"status": Booking.Status.FAILED, "provider": provider_name, "last_error": _describe(exc)}
    return {"status": Booking.Status.BOOKED, "provider": provider_name, "external_ref": reference, "last_error": ""}


def _cancel(booking: Booking) -> dict:
    if booking.status != Booking.Status.BOOKED:
        return {"status": Booking.Status.CANCELLED}
    try:
        # Through the provider that made the booking, whichever one makes new bookings now.
        provider = provider_named(booking.provider)
    except UnknownProvider as exc:
        # No retry can fix this until that provider is registered again: said once per attempt, loudly.
        logger.error("cancelling booking %s failed: %s", booking.pk, exc)
        return {"last_error": f"Cancelling failed: {_describe(exc)}"}
    try:
        _call_with_timeout(lambda: provider.cancel(external_ref=booking.external_ref))
    except Exception as exc:
        # Still booked at the provider; the retry command tries the cancellation again.
        logger.warning("cancelling booking %s failed: %s", booking.pk, _describe(exc))
        return {"last_error": f"Cancelling failed: {_describe(exc)}"}
    return {"status": Booking.Status.CANCELLED, "last_error": ""}


def _call_with_timeout(call: Callable[[], T]) -> T:
    """Run a provider call in its own thread and stop waiting after the timeout.

    A thread cannot be killed: a provider that hangs keeps its (daemon) thread
    until it returns, but the caller moves on and records the timeout.
    """
    timeout = settings.LUNA_BOOKING_TIMEOUT_SECONDS
    result: dict = {}
    done = threading.Event()

    def target() -> None:
        try:
            result["value"] = call()
        except BaseException as exc:
            result["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="booking-provider", daemon=True).start()
    if not done.wait(timeout):
        raise ProviderTimeout(f"the provider did not answer within {timeout:g} s")
    if "error" in result:
        raise result["error"]
    return result["value"]


def _describe(exc: Exception) -> str:
    label = "Timed out" if isinstance(exc, ProviderTimeout) else type(exc).__name__
    return f"{label}: {exc}"[:ERROR_MAX_LENGTH]
