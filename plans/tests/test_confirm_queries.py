"""Confirming a plan, with the booking agent running inline after the commit, in a bounded number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plans.models import Booking


@pytest.mark.django_db(transaction=True)
def test_a_confirmation_and_its_booking_take_at_most_ten_queries(client_for, alice, agreed_plan, provider):
    client = client_for(alice)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/plans/{agreed_plan.pk}/confirm/")

    assert response.status_code == 200
    assert response.json()["booking"]["status"] == "booked"
    assert Booking.objects.get().status == Booking.Status.BOOKED
    # The plan for the permission, the plan locked (with "has anyone accepted?"), its update,
    # the booking looked up and created; the agent reads the booking with its plan and party,
    # claims it, records the outcome and reads it once more (was the plan cancelled meanwhile?);
    # the answer reads what the agent left.
    assert len(queries) <= 10, "\n".join(query["sql"] for query in queries.captured_queries)
