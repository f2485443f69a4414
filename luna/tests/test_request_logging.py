"""Each request is logged once on the server's console, not once per logger that notices it."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_a_4xx_is_not_logged_again_by_django_request(api_client, caplog):
    with caplog.at_level(logging.DEBUG, logger="luna"):
        assert api_client.get("/users/").status_code == 401
        assert api_client.get("/nowhere/").status_code == 404
        assert api_client.post("/users/", {}, format="json").status_code == 400
    assert [record for record in caplog.records if record.name == "django.request"] == []


def test_a_server_error_is_still_logged_with_its_traceback():
    assert logging.getLogger("django.request").isEnabledFor(logging.ERROR)


@pytest.mark.parametrize("request_log, access_log", [("1", "None"), ("0", "-")])
def test_gunicorn_keeps_its_access_log_only_without_lunas_request_log(request_log, access_log):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "--print-config", "-c", "gunicorn.conf.py", "luna.wsgi"],
        cwd=PROJECT,
        env={**os.environ, "LUNA_REQUEST_LOG": request_log},
        capture_output=True,
        text=True,
        timeout=60,
    )
    printed = dict(map(str.strip, line.split(" = ", 1)) for line in result.stdout.splitlines() if " = " in line)
    assert printed["accesslog"] == access_log
