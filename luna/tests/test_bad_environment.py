"""A bad variable in the environment stops every entry point with one line naming it (exit status 2),
not a traceback through Django's start-up."""

from __future__ import annotations

import os
import re
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


GUNICORN = ENTRY_POINTS["gunicorn.conf.py"]


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("GUNICORN_WORKERS", "abc", "GUNICORN_WORKERS='abc' is not a valid int."),
        ("GUNICORN_THREADS", "0", "GUNICORN_THREADS='0' must be at least 1."),
        ("GUNICORN_PRELOAD", "maybe", "GUNICORN_PRELOAD='maybe' is not a boolean; use one of 1/0, true/false, "
         "yes/no, on/off."),
    ],
)  # fmt: skip
def test_a_bad_gunicorn_variable_stops_it_with_one_line_and_status_2(variable, value, message):
    result = subprocess.run(GUNICORN, cwd=PROJECT, env={**os.environ, variable: value}, capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert (result.returncode, result.stderr.splitlines()) == (2, [f"Luna cannot start: {message}"])


def test_gunicorn_preload_off_is_off_as_the_other_switches_spell_it():
    command = [GUNICORN[0], "--print-config", *GUNICORN[2:]]
    result = subprocess.run(command, cwd=PROJECT, env={**os.environ, "GUNICORN_PRELOAD": "off"}, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert re.search(r"^preload_app +?= False$", result.stdout, re.MULTILINE), result.stdout
