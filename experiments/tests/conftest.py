from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _catalogue_reloads_on_the_request_path(settings):
    # As in recommendations' tests: a background thread would read through its own connection, outside
    # the test's transaction.
    settings.LUNA_RECO = {**settings.LUNA_RECO, "REFRESH_IN_BACKGROUND": False}
