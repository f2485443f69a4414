"""The API docs work without reaching the internet: their assets are served by Luna."""

from __future__ import annotations

import re

import pytest


# Closing a streamed asset sends request_finished, whose handler looks at the database
# connection that earlier tests left open; without database access that raises.
@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/docs/", "/redoc/"])
def test_the_docs_page_loads_its_scripts_from_luna_itself(client, path):
    page = client.get(path)
    assert page.status_code == 200
    scripts = re.findall(r'<script src="([^"]+)"', page.content.decode())
    assert scripts
    for script in scripts:
        assert script.startswith("/static/"), script
        asset = client.get(script)
        assert asset.status_code == 200, script
        # Reading the whole stream closes the response the way a server would (and checks it is not empty).
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        assert body, script
