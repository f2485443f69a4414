"""/health/ tells an outage from a database that was never migrated, and so does every endpoint."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from luna.api.exceptions import DATABASE_NOT_MIGRATED
from luna.tests.test_faults import run_in_django
from venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db

PROBE = """
import json
from django.test import Client
client = Client()
for path in ("/health/", "/venues/"):
    response = client.get(path)
    print(json.dumps([path, response.status_code, response["Content-Type"], response.json()]))
"""


def test_health_is_healthy_when_every_migration_is_applied(api_client):
    response = api_client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "service": "Luna API Service", "database": "ok"}


def test_health_says_which_migration_is_missing(api_client):
    last = MigrationRecorder.Migration.objects.filter(app="plans").order_by("-name").first()
    last.delete()
    response = api_client.get("/health/")
    assert response.status_code == 500
    body = response.json()
    assert (body["status"], body["database"]) == ("unhealthy", "not_migrated")
    assert f"first: plans.{last.name}" in body["detail"]
    assert "run `python manage.py migrate`" in body["detail"]


@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
def test_a_missing_column_is_answered_as_not_migrated_like_a_missing_table(api_client, staff, write):
    # A partly migrated database: the venues' last migration is not recorded and a column it
    # needs is missing (the test's transaction puts it back).
    VenueFactory(name="Near Bar")
    MigrationRecorder.Migration.objects.filter(app="venues").order_by("-name").first().delete()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE venues_venue DROP COLUMN description")
    health = api_client.get("/health/")
    assert (health.status_code, health.json()["database"]) == (500, "not_migrated")
    # Last: on PostgreSQL the failed statement ends the transaction.
    if write:
        api_client.force_authenticate(staff)
        venues = api_client.post("/venues/", {"name": "Far Bar", "lat": 40.7, "lng": -73.9}, format="json")
    else:
        venues = api_client.get("/venues/")
    assert (venues.status_code, venues["Content-Type"]) == (500, "application/json")
    assert venues.json() == {"detail": DATABASE_NOT_MIGRATED}


def assert_not_migrated(result) -> None:
    assert result.returncode == 0, result.stderr
    health, venues = (json.loads(line) for line in result.stdout.splitlines())
    assert health[:3] == ["/health/", 500, "application/json"]
    assert health[3]["database"] == "not_migrated"
    assert venues == [
        "/venues/",
        500,
        "application/json",
        {"detail": "The database lacks tables or columns Luna needs: run `python manage.py migrate`."},
    ]


def test_an_unmigrated_sqlite_database_is_a_configuration_error_not_an_outage(tmp_path):
    assert_not_migrated(run_in_django(f"sqlite:///{tmp_path / 'empty.sqlite3'}", PROBE))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL to make an empty database")
def test_an_unmigrated_postgresql_database_is_a_configuration_error_not_an_outage():
    settings_dict = connection.settings_dict
    name = f"luna_empty_{uuid.uuid4().hex[:8]}"
    params = {"host": settings_dict["HOST"] or "127.0.0.1", "port": settings_dict["PORT"] or 5432}
    params["user"] = settings_dict["USER"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgres://{params['user']}@{params['host']}:{params['port']}/{name}"
        assert_not_migrated(run_in_django(url, PROBE))
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
