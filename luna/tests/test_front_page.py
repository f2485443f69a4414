"""The front page at `/`: what Luna is and links to everything a newcomer opens next."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_the_front_page_links_to_admin_docs_health_and_says_how_to_sign_in(client, db):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    for link in ('href="/admin/"', 'href="/docs"', 'href="/redoc"', 'href="/schema"', 'href="/health"'):
        assert link in page
    assert "changepassword admin" in page and "make demo" in page
    assert "http://testserver/users/" in page  # the example names this server
    assert len(queries) == 0, [q["sql"] for q in queries.captured_queries]  # it needs no database
