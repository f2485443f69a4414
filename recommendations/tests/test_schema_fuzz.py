"""Fuzz the recommendation endpoints' query parameters for a user asking for their own.

The project-wide fuzz mostly meets 404s here (a random user id); this one fixes the
path to a real user with a home, venues, interactions and friends, so the generated
query parameters reach the services and every 200 body is checked against the schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from luna.tests.fuzzing import CHECKS, keeping_the_test_connection
from luna.wsgi import application
from recommendations.tests.worlds import build_world
from users.services import auth_token_create

# Fuzzing takes a while: `make test-fast` leaves it out.
pytestmark = pytest.mark.slow

schema = schemathesis.openapi.from_wsgi("/schema/", application).include(path_regex="^/reco/")


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    with keeping_the_test_connection():
        yield


@pytest.fixture
def member(db):
    world = build_world(21, users=6, venues=30, interactions=120, degree=4)
    user = world.users[1]
    return user, auth_token_create(user=user)


@schema.parametrize()
@hypothesis_settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_own_recommendations_answer_as_documented_for_any_query(case, member):
    user, token = member
    cache.clear()
    case.path_parameters = {"user_id": str(user.pk)}
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
