"""The test suite runs in parallel (pytest-xdist): nothing one test process writes is another's."""

from __future__ import annotations

import configparser
import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

PROJECT = Path(__file__).resolve().parents[2]


def test_each_test_process_has_a_cache_folder_of_its_own_not_the_projects(request):
    if getattr(request.config, "luna_given_cache_url", None):
        pytest.skip("the run was given its own CACHE_URL, which it keeps")
    location = Path(django_settings.CACHES["default"]["LOCATION"])

    assert location != PROJECT / ".cache" / "django"  # what `make run` serves with
    assert location.name.startswith(f"luna-test-cache-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-")
    assert os.environ["CACHE_URL"] == f"filecache://{location}"  # for the servers and commands tests start
    cache.set("probe", 1)
    assert any(location.iterdir())


def test_the_slow_marker_is_registered_for_make_test_fast_to_leave_out():
    config = configparser.ConfigParser()
    config.read(PROJECT / "pytest.ini")

    assert "slow:" in config["pytest"]["markers"]
    assert "--strict-markers" in config["pytest"]["addopts"]


def test_every_test_on_a_live_server_or_in_a_browser_is_marked_slow(request):
    unmarked = [
        item.nodeid
        for item in request.session.items
        if {"live_server", "browser"} & set(getattr(item, "fixturenames", ())) and not item.get_closest_marker("slow")
    ]
    assert not unmarked, f"mark these @pytest.mark.slow (make test-fast leaves them out): {unmarked}"
