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
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from luna.wsgi import application
from users.tests.factories import UserFactory
from venues.tests.factories import VenueFactory

# CI's bound per operation; LUNA_FUZZ_EXAMPLES=500 make test digs deeper.
MAX_EXAMPLES = int(os.environ.get("LUNA_FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# Building the schema reads no database, so it is loaded once at collection.
schema = schemathesis.openapi.from_wsgi("/schema/", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # Calls go through the WSGI handler, which closes "old" connections around
    # each request; that would close the test's own transaction. Django's test
    # client detaches the same receivers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db) -> list[str]:
    VenueFactory()
    member = UserFactory(handle="fuzz-member")
    staff = UserFactory(handle="fuzz-staff", is_staff=True)
    return [Token.objects.create(user=member).key, Token.objects.create(user=staff).key]


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
