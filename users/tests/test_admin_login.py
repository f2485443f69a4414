"""The admin's login goes through the limits of `POST /auth/token/`: per address, per handle, shared."""

from __future__ import annotations

import pytest
from django.test import Client

from luna.tests.caches import cache_down, with_rates
from users.models import User
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def admin_login(client: Client, handle: str, password: str, **headers):
    return client.post("/admin/login/", {"username": handle, "password": password, "next": "/admin/"}, **headers)


@pytest.fixture
def sam(db):
    return UserFactory(handle="sam", name="Sam Staff", is_staff=True)


def test_wrong_admin_passwords_lock_the_handle_and_the_right_one_is_then_refused(sam, settings):
    settings.LUNA_SIGNIN_FAILURES_PER_HANDLE = 10
    with_rates(settings, token="1000/minute")
    mallory = Client()
    guesses = [admin_login(mallory, "sam", f"guess {n}").status_code for n in range(30)]
    right = admin_login(mallory, "sam", PASSWORD)

    assert guesses == [200] * 10 + [429] * 20
    assert right.status_code == 429
    assert 0 < int(right["Retry-After"]) <= 900
    assert "Too many failed sign-ins for this handle; try again in" in right.content.decode()
    assert "_auth_user_id" not in mallory.session


def test_failed_admin_logins_count_toward_the_api_lockout(api_client, sam, settings):
    settings.LUNA_SIGNIN_FAILURES_PER_HANDLE = 3
    for n in range(3):
        admin_login(Client(), "SAM", f"guess {n}")
    response = api_client.post("/auth/token/", {"handle": "sam", "password": PASSWORD}, format="json")
    assert response.status_code == 429


def test_admin_logins_share_the_per_address_limit_of_api_sign_ins(api_client, sam, settings):
    with_rates(settings, token="4/minute")
    for n in range(2):
        api_client.post("/auth/token/", {"handle": f"nobody{n}", "password": "x"}, format="json")
    statuses = [admin_login(Client(), f"nobody{n}", "x").status_code for n in range(3)]
    refused = admin_login(Client(), "sam", PASSWORD)

    assert statuses == [200, 200, 429]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many sign-in attempts from your address; try again in" in refused.content.decode()


def test_the_right_admin_password_below_the_limits_signs_in(sam, settings):
    settings.LUNA_SIGNIN_FAILURES_PER_HANDLE = 3
    client = Client()
    admin_login(client, "sam", "guess")
    response = admin_login(client, "Sam", PASSWORD)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_with_the_cache_down_the_admin_login_is_refused_with_503(sam):
    client = Client()
    with cache_down:
        response = admin_login(client, "sam", PASSWORD)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "try again shortly" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_handle_added_in_the_admin_is_stored_normalized_and_a_taken_one_refused(db):
    UserFactory(handle="alice")
    root = UserFactory(handle="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    form = {"handle": "DANA", "name": "Dana", "usable_password": "false", "_save": "Save"}

    added = client.post("/admin/users/user/add/", form)
    taken = client.post("/admin/users/user/add/", {**form, "handle": "ALICE"})

    assert added.status_code == 302
    assert User.objects.filter(handle="dana").exists()
    assert taken.status_code == 200
    assert "Handle already taken." in taken.content.decode()
    assert User.objects.count() == 3


def test_wrong_old_passwords_on_the_admins_password_change_page_lock_the_handle(sam, settings):
    """A staff session left open would let anyone guess the staff member's password there without a limit."""
    settings.LUNA_SIGNIN_FAILURES_PER_HANDLE = 3
    session = Client()
    session.force_login(sam)

    def change(old: str):
        new = "a new long passphrase"
        body = {"old_password": old, "new_password1": new, "new_password2": new}
        return session.post("/admin/password_change/", body)

    guesses = [change(f"guess {n}").status_code for n in range(3)]
    right = change(PASSWORD)

    assert guesses == [200, 200, 200]
    assert right.status_code == 429 and int(right["Retry-After"]) > 0
    assert "Too many failed sign-ins for this handle; try again in" in right.content.decode()
    sam.refresh_from_db()
    assert sam.check_password(PASSWORD)


def test_the_right_old_password_changes_a_staff_password_in_the_admin(sam):
    session = Client()
    session.force_login(sam)
    new = "a new long passphrase"
    body = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    assert session.post("/admin/password_change/", body).status_code == 302
    sam.refresh_from_db()
    assert sam.check_password("a new long passphrase")
