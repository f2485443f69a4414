"""Sign-in and signup limits: by the real client address, per handle, and shared by every worker."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from luna.errors import RateLimited, Unavailable
from luna.tests.caches import cache_down, local_redis, redis_is_up, with_rates
from luna.tests.live import gunicorn, request
from users.models import Token, User
from users.services import auth_token_issue
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def sign_in(client, handle: str, password: str, **headers):
    return client.post("/auth/token/", {"handle": handle, "password": password}, format="json", **headers)


def test_a_new_x_forwarded_for_on_every_request_does_not_escape_the_throttle(api_client, settings):
    with_rates(settings, token="5/minute")
    statuses = [
        sign_in(api_client, f"nobody{n}", "guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(8)
    ]
    assert statuses == [400] * 5 + [429] * 3


def test_behind_a_declared_proxy_the_address_it_appended_is_the_client(api_client, settings):
    with_rates(settings, token="2/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # The client forges the left part; the proxy appends the address it saw.
    first = [
        sign_in(api_client, "nobody", "guess", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 198.51.100.7").status_code
        for n in range(3)
    ]
    other = sign_in(api_client, "nobody", "guess", HTTP_X_FORWARDED_FOR="10.0.0.1, 198.51.100.8").status_code
    assert first == [400, 400, 429]
    assert other == 400


def test_failed_sign_ins_are_limited_per_handle_from_any_address(api_client, alice, bob, settings):
    settings.LUNA_SIGNIN_FAILURES_PER_HANDLE = 3
    failures = [
        sign_in(api_client, "alice", f"guess {n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}", REMOTE_ADDR=f"192.0.2.{n}")
        for n in range(3)
    ]
    locked = sign_in(api_client, "ALICE", PASSWORD, REMOTE_ADDR="192.0.2.99")

    assert [response.status_code for response in failures] == [400, 400, 400]
    assert locked.status_code == 429
    wait = int(locked["Retry-After"])
    assert 0 < wait <= 900
    # How long to wait, said once (DRF's "Expected available in ..." is not appended).
    assert locked.json() == {"detail": f"Too many failed sign-ins for this handle; try again in {wait} s."}
    assert not Token.objects.filter(user=alice).exists()
    # Another account is not affected.
    assert sign_in(api_client, "bob", PASSWORD, REMOTE_ADDR="192.0.2.99").status_code == 200


def test_a_right_password_below_the_limit_still_signs_in(api_client, alice, settings):
    settings.LUNA_SIGNIN_FAILURES_PER_HANDLE = 3
    for n in range(2):
        sign_in(api_client, "alice", f"guess {n}")
    assert sign_in(api_client, "alice", PASSWORD).status_code == 200


def test_guessing_the_current_password_through_a_password_change_counts_toward_the_lockout(client_for, alice, settings):
    """Whoever holds alice's key (a stolen token, an open session) could guess her password without a limit."""
    settings.LUNA_SIGNIN_FAILURES_PER_HANDLE = 3
    client = client_for(alice)

    def change(current: str):
        body = {"password": "a new long passphrase", "current_password": current}
        return client.patch(f"/users/{alice.pk}/", body, format="json")

    assert [change(f"guess {n}").status_code for n in range(3)] == [400, 400, 400]
    locked = change(PASSWORD)
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert sign_in(APIClient(), "alice", PASSWORD).status_code == 429


def test_a_right_current_password_is_not_counted_as_a_failure(client_for, alice, settings):
    settings.LUNA_SIGNIN_FAILURES_PER_HANDLE = 2
    client = client_for(alice)
    passwords = [PASSWORD, *(f"a new long passphrase {n}" for n in range(3))]
    for current, new in zip(passwords, passwords[1:], strict=False):
        body = {"password": new, "current_password": current}
        assert client.patch(f"/users/{alice.pk}/", body, format="json").status_code == 200


@pytest.mark.skipif(not redis_is_up(), reason="needs the local Redis (.ci/run starts it)")
def test_workers_with_their_own_redis_clients_share_the_counters(api_client, alice, settings):
    """Each request goes through a new cache client, as if each came to another worker process."""
    settings.CACHES = local_redis(15)
    settings.LUNA_SIGNIN_FAILURES_PER_HANDLE = 4
    with_rates(settings, token="6/minute")
    statuses = []
    try:
        for n in range(8):
            with contextlib.suppress(AttributeError):  # not connected yet
                del caches["default"]  # the next request connects anew: another "worker"
            statuses.append(sign_in(api_client, "alice" if n < 5 else f"other{n}", f"guess {n}").status_code)
    finally:
        caches["default"].clear()
    # alice is locked after 4 failures; the address after 6 attempts.
    assert statuses == [400, 400, 400, 400, 429, 400, 429, 429]


@pytest.mark.slow
@pytest.mark.parametrize("cache", ["shared-file-cache", "redis"])
@pytest.mark.django_db(transaction=True)
def test_three_gunicorn_workers_count_sign_ins_together(cache):
    env = {"LUNA_THROTTLE_TOKEN": "10/minute", "LUNA_SIGNIN_FAILURES_PER_HANDLE": "5"}
    if cache == "redis":
        if not redis_is_up():
            pytest.skip("needs the local Redis (.ci/run starts it)")
        # A prefix of its own, so that no other run sharing this Redis counts along.
        env["CACHE_URL"] = f"redis://127.0.0.1:6379/14?key_prefix=luna-test-{uuid.uuid4().hex}"
    with gunicorn(env=env, workers=3) as base:
        per_handle = [
            request(f"{base}/auth/token/", method="POST", body={"handle": "alice", "password": "x"})[0]
            for _ in range(6)
        ]
        per_address = [
            request(f"{base}/auth/token/", method="POST", body={"handle": f"nobody{n}", "password": "x"})[0]
            for n in range(6)
        ]
    assert per_handle == [400] * 5 + [429]
    # 6 attempts above used 6 of the address's 10.
    assert per_address == [400] * 4 + [429] * 2


def test_signup_is_throttled_per_address_whatever_x_forwarded_for_says(api_client, settings):
    with_rates(settings, signup="2/hour")
    statuses = [
        api_client.post(
            "/users/",
            {"handle": f"newcomer{n}", "name": "N", "password": PASSWORD},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(3)
    ]
    assert statuses == [201, 201, 429]


def test_another_unicode_spelling_of_a_locked_handle_does_not_sign_in(api_client, settings):
    settings.LUNA_SIGNIN_FAILURES_PER_HANDLE = 10
    alice = UserFactory(handle="alice_rt")
    for n in range(10):
        assert sign_in(api_client, "alice_rt", f"guess {n}").status_code == 400
    # PostgreSQL's UPPER turns the dotless "ı" (U+0131) into "I", so "alıce_rt" once matched alice_rt's row
    # while its lockout count was another handle's.
    dotless = sign_in(api_client, "al\u0131ce_rt", PASSWORD)
    fullwidth = sign_in(api_client, "\uff21LICE_RT", PASSWORD)  # NFKC: the same handle, still locked

    assert dotless.status_code == 400
    assert fullwidth.status_code == 429
    assert not Token.objects.filter(user=alice).exists()


def test_a_handle_is_found_and_locked_in_any_case_and_compatibility_spelling(api_client, alice, settings):
    settings.LUNA_SIGNIN_FAILURES_PER_HANDLE = 2
    assert sign_in(api_client, "\uff41lice", PASSWORD).status_code == 200  # fullwidth "a"
    assert [sign_in(api_client, spelling, "guess").status_code for spelling in ("ALICE", "Alice", "alice")] == [
        400,
        400,
        429,
    ]


def test_signup_refuses_a_handle_that_is_a_taken_one_once_normalized(api_client, alice):
    response = api_client.post(
        "/users/", {"handle": "\uff21lice", "name": "Mallory", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["handle"] == ["Handle already taken."]
    assert User.objects.count() == 1


def test_signup_stores_the_handle_normalized(api_client):
    response = api_client.post("/users/", {"handle": "Dana.K", "name": "Dana", "password": PASSWORD}, format="json")
    assert response.status_code == 201
    assert response.json()["handle"] == "dana.k"
    assert User.objects.get().handle == "dana.k"


@pytest.mark.skipif(not redis_is_up(), reason="needs the local Redis on 127.0.0.1:6379 (.ci/run starts it)")
def test_of_40_simultaneous_wrong_guesses_for_one_handle_only_10_passwords_are_checked(settings, monkeypatch):
    settings.CACHES = local_redis(12)
    settings.LUNA_SIGNIN_FAILURES_PER_HANDLE = 10
    checked = []
    start = threading.Barrier(40)

    def check_password(request, **credentials):
        checked.append(credentials["handle"])
        time.sleep(0.05)  # a password hash takes a while: the window in which guesses used to race
        return None

    monkeypatch.setattr("users.services.authenticate", check_password)

    def guess(n: int) -> str:
        start.wait()
        try:
            auth_token_issue(request=None, handle="alice", password=f"guess {n}")
        except RateLimited:
            return "locked"
        except ValidationError:
            return "wrong"
        finally:
            caches["default"].close()
        return "signed in"

    with ThreadPoolExecutor(max_workers=40) as pool:
        outcomes = list(pool.map(guess, range(40)))
    assert len(checked) == 10
    assert sorted(outcomes) == ["locked"] * 30 + ["wrong"] * 10


def test_with_the_cache_down_sign_in_is_refused_with_503_and_retry_after(api_client, alice):
    with cache_down:
        response = sign_in(api_client, "alice", PASSWORD)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "try again shortly" in response.json()["detail"]
    assert not Token.objects.filter(user=alice).exists()


def test_with_the_cache_down_signup_is_refused_with_503_and_retry_after(api_client):
    with cache_down:
        response = api_client.post("/users/", {"handle": "dana", "name": "Dana", "password": PASSWORD}, format="json")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert not User.objects.exists()


def test_signing_out_is_not_limited_and_revokes_the_keys_with_the_cache_down(api_client, alice, settings):
    """Signing out checks no password: nothing to guess, and a stolen key must be revocable in an outage."""
    with_rates(settings, token="1/minute")
    statuses = []
    for down in (False, False, True):
        key = auth_token_issue(request=None, handle="alice", password=PASSWORD)[1]
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        with cache_down if down else contextlib.nullcontext():
            statuses.append(api_client.delete("/auth/token/").status_code)
        assert not Token.objects.filter(user=alice).exists()
    assert statuses == [204, 204, 204]


def test_with_the_cache_down_per_handle_lockout_refuses_too(alice):
    # Even past the per-address throttle (the service alone): a guess that cannot be counted is not checked.
    with cache_down, pytest.raises(Unavailable):
        auth_token_issue(request=None, handle="alice", password=PASSWORD)


def test_with_the_cache_down_a_password_change_is_refused_with_503_and_nothing_changes(client_for, alice):
    body = {"password": "a new long passphrase", "current_password": PASSWORD}
    with cache_down:
        response = client_for(alice).patch(f"/users/{alice.pk}/", body, format="json")
    assert response.status_code == 503 and int(response["Retry-After"]) > 0
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
