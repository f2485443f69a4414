"""Signups racing for one handle: the database decides, and the loser gets the same 400 as anyone else."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from users.models import User
from users.services import HANDLE_TAKEN

# Concurrent requests: `make test-fast` leaves them out.
pytestmark = pytest.mark.slow

ON_POSTGRES = connection.vendor == "postgresql"
RACERS = 6


@pytest.mark.django_db
def test_a_handle_taken_between_the_check_and_the_save_is_a_400_naming_it(api_client, alice, monkeypatch):
    # As if alice signed up after dana's request checked the handle but before it saved.
    monkeypatch.setattr("users.serializers.handle_taken", lambda handle, exclude=None: False)
    body = {"handle": "ALICE", "name": "Another Alice", "password": "a long passphrase"}
    response = api_client.post("/users/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"handle": [HANDLE_TAKEN]}
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_a_handle_change_racing_a_signup_is_a_400_naming_it(client_for, alice, bob, monkeypatch):
    monkeypatch.setattr("users.serializers.handle_taken", lambda handle, exclude=None: False)
    response = client_for(alice).patch(f"/users/{alice.id}/", {"handle": "Bob"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"handle": [HANDLE_TAKEN]}
    alice.refresh_from_db()
    assert alice.handle == "alice"


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: concurrent signups on real connections")
@pytest.mark.django_db(transaction=True)
def test_simultaneous_signups_for_one_handle_in_different_cases_create_one_account():
    handles = ["dana", "DANA", "Dana", "dAna", "daNa", "danA"][:RACERS]
    start = threading.Barrier(RACERS)
    answers: list[tuple[int, dict]] = []

    def sign_up(handle: str) -> None:
        # Each thread has its own database connection, as each server worker would.
        try:
            start.wait(timeout=10)
            response = APIClient().post(
                "/users/", {"handle": handle, "name": "Dana", "password": "a long passphrase"}, format="json"
            )
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(handle,)) for handle in handles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [400] * (RACERS - 1)
    assert all(body == {"handle": [HANDLE_TAKEN]} for status, body in answers if status == 400)
    assert User.objects.filter(handle__iexact="dana").count() == 1
