"""A new password ends every sign-in made before it; closing an account ends its sessions for good."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from users.models import User
from users.services import WRONG_PASSWORD
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new long passphrase"


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def signed_in(client) -> bool:
    return client.get("/users/me/").status_code == 200


def token_of(api_client, handle: str, password: str = PASSWORD) -> str:
    response = api_client.post("/auth/token/", {"handle": handle, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.mark.parametrize(
    "body, message",
    [
        ({"password": NEW_PASSWORD}, "Give your current password to set a new one."),
        ({"password": NEW_PASSWORD, "current_password": "not it"}, WRONG_PASSWORD),
        ({"password": NEW_PASSWORD, "current_password": ""}, "This field may not be blank."),
    ],
    ids=["missing", "wrong", "empty"],
)
def test_changing_your_own_password_needs_the_current_one(api_client, alice, body, message):
    key = token_of(api_client, "alice")
    response = token_client(key).patch(f"/users/{alice.id}/", body, format="json")
    assert response.status_code == 400
    assert response.json()["current_password"] == [message]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert signed_in(token_client(key))


def test_your_new_password_ends_the_old_token_and_hands_you_a_new_one(api_client, alice):
    old = token_of(api_client, "alice")
    response = token_client(old).patch(
        f"/users/{alice.id}/", {"password": NEW_PASSWORD, "current_password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    new = response.json()["token"]
    assert new != old
    assert not signed_in(token_client(old))
    assert signed_in(token_client(new))
    # Signing in again gives yet another key, never the old one back.
    assert token_of(api_client, "alice", NEW_PASSWORD) not in (old, new)
    assert api_client.post("/auth/token/", {"handle": "alice", "password": PASSWORD}, format="json").status_code == 400


def test_your_new_password_ends_your_other_sessions_but_not_this_one(alice):
    other, this = Client(), Client()
    other.force_login(alice)
    this.force_login(alice)
    response = this.patch(
        f"/users/{alice.id}/",
        {"password": NEW_PASSWORD, "current_password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert signed_in(this)
    assert not signed_in(other)


def test_a_password_reset_by_staff_ends_every_sign_in_of_that_user(api_client, client_for, staff, alice):
    key = token_of(api_client, "alice")
    session = Client()
    session.force_login(alice)

    response = client_for(staff).patch(f"/users/{alice.id}/", {"password": NEW_PASSWORD}, format="json")

    assert response.status_code == 200
    assert "token" not in response.json()  # staff get no token of alice's
    assert not signed_in(token_client(key))
    assert not signed_in(session)


def test_a_password_set_in_the_admin_ends_the_users_tokens(api_client, alice):
    key = token_of(api_client, "alice")
    root = UserFactory(handle="root", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(root)
    response = admin.post(
        f"/admin/users/user/{alice.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert not signed_in(token_client(key))


def test_closing_an_account_ends_its_sessions_so_reopening_it_does_not_revive_them(client_for, staff, alice):
    session = Client()
    session.force_login(alice)
    assert client_for(staff).delete(f"/users/{alice.id}/").status_code == 204
    assert client_for(staff).patch(f"/users/{alice.id}/", {"is_active": True}, format="json").status_code == 200
    assert User.objects.get(pk=alice.pk).is_active
    assert not signed_in(session)


def test_closing_an_account_in_the_admin_ends_its_sessions(alice):
    session = Client()
    session.force_login(alice)
    root = UserFactory(handle="root", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(root)
    # The change form with "active" unticked (an unticked checkbox is simply not sent).
    data = {"handle": alice.handle, "name": alice.name, "age": alice.age}
    data |= {"home_lat": alice.home_lat, "home_lng": alice.home_lng}
    response = admin.post(f"/admin/users/user/{alice.pk}/change/", data)
    assert response.status_code == 302
    assert not User.objects.get(pk=alice.pk).is_active
    User.objects.filter(pk=alice.pk).update(is_active=True)
    assert not signed_in(session)
