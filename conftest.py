"""Fixtures shared by every app's tests: named people and an API client."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from users.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters and cached features live in the cache; no test sees another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def alice(db):
    return UserFactory(handle="alice", name="Alice Chen")


@pytest.fixture
def bob(db):
    return UserFactory(handle="bob", name="Bob Singh")


@pytest.fixture
def charlie(db):
    return UserFactory(handle="charlie", name="Charlie Stranger")


@pytest.fixture
def staff(db):
    return UserFactory(handle="staffer", name="Sam Staff", is_staff=True)


@pytest.fixture
def client_for():
    """An API client authenticated as the given user (or anonymous for None)."""

    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make
