"""Two requests creating the same edge at once: one edge is stored, the other caller gets a clean 400."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from social.models import SocialEdge
from users.services import auth_token_create
from users.tests.factories import UserFactory

# Concurrent requests: `make test-fast` leaves them out.
pytestmark = pytest.mark.slow

ON_POSTGRES = connection.vendor == "postgresql"
RACERS = 6


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: concurrent requests on real connections")
@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_for_one_edge_store_it_once():
    alice, bob = UserFactory(handle="alice"), UserFactory(handle="bob")
    token = auth_token_create(user=alice)
    start = threading.Barrier(RACERS)
    answers: list[tuple[int, dict]] = []

    def create_edge() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        # Each thread has its own database connection, as each server worker would.
        try:
            start.wait(timeout=10)
            response = client.post("/social/edges/", {"other_user_id": str(bob.id)}, format="json")
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=create_edge) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(status for status, _ in answers) == [201] + [400] * (RACERS - 1)
    assert all("other_user_id" in body for status, body in answers if status == 400)
    assert SocialEdge.objects.filter(user=alice, other_user=bob).count() == 1
