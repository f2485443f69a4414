"""Shared request guards: body size, hostile JSON, request ids and the request log."""

from __future__ import annotations

import io
import json
import logging

import pytest
from rest_framework.exceptions import ParseError

from luna.api.parsers import JSONParser
from luna.log import JsonFormatter
from plans.models import PlanParticipant
from plans.tests.factories import PlanFactory
from users.models import User


def test_it_refuses_a_body_over_the_limit_with_413(client, settings):
    settings.LUNA_MAX_REQUEST_BYTES = 2048
    response = client.post("/users/", data="x" * 4096, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body is 4096 bytes; the limit is 2048 bytes."}


def test_a_body_under_the_limit_goes_through_to_the_view(client, settings):
    settings.LUNA_MAX_REQUEST_BYTES = 2048
    response = client.post("/health/", data="{}", content_type="application/json")
    assert response.status_code == 405


def test_deeply_nested_json_is_a_parse_error_not_a_crash():
    with pytest.raises(ParseError, match="nested too deeply"):
        JSONParser().parse(io.BytesIO(b"[" * 100_000 + b"]" * 100_000), "application/json", {})


def test_nan_is_refused_by_the_parser():
    with pytest.raises(ParseError):
        JSONParser().parse(io.BytesIO(b'{"strength": NaN}'), "application/json", {})


@pytest.mark.django_db
def test_a_sane_request_id_is_passed_through_and_a_missing_one_is_generated(client):
    passed = client.get("/health/", HTTP_X_REQUEST_ID="edge-7f3a.1")
    assert passed["X-Request-ID"] == "edge-7f3a.1"
    generated = client.get("/health/", HTTP_X_REQUEST_ID="bad id with spaces\n")
    assert generated["X-Request-ID"] != "bad id with spaces\n"
    assert len(generated["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_each_request_is_logged_as_one_structured_line(client, settings, caplog):
    settings.LUNA_REQUEST_LOG = True
    with caplog.at_level(logging.INFO, logger="luna.request"):
        client.get("/health/", HTTP_X_REQUEST_ID="req-1")
    [record] = [r for r in caplog.records if r.name == "luna.request"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-1"
    assert line["method"] == "GET"
    assert line["path"] == "/health/"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0


@pytest.mark.django_db
def test_a_huge_json_array_just_under_the_limit_is_a_clean_400_and_stores_nothing(client):
    body = "[" + ",".join(["1"] * 450_000) + "]"
    assert len(body) < 1_048_576
    response = client.post("/users/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_a_huge_list_of_invitees_is_refused_without_touching_the_plan(client_for, alice):
    plan = PlanFactory(organizer=alice)
    ids = [f"00000000-0000-4000-8000-{index:012d}" for index in range(20_000)]
    response = client_for(alice).post(f"/plans/{plan.pk}/participants/", {"invitee_ids": ids}, format="json")
    assert response.status_code == 400
    assert "invitee_ids" in response.json()
    assert PlanParticipant.objects.filter(plan=plan).count() == 0


def test_a_request_for_an_unknown_host_is_a_json_400(client):
    response = client.get("/health/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}
