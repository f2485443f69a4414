"""Fuzz every documented operation from the app's own OpenAPI schema, in-process.

Bounded: a fixed number of generated examples per operation, as a normal user
and as staff. Any 5xx, or any response that the schema does not describe
(status code, content type or body), fails the run.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from luna.tests.fuzzing import CHECKS, keeping_the_test_connection
from luna.wsgi import application
from users.services import auth_token_create
from users.tests.factories import UserFactory
from venues.tests.factories import VenueFactory

# Fuzzing every operation takes a while: `make test-fast` leaves it out.
pytestmark = pytest.mark.slow

# CI's bound per operation; LUNA_FUZZ_EXAMPLES=500 make test digs deeper.
MAX_EXAMPLES = int(os.environ.get("LUNA_FUZZ_EXAMPLES", "15"))


# Building the schema reads no database, so it is loaded once at collection.
schema = schemathesis.openapi.from_wsgi("/schema/", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    with keeping_the_test_connection():
        yield


@pytest.fixture
def tokens(db) -> list[str]:
    VenueFactory()
    member = UserFactory(handle="fuzz-member")
    staff = UserFactory(handle="fuzz-staff", is_staff=True)
    return [auth_token_create(user=member), auth_token_create(user=staff)]


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, tokens):
    for token in tokens:
        # Signup and token throttles would answer 429 long before the examples run out.
        cache.clear()
        case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
