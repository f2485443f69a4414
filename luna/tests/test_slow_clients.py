"""The production recipe (nginx in front of gunicorn) keeps answering while slow clients hang on,
and nginx's own refusals answer JSON like Luna's."""

from __future__ import annotations

import pytest
from django.db import connection

from luna.tests.live import gunicorn, nginx, nginx_available, request
from luna.tests.slow_clients import slow_client_probe

# nginx and gunicorn for real: `make test-fast` leaves it out.
pytestmark = pytest.mark.slow

PRODUCTION = {
    "LUNA_ENV": "production",
    "SECRET_KEY": "a-test-only-secret-key-that-is-long-enough-for-the-deploy-checks",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "LUNA_SSL_REDIRECT": "0",  # no TLS in the test; nginx would terminate it
    "LUNA_TRUSTED_PROXIES": "1",
}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the production recipe runs on PostgreSQL")
@pytest.mark.skipif(not nginx_available(), reason="needs nginx (Debian's nginx-light; .ci/run installs it)")
@pytest.mark.django_db(transaction=True)
def test_ten_slow_clients_for_30_seconds_do_not_delay_anyone_else_and_nginx_refuses_in_json():
    with gunicorn(env=PRODUCTION, workers=5) as upstream, nginx(upstream) as base:
        report = slow_client_probe(base, sockets=10, seconds=30, interval=5)
        # Over nginx's client_max_body_size: nginx answers itself, before gunicorn sees a byte.
        status, headers, body = request(f"{base}/users/", method="POST", body={"name": "x" * 2_000_000})
    assert (status, headers["Content-Type"], body) == (
        413,
        "application/json",
        {"detail": "The request body is too large."},
    )

    assert len(report.latencies) >= 25
    assert report.failed == 0
    assert report.worst < 1.0, report.latencies
