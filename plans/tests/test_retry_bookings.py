"""`manage.py retry_bookings`: catching up on bookings that need the agent."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from plans.models import Booking
from plans.tests.factories import BookingFactory, PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def retry_bookings(django_capture_on_commit_callbacks):
    def run(*args: str) -> str:
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("retry_bookings", *args, stdout=out)
        return out.getvalue()

    return run


def confirmed_booking(**booking) -> Booking:
    """A booking of a plan of its own, confirmed."""
    return BookingFactory(plan=PlanFactory(confirmed=True), **booking)


@pytest.mark.django_db(transaction=True)
def test_it_retries_failed_bookings_and_counts_the_attempts(use_provider, settings, retry_bookings):
    settings.LUNA_BOOKING_MAX_ATTEMPTS = 5
    use_provider("FailingProvider")
    booking = confirmed_booking(status=Booking.Status.FAILED, attempts=1, last_error="ProviderError: busy")

    output = retry_bookings()
    booking.refresh_from_db()
    assert (booking.status, booking.attempts) == (Booking.Status.FAILED, 2)
    assert "Retried 1 failed booking(s), 0 now booked" in output

    record = use_provider("RecordingProvider")
    output = retry_bookings()
    booking.refresh_from_db()
    assert (booking.status, booking.attempts, booking.external_ref, booking.last_error) == (
        Booking.Status.BOOKED,
        3,
        "rec-1",
        "",
    )
    assert record.booked == [booking.pk]
    assert "Retried 1 failed booking(s), 1 now booked" in output


def test_it_leaves_bookings_that_reached_the_attempt_limit(provider, settings, retry_bookings):
    settings.LUNA_BOOKING_MAX_ATTEMPTS = 3
    worn_out = confirmed_booking(status=Booking.Status.FAILED, attempts=3)
    fresh = confirmed_booking(status=Booking.Status.FAILED, attempts=2)

    output = retry_bookings()

    worn_out.refresh_from_db()
    fresh.refresh_from_db()
    assert worn_out.status == Booking.Status.FAILED
    assert fresh.status == Booking.Status.BOOKED
    assert provider.booked == [fresh.pk]
    assert "1 left at the limit of 3 attempts" in output


def test_the_limit_can_be_given_on_the_command_line(provider, settings, retry_bookings):
    settings.LUNA_BOOKING_MAX_ATTEMPTS = 3
    booking = confirmed_booking(status=Booking.Status.FAILED, attempts=3)

    retry_bookings("--max-attempts", "4")

    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_it_refuses_a_limit_below_one(provider, retry_bookings):
    with pytest.raises(CommandError, match="at least 1"):
        retry_bookings("--max-attempts", "0")


def test_it_recovers_a_booking_whose_runner_died_holding_the_claim(provider, settings, retry_bookings):
    settings.LUNA_BOOKING_TIMEOUT_SECONDS = 10
    long_ago = timezone.now() - timedelta(minutes=5)
    orphan = confirmed_booking(claimed_at=long_ago, attempts=1)
    Booking.objects.filter(pk=orphan.pk).update(updated_at=long_ago)
    running = confirmed_booking(claimed_at=timezone.now(), attempts=1)

    output = retry_bookings()

    orphan.refresh_from_db()
    running.refresh_from_db()
    assert (orphan.status, orphan.attempts, orphan.claimed_at) == (Booking.Status.BOOKED, 2, None)
    assert running.status == Booking.Status.PENDING  # its runner may still be at work
    assert running.claimed_at is not None
    assert provider.booked == [orphan.pk]
    assert "Released 1 stale claim(s)." in output


def test_it_leaves_a_just_confirmed_booking_to_its_own_dispatch(provider, retry_bookings):
    booking = confirmed_booking()

    retry_bookings()

    booking.refresh_from_db()
    assert booking.status == Booking.Status.PENDING
    assert provider.book_calls == 0


def test_it_finishes_a_cancellation_the_provider_did_not_take(provider, retry_bookings):
    booking = BookingFactory(
        plan=PlanFactory(cancelled=True),
        status=Booking.Status.BOOKED,
        provider="recording",
        external_ref="rec-7",
        last_error="Cancelling failed: ProviderError: busy",
    )

    retry_bookings()

    booking.refresh_from_db()
    assert (booking.status, booking.last_error) == (Booking.Status.CANCELLED, "")
    assert provider.cancelled == ["rec-7"]


def test_with_nothing_to_do_it_says_so_and_changes_nothing(provider, retry_bookings):
    booked = confirmed_booking(status=Booking.Status.BOOKED, external_ref="rec-0")
    updated_at = booked.updated_at

    output = retry_bookings()

    booked.refresh_from_db()
    assert booked.updated_at == updated_at
    assert "Retried 0 failed booking(s), 0 now booked; resumed 0" in output
    assert provider.book_calls == 0


def test_it_leaves_failed_bookings_of_plans_that_have_started(provider, retry_bookings):
    started = BookingFactory(
        plan=PlanFactory(confirmed=True, start_time=timezone.now() - timedelta(hours=1)),
        status=Booking.Status.FAILED,
        attempts=1,
    )

    output = retry_bookings()

    started.refresh_from_db()
    assert (started.status, started.attempts) == (Booking.Status.FAILED, 1)
    assert provider.book_calls == 0
    assert "Retried 0 failed booking(s)" in output
