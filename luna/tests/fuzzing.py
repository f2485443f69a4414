"""What the schema fuzz runs share: the checks, and a WSGI app that keeps the test's connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

# Any 5xx, or a status code, content type or body the schema does not describe, fails the run.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@contextmanager
def keeping_the_test_connection() -> Iterator[None]:
    """Calls go through the WSGI handler, which closes "old" connections around each
    request; that would end the test's own transaction. Django's test client detaches
    the same receivers while it makes a request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
