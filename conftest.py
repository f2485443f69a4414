"""Fixtures shared by every app's tests: named people and an API client."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from users.tests.factories import UserFactory


def pytest_configure(config):
    # The default cache is a folder of the project that every process of the machine shares (`make run`'s
    # too); each test process (one per xdist worker) gets a folder of its own instead, so that one's
    # `cache.clear()` before every test wipes no one else's counters. The servers and commands that tests
    # start inherit it through CACHE_URL. A CACHE_URL given to the run (Redis) is left as it is.
    controller = getattr(config.option, "dist", "no") != "no" and not os.environ.get("PYTEST_XDIST_WORKER")
    config.luna_given_cache_url = os.environ.get("CACHE_URL", "")
    if config.luna_given_cache_url or controller:  # xdist's controller runs no test: its workers start after this
        return
    from django.test import override_settings

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    folder = tempfile.mkdtemp(prefix=f"luna-test-cache-{worker}-")
    config.luna_cache_folder = folder
    os.environ["CACHE_URL"] = f"filecache://{folder}"
    override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": folder}}
    ).enable()


def pytest_unconfigure(config):
    folder = getattr(config, "luna_cache_folder", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters and cached features live in the cache; no test sees another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_process_state_from_other_tests(settings):
    # What each process keeps between requests must not carry a test's rows (rolled back) into the next:
    # - what a recommendation showed, waiting in a buffer; it is written at the end of its request, not
    #   by the flusher thread, whose connection cannot see a test's transaction (the tests of the
    #   batches ask for the thread);
    # - the venues and the model it loaded (with the refresh in the background, a test's would be served
    #   once more to the next test that asks for recommendations);
    # - the running experiment, kept for a while.
    from experiments import impressions
    from experiments.assignment import running_cache
    from recommendations.catalogue import catalogue_cache

    settings.LUNA_IMPRESSIONS_FLUSH_SECONDS = 0
    impressions.impressions_discard()
    catalogue_cache.invalidate()
    running_cache.invalidate()
    yield
    impressions.impressions_discard()
    running_cache.invalidate()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def alice(db):
    return UserFactory(handle="alice", name="Alice Chen")


@pytest.fixture
def bob(db):
    return UserFactory(handle="bob", name="Bob Singh")


@pytest.fixture
def charlie(db):
    return UserFactory(handle="charlie", name="Charlie Stranger")


@pytest.fixture
def staff(db):
    return UserFactory(handle="staffer", name="Sam Staff", is_staff=True)


@pytest.fixture
def client_for():
    """An API client authenticated as the given user (or anonymous for None)."""

    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


def pytest_collection_modifyitems(items):
    # Schemathesis names each operation's test ([GET /users/]) but gives them one node id; pytest's
    # progress counts distinct ids (so it stopped at 97 %) and -k could not tell them apart.
    # Each gets the id its name says (pytest's own way of deriving an id; left alone if that changes).
    counts = Counter(item.nodeid for item in items)
    for item in items:
        if counts[item.nodeid] > 1 and "[" not in item.nodeid:
            try:
                item._id = item.parent.id.child(item.name)
            except AttributeError:
                return


# pytest-django runs the tests in Django's order: those in a transaction that rolls back, then those on
# real commits (the database is emptied after each), then those without a database. A file with tests of
# two kinds shows up once in each part; a line names the part, so the run reads as what it is.
_PARTS = (
    "tests in a transaction that rolls back",
    "tests that commit (the database is emptied after each)",
    "tests without a database",
)
_last_part: list[int] = []


def _part(item) -> int:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    if (marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))) or (
        "transactional_db" in fixtures or "live_server" in fixtures
    ):
        return 1
    return 0 if marker or "db" in fixtures else 2


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    part = _part(item)
    if _last_part and _last_part[-1] == part:
        return
    _last_part.append(part)
    reporter = item.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and reporter.verbosity >= 0:
        reporter.ensure_newline()
        reporter.write_sep("-", _PARTS[part])
        reporter.currentfspath = None  # name the file again on the next line
