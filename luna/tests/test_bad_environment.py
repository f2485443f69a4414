"""A bad variable in the environment stops every entry point with one line naming it (exit status 2),
not a traceback through Django's start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

ENTRY_POINTS = {
    "manage.py": [sys.executable, "manage.py", "check"],
    "wsgi": [sys.executable, "-c", "import luna.wsgi"],
    "gunicorn.conf.py": [str(BIN / "gunicorn"), "--check-config", "-c", "gunicorn.conf.py", "luna.wsgi"],
    "celery": [sys.executable, "-c", "import luna.celery"],
}


@pytest.mark.parametrize("command", list(ENTRY_POINTS.values()), ids=list(ENTRY_POINTS))
def test_a_bad_variable_stops_start_up_with_one_line_and_status_2(command):
    result = subprocess.run(
        command, cwd=PROJECT, env={**os.environ, "DEBUG": "maybe"}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "Luna cannot start: DEBUG='maybe' is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    ]
    assert result.stdout == ""
