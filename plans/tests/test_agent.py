"""The booking agent against providers that fail, hang, or get cancelled on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from plans.agent import booking_run, unbookable_error
from plans.models import STARTED, WITHOUT_VENUE, Booking, Plan, PlanParticipant
from plans.providers import PROVIDERS, BookingProvider
from plans.tests.factories import BookingFactory, PlanParticipantFactory
from users.tests.factories import UserFactory


def confirm(client, plan) -> dict:
    response = client.post(f"/plans/{plan.pk}/confirm/")
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.mark.django_db(transaction=True)
def test_a_failing_provider_leaves_the_plan_confirmed_and_the_booking_failed(
    client_for, alice, agreed_plan, use_provider
):
    record = use_provider("FailingProvider")

    body = confirm(client_for(alice), agreed_plan)

    assert body["status"] == "confirmed"
    assert body["booking"]["status"] == "failed"
    assert body["booking"]["last_error"] == "ProviderError: No tables left at that time."
    assert body["booking"]["attempts"] == 1
    assert record.book_calls == 1
    booking = Booking.objects.get(pk=body["booking_id"])
    assert (booking.status, booking.claimed_at, booking.external_ref) == (Booking.Status.FAILED, None, "")
    assert Plan.objects.get(pk=agreed_plan.pk).status == Plan.Status.CONFIRMED


@pytest.mark.django_db(transaction=True)
def test_staff_retry_books_a_failed_booking_once_the_provider_works(
    client_for, alice, staff, agreed_plan, use_provider
):
    use_provider("FailingProvider")
    booking_id = confirm(client_for(alice), agreed_plan)["booking_id"]
    again = client_for(staff).post(f"/bookings/{booking_id}/retry/")
    assert again.json()["status"] == "failed"
    assert again.json()["attempts"] == 2

    record = use_provider("RecordingProvider")
    retried = client_for(staff).post(f"/bookings/{booking_id}/retry")

    assert retried.status_code == 200
    assert retried.json()["status"] == "booked"
    assert retried.json()["attempts"] == 3
    assert retried.json()["external_ref"] == "rec-1"
    assert retried.json()["last_error"] == ""
    assert record.booked == [Booking.objects.get().pk]


@pytest.mark.django_db(transaction=True)
def test_a_hanging_provider_times_out_into_a_failed_booking(client_for, alice, agreed_plan, use_provider, settings):
    use_provider("HangingProvider")
    settings.LUNA_BOOKING_TIMEOUT_SECONDS = 0.2

    body = confirm(client_for(alice), agreed_plan)

    assert body["status"] == "confirmed"
    assert body["booking"]["status"] == "failed"
    assert body["booking"]["last_error"] == "Timed out: the provider did not answer within 0.2 s"
    assert Booking.objects.get().claimed_at is None


@pytest.mark.django_db
def test_a_provider_answering_without_a_reference_fails_the_booking(confirmed_plan, use_provider):
    use_provider("JunkProvider")
    booking = BookingFactory(plan=confirmed_plan)

    booking = booking_run(booking.pk)

    assert booking.status == Booking.Status.FAILED
    assert booking.last_error == "ValueError: the provider returned an unusable reference: None"


@pytest.mark.django_db
def test_a_misconfigured_provider_fails_the_booking_instead_of_the_request(confirmed_plan, settings):
    settings.LUNA_BOOKING_PROVIDER = "plans.providers.NoSuchProvider"
    booking = BookingFactory(plan=confirmed_plan)

    booking = booking_run(booking.pk)

    assert booking.status == Booking.Status.FAILED
    assert "NoSuchProvider" in booking.last_error


@pytest.mark.django_db
def test_a_claimed_booking_is_left_to_its_runner(confirmed_plan, provider):
    claimed_at = timezone.now()
    booking = BookingFactory(plan=confirmed_plan, claimed_at=claimed_at)

    booking = booking_run(booking.pk)

    assert (booking.status, booking.attempts, booking.claimed_at) == (Booking.Status.PENDING, 0, claimed_at)
    assert provider.book_calls == 0


@pytest.mark.django_db
def test_a_booked_booking_is_not_booked_again(confirmed_plan, provider):
    booking = BookingFactory(plan=confirmed_plan, status=Booking.Status.BOOKED, external_ref="rec-0", attempts=1)

    booking = booking_run(booking.pk)

    assert (booking.status, booking.external_ref, booking.attempts) == (Booking.Status.BOOKED, "rec-0", 1)
    assert provider.book_calls == 0


@pytest.mark.django_db
def test_the_booking_of_a_plan_cancelled_before_the_agent_ran_is_cancelled_without_the_provider(agreed_plan, provider):
    Plan.objects.filter(pk=agreed_plan.pk).update(status=Plan.Status.CANCELLED)
    booking = BookingFactory(plan=agreed_plan)

    booking = booking_run(booking.pk)

    assert booking.status == Booking.Status.CANCELLED
    assert provider.book_calls == 0
    assert provider.cancelled == []


@pytest.mark.django_db(transaction=True)
def test_a_failed_cancellation_keeps_the_booking_booked_with_the_error(client_for, alice, agreed_plan, use_provider):
    use_provider("CancelRefusingProvider")
    booking_id = confirm(client_for(alice), agreed_plan)["booking_id"]

    response = client_for(alice).post(f"/plans/{agreed_plan.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    booking = Booking.objects.get(pk=booking_id)
    assert booking.status == Booking.Status.BOOKED  # still held at the provider
    assert booking.last_error == "Cancelling failed: ProviderError: The cancellation line is busy."
    assert booking.claimed_at is None


@pytest.mark.django_db(transaction=True)
def test_a_booking_is_cancelled_through_the_provider_that_made_it_not_the_one_configured_now(
    client_for, alice, agreed_plan, use_provider
):
    record = use_provider("RecordingProvider")
    booking_id = confirm(client_for(alice), agreed_plan)["booking_id"]
    reference = Booking.objects.get(pk=booking_id).external_ref
    use_provider("FailingProvider")  # new bookings go elsewhere now; its cancellations would fail

    client_for(alice).post(f"/plans/{agreed_plan.pk}/cancel/")

    booking = Booking.objects.get(pk=booking_id)
    assert (booking.status, booking.provider, booking.last_error) == (Booking.Status.CANCELLED, "recording", "")
    assert record.cancelled == [reference]


@pytest.mark.django_db
def test_a_booking_made_by_a_provider_no_longer_known_stays_booked_with_a_logged_error(booked_plan, provider, caplog):
    booking = Booking.objects.get(plan=booked_plan)
    Booking.objects.filter(pk=booking.pk).update(provider="acme")
    Plan.objects.filter(pk=booked_plan.pk).update(status=Plan.Status.CANCELLED)

    with caplog.at_level("ERROR", logger="plans.agent"):
        booking = booking_run(booking.pk)

    assert (booking.status, booking.claimed_at) == (Booking.Status.BOOKED, None)
    assert booking.last_error.startswith(
        "Cancelling failed: UnknownProvider: the booking was made with provider 'acme'"
    )
    assert "not registered here" in caplog.text and str(booking.pk) in caplog.text
    assert provider.cancelled == []
    assert booking_run(booking.pk).last_error == booking.last_error  # a later run says the same, and does not raise


@pytest.mark.django_db
def test_a_booking_whose_plan_has_started_fails_without_asking_the_provider(confirmed_plan, provider):
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Plan.objects.filter(pk=confirmed_plan.pk).update(start_time=an_hour_ago)
    booking = BookingFactory(plan=confirmed_plan)  # its dispatch was lost and is only now resumed

    booking = booking_run(booking.pk)

    assert (booking.status, booking.external_ref, booking.claimed_at) == (Booking.Status.FAILED, "", None)
    assert booking.last_error == unbookable_error(STARTED)
    assert provider.book_calls == 0


@pytest.mark.django_db(transaction=True)
def test_the_party_size_counts_the_accepted_people_whose_accounts_are_open(client_for, alice, agreed_plan, provider):
    gone = UserFactory(handle="gone", is_active=False)
    PlanParticipantFactory(plan=agreed_plan, user=gone, status=PlanParticipant.Status.ACCEPTED)
    PlanParticipantFactory(plan=agreed_plan, status=PlanParticipant.Status.INVITED)

    body = confirm(client_for(alice), agreed_plan)

    assert body["booking"]["status"] == "booked"
    assert provider.party_sizes == [2]  # alice and bob


@pytest.mark.django_db
def test_a_booking_whose_venue_was_removed_fails_without_asking_the_provider(confirmed_plan, provider):
    booking = BookingFactory(plan=confirmed_plan)
    # Deleting the venue is refused while the plan holds this booking; the agent still checks.
    Plan.objects.filter(pk=confirmed_plan.pk).update(venue=None)

    booking = booking_run(booking.pk)

    assert (booking.status, booking.external_ref, booking.claimed_at) == (Booking.Status.FAILED, "", None)
    assert booking.last_error == unbookable_error(WITHOUT_VENUE)
    assert provider.book_calls == 0


def test_two_providers_of_one_name_stop_at_import_rather_than_cancel_through_the_wrong_one():
    class Acme(BookingProvider):
        name = "acme-twice"

    try:
        with pytest.raises(ImproperlyConfigured, match="Two booking providers are named 'acme-twice'"):

            class OtherAcme(BookingProvider):
                name = "acme-twice"

        assert PROVIDERS["acme-twice"] is Acme
    finally:
        PROVIDERS.pop("acme-twice", None)
