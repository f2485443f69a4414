"""The admin's Data page: the demo world, a synthetic world and CSV imports, for the staff allowed to."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from prometheus_client import REGISTRY

from social.models import SocialEdge
from users.models import User
from users.tests.factories import UserFactory
from venues.models import Interaction, Venue
from venues.tests.factories import VenueFactory
from world import data_jobs
from world.models import DataJob

pytestmark = pytest.mark.django_db

VENUES_HEADER = "id,name,description,category,lat,lng,price_level,rating"
BAR_ID = "ba000000-0000-4000-8000-000000000003"
CAFE_ID = "caf00000-0000-4000-8000-000000000004"
GOOD_VENUES = (
    f"{VENUES_HEADER}\n{BAR_ID},Sunset Bar,Rooftop drinks.,bar,40.73,-73.99,3,4.7\n"
    f"{CAFE_ID},Corner Cafe,Coffee.,cafe,40.74,-73.98,1,4.1\n"
)
BAD_VENUES = f"{VENUES_HEADER}\n{BAR_ID},Sunset Bar,Rooftop drinks.,bar,40.73,-73.99,3,4.7\n,Nowhere,,bar,999,-73.9,,\n"
PATHS = ["/admin/data/", "/admin/data/demo/", "/admin/data/synthetic/", "/admin/data/import/", "/admin/data/jobs/1/"]


@pytest.fixture
def root(db):
    return UserFactory(handle="root", name="Rita Root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def inline_jobs(monkeypatch):
    """Background loads run in the test's own thread (the test database is its connection)."""
    monkeypatch.setattr(data_jobs, "_start_thread", lambda job_id: data_jobs.data_job_run(job_id=job_id))


def counted(action: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("luna_data_loads_total", {"action": action, "outcome": outcome}) or 0.0


def world_fingerprint() -> dict:
    """Counts and a checksum of what was generated: ids of users and venues, edges, interactions."""

    def digest(rows) -> str:
        return hashlib.sha256("\n".join(sorted(",".join(map(str, row)) for row in rows)).encode()).hexdigest()

    people = User.objects.filter(is_staff=False)
    return {
        "users": people.count(),
        "venues": Venue.objects.count(),
        "interactions": Interaction.objects.count(),
        "edges": SocialEdge.objects.count(),
        "user ids": digest(people.values_list("id", "handle", "home_lat", "home_lng", "age")),
        "venue ids": digest(Venue.objects.values_list("id", "name", "category", "lat", "lng", "price_level", "rating")),
        "edges checksum": digest(SocialEdge.objects.values_list("user_id", "other_user_id", "relationship_type")),
        "interactions checksum": digest(
            Interaction.objects.values_list("user_id", "venue_id", "interaction_type", "dwell_time_seconds")
        ),
    }


# --- The demo world ------------------------------------------------------------------------------


def test_a_superuser_loads_the_demo_world_into_an_empty_database_and_a_second_load_is_refused(admin_client):
    response = admin_client.post("/admin/data/demo/")

    assert response.status_code == 200
    assert "Loaded the demo world" in response.content.decode()
    counts = {"users": 24, "venues": 20, "interactions": 275, "social edges": 24 * 23, "plans": 5}
    assert response.context["loaded"]["users (not staff)"] == counts["users"]
    assert {label: response.context["loaded"][label] for label in ("venues", "interactions", "social edges")} == {
        "venues": 20,
        "interactions": 275,
        "social edges": 552,
    }

    again = admin_client.post("/admin/data/demo/")

    assert again.status_code == 409
    body = again.content.decode()
    assert "The demo world is already present" in body and "Yes, delete it and load" in body
    assert User.objects.filter(is_staff=False).count() == 24 and Interaction.objects.count() == 275


def test_over_other_data_the_demo_asks_first_and_replace_deletes_it_and_loads_the_demo(admin_client):
    VenueFactory(name="Blue Note")

    refused = admin_client.post("/admin/data/demo/")

    assert refused.status_code == 409
    assert "The database holds other Luna data (1 venues)" in refused.content.decode()
    assert list(Venue.objects.values_list("name", flat=True)) == ["Blue Note"]

    replaced = admin_client.post("/admin/data/demo/", {"replace": "on"})

    assert replaced.status_code == 200
    assert "Deleted 1 venues. Loaded the demo world" in replaced.content.decode()
    assert Venue.objects.count() == 20 and not Venue.objects.filter(name="Blue Note").exists()
    assert User.objects.filter(handle="root").exists()  # staff accounts are kept


def test_loading_the_demo_is_in_the_admins_history_and_in_metrics(admin_client, root):
    before = counted("demo", "done")

    admin_client.post("/admin/data/demo/")

    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_repr) == (root, "Demo world")
    assert "Loaded the demo world" in entry.change_message and "24 users (not staff)" in entry.change_message
    assert counted("demo", "done") == before + 1
    metrics = admin_client.get("/metrics").content.decode()
    assert 'luna_data_loads_total{action="demo",outcome="done"}' in metrics


# --- A synthetic world ----------------------------------------------------------------------------


def test_a_synthetic_world_from_the_page_is_the_one_the_seed_command_generates(
    admin_client, inline_jobs, django_capture_on_commit_callbacks
):
    size = {"users": "1000", "venues": "1000", "interactions": "20000", "degree": "20", "random_seed": "42"}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/data/synthetic/", size)

    assert response.status_code == 303
    page = admin_client.get("/admin/data/").content.decode()
    assert "Generated the synthetic world (random seed 42)" in page
    assert "python manage.py train_ranker" in page
    from_the_page = world_fingerprint()
    assert (from_the_page["users"], from_the_page["venues"]) == (1000, 1000)
    assert (from_the_page["interactions"], from_the_page["edges"]) == (20_000, 20_000)

    call_command("seed", "--reset", *[f"--{name.replace('_', '-')}={value}" for name, value in size.items()],
                 stdout=StringIO())  # fmt: skip

    assert world_fingerprint() == from_the_page


def test_the_progress_of_a_synthetic_world_can_be_read_while_it_runs(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    seen = []

    def run_and_look(job_id):
        job = DataJob.objects.select_related("started_by").get(pk=job_id)
        original = data_jobs.data_job_progress

        def progress(job_id, label, done, total):
            original(job_id, label, done, total)
            # What the status URL answers at this step (read without a query: on PostgreSQL this
            # connection is in the middle of a COPY; the page's requests come on their own).
            seen.append(data_jobs.data_job_status(job))

        monkeypatch.setattr(data_jobs, "data_job_progress", progress)
        data_jobs.synthetic_run(job_id=job_id)

    monkeypatch.setattr(data_jobs, "_start_thread", run_and_look)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/data/synthetic/", {"users": "30", "venues": "20", "interactions": "50"})

    assert [(step["status"], step["stage"], step["done"], step["total"]) for step in seen] == [
        ("running", "users", 30, 30),
        ("running", "venues", 20, 20),
        ("running", "interactions", 50, 50),
        ("running", "social edges", 30 * 20, 30 * 20),
    ]
    assert seen[0]["progress"] == "users                    30 / 30 (100%)"
    done = admin_client.get(f"/admin/data/jobs/{DataJob.objects.get().pk}/").json()
    assert done["status"] == "done" and done["counts"]["interactions"] == 50


def test_the_status_url_answers_a_running_jobs_progress(admin_client, root):
    job = DataJob.objects.create(kind="synthetic", stage="queued", started_by=root, parameters={"spec": {}})
    assert admin_client.get(f"/admin/data/jobs/{job.pk}/").json()["stage"] == "queued"

    data_jobs.data_job_progress(job.pk, "venues", 40_000, 100_000)

    status = admin_client.get(f"/admin/data/jobs/{job.pk}/").json()
    assert (status["status"], status["stage"], status["done"], status["total"], status["percent"]) == (
        "running", "venues", 40_000, 100_000, 40,
    )  # fmt: skip
    assert status["started_by"] == "root"


def test_the_page_shows_a_running_job_with_its_progress_bar(admin_client, root):
    job = DataJob.objects.create(kind="synthetic", stage="queued", started_by=root, parameters={"spec": {}})
    data_jobs.data_job_progress(job.pk, "interactions", 300_000, 1_000_000)

    page = admin_client.get("/admin/data/").content.decode()

    assert 'role="progressbar"' in page and 'aria-valuenow="30"' in page
    assert "interactions        300,000 / 1,000,000 (30%)" in page


def test_a_second_run_while_one_is_running_is_refused(admin_client, root, inline_jobs):
    DataJob.objects.create(kind="synthetic", stage="queued", started_by=root)

    for path, data in [
        ("/admin/data/synthetic/", {"users": "5", "venues": "5", "interactions": "5"}),
        ("/admin/data/demo/", {}),
        ("/admin/data/import/", {"venues": SimpleUploadedFile("venues.csv", GOOD_VENUES.encode())}),
    ]:
        response = admin_client.post(path, data)
        assert response.status_code == 409, path
        assert "started by root" in response.content.decode() and "is still running" in response.content.decode()
    assert DataJob.objects.count() == 1 and not Venue.objects.exists() and not User.objects.filter(is_staff=False)


def test_the_database_admits_one_running_job_whoever_inserts_it(root):
    DataJob.objects.create(kind="synthetic", started_by=root)

    with pytest.raises(IntegrityError), transaction.atomic():
        DataJob.objects.create(kind="demo", started_by=root)


def test_a_job_whose_process_died_is_marked_failed_and_no_longer_blocks(admin_client, root, settings, inline_jobs,
                                                                       django_capture_on_commit_callbacks):  # fmt: skip
    settings.LUNA_DATA_JOB_STALE_SECONDS = 600
    dead = DataJob.objects.create(kind="synthetic", stage="users", started_by=root)
    DataJob.objects.filter(pk=dead.pk).update(updated_at=timezone.now() - timedelta(seconds=601))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/data/synthetic/", {"users": "5", "venues": "5", "interactions": "5"})

    assert response.status_code == 303
    dead.refresh_from_db()
    assert dead.status == "failed" and "No progress for 600 s" in dead.error
    assert User.objects.filter(is_staff=False).count() == 5


def test_a_job_that_still_reports_progress_is_not_taken_for_dead(root, settings):
    settings.LUNA_DATA_JOB_STALE_SECONDS = 600
    alive = DataJob.objects.create(kind="synthetic", stage="users", started_by=root)
    DataJob.objects.filter(pk=alive.pk).update(updated_at=timezone.now() - timedelta(seconds=900))
    data_jobs.data_job_progress(alive.pk, "interactions", 5, 10)  # its transaction holds the row; the cache hears it

    assert data_jobs.data_jobs_fail_stale() == 0


def test_a_synthetic_world_over_data_asks_first(admin_client, inline_jobs, django_capture_on_commit_callbacks):
    VenueFactory(name="Blue Note")

    refused = admin_client.post("/admin/data/synthetic/", {"users": "5", "venues": "5", "interactions": "5"})

    assert refused.status_code == 409
    assert "1" in refused.content.decode() and 'name="replace" value="on"' in refused.content.decode()
    assert Venue.objects.count() == 1 and not DataJob.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/data/synthetic/", {"users": "5", "venues": "5", "interactions": "5", "replace": "on"})

    assert Venue.objects.count() == 5 and not Venue.objects.filter(name="Blue Note").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"users": "5", "degree": "10"}, "--degree 10 is impossible with 5 users (at most 4)."),
        ({"users": "0"}, "--users and --venues must be at least 1"),
        ({"venues": "many"}, "venues: &#x27;many&#x27; is not a whole number."),
        ({"users": "\uff11\uff10"}, "users: &#x27;\uff11\uff10&#x27; is not a whole number."),
        ({"random_seed": "-1"}, "--random-seed must be at least 0."),
    ],
)
def test_it_refuses_the_options_seed_refuses_with_its_messages(admin_client, data, message):
    response = admin_client.post("/admin/data/synthetic/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DataJob.objects.exists()


def test_a_broker_that_is_down_leaves_the_world_to_a_thread_of_the_web_process(settings, monkeypatch, root):
    from world import tasks

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    started = []

    def refuse(*args):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.run_synthetic_job, "delay", refuse)
    monkeypatch.setattr(data_jobs, "_start_thread", started.append)

    data_jobs._dispatch(7)

    assert started == [7]


# --- CSV files -----------------------------------------------------------------------------------


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{name}.csv", text.encode(), content_type="text/csv")


@pytest.fixture
def import_files(admin_client, inline_jobs, django_capture_on_commit_callbacks):
    """Post an import as the page does, let it run, and come back to the page, which shows it."""

    def post(data: dict, client=None):
        client = client or admin_client
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/admin/data/import/", data)
        assert response.status_code == 303, response.content.decode()
        return client.get("/admin/data/")

    return post


def test_a_dry_run_names_the_bad_line_and_its_reason_and_writes_nothing(import_files):
    page = import_files({"venues": upload("venues", BAD_VENUES)})

    body = page.content.decode()
    assert "Dry run: nothing was written" in body
    assert "venues.csv line 3, field &#x27;lat&#x27;: Ensure this value is less than or equal to 90." in body
    assert "venues.csv rejected, nothing loaded from it (1 bad row)" in body
    assert not Venue.objects.exists()
    assert "Import these files" not in body


def test_a_good_files_dry_run_shows_its_counts_and_confirming_writes_exactly_those_rows(import_files, root):
    dry = import_files({"venues": upload("venues", GOOD_VENUES), "dry_run": "on"})

    assert "venues.csv: would load 2 of 2 rows" in dry.content.decode()
    assert "Import these files" in dry.content.decode()
    assert not Venue.objects.exists()
    assert not LogEntry.objects.exists()
    staged = dry.context["job"]["result"]["staged"]

    confirmed = import_files({"staged": staged, "dry_run": "off"})

    assert "venues.csv: loaded 2 of 2 rows" in confirmed.content.decode()
    assert sorted(Venue.objects.values_list("name", "lat")) == [("Corner Cafe", 40.74), ("Sunset Bar", 40.73)]
    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_repr) == (root, "CSV import: venues.csv")
    assert "venues.csv: loaded 2 of 2 rows" in entry.change_message


def test_a_confirmed_upload_cannot_be_imported_twice(import_files, admin_client):
    staged = import_files({"venues": upload("venues", GOOD_VENUES)}).context["job"]["result"]["staged"]
    import_files({"staged": staged, "dry_run": "off"})

    twice = admin_client.post("/admin/data/import/", {"staged": staged, "dry_run": "off"})

    assert twice.status_code == 404 and Venue.objects.count() == 2


def test_a_dry_run_checks_each_file_against_the_rows_of_the_files_before_it(import_files):
    users = "id,handle,name,home_lat,home_lng,age\na11ce000-0000-4000-8000-000000000001,alice,Alice,,,\n"
    interactions = (
        f"user_id,venue_id,interaction_type,dwell_time_seconds\na11ce000-0000-4000-8000-000000000001,{BAR_ID},like,60\n"  # noqa: E501
    )

    page = import_files(
        {"users": upload("users", users), "venues": upload("venues", GOOD_VENUES),
         "interactions": upload("interactions", interactions)},
    )  # fmt: skip

    body = page.content.decode()
    assert "users.csv: would load 1 of 1 rows" in body and "interactions.csv: would load 1 of 1 rows" in body
    assert not User.objects.filter(is_staff=False).exists() and not Interaction.objects.exists()


def test_the_upload_defaults_to_a_dry_run(import_files):
    page = import_files({"venues": upload("venues", GOOD_VENUES)})

    assert "venues.csv: would load 2 of 2 rows" in page.content.decode()
    assert not Venue.objects.exists()


def test_an_upload_without_a_preview_imports_at_once(import_files):
    import_files({"venues": upload("venues", GOOD_VENUES), "dry_run": "off"})

    assert Venue.objects.count() == 2


def test_a_scripted_client_follows_the_import_on_its_status_url(admin_client, inline_jobs,
                                                                django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/data/import/", {"venues": upload("venues", BAD_VENUES)})

    status = admin_client.get(response["X-Data-Job"]).json()
    assert status["status"] == "done"
    venues = status["result"]["files"][0]
    assert (venues["rows"], venues["loaded"], venues["bad_rows"], venues["rejected"]) == (2, 0, 1, True)
    assert venues["errors"] == ["venues.csv line 3, field 'lat': Ensure this value is less than or equal to 90.0."]


def test_a_dry_run_lists_the_first_20_errors(import_files):
    rows = "".join(f",Bar {index},,bar,999,-73.9,,\n" for index in range(25))

    page = import_files({"venues": upload("venues", VENUES_HEADER + "\n" + rows)})

    body = page.content.decode()
    assert "venues.csv: the first 20 of 25 bad rows" in body
    assert "venues.csv line 21, field" in body and "venues.csv line 22, field" not in body


def test_an_upload_over_the_limit_is_refused_with_a_clear_message(admin_client, settings):
    settings.LUNA_DATA_UPLOAD_MAX_BYTES = 2048
    rows = "".join(f",Bar {index},,bar,40.7,-73.9,,\n" for index in range(100))

    response = admin_client.post("/admin/data/import/", {"venues": upload("venues", VENUES_HEADER + "\n" + rows)})

    assert response.status_code == 413
    assert "the limit is 2.0 KB (LUNA_DATA_UPLOAD_MAX_BYTES)" in response.content.decode()
    assert not Venue.objects.exists() and not DataJob.objects.exists()


def test_the_import_takes_uploads_larger_than_the_api_body_limit(import_files, settings):
    settings.LUNA_MAX_REQUEST_BYTES = 1024
    rows = "".join(f",Bar {index},,bar,40.7,-73.9,,\n" for index in range(100))

    import_files({"venues": upload("venues", VENUES_HEADER + "\n" + rows), "dry_run": "off"})

    assert Venue.objects.count() == 100


def test_an_upload_without_any_file_says_which_files_it_takes(admin_client):
    response = admin_client.post("/admin/data/import/", {"dry_run": "on"})

    assert response.status_code == 400
    assert "Choose at least one file: users.csv, venues.csv, interactions.csv, edges.csv." in response.content.decode()


def test_a_chunked_upload_is_asked_for_its_length(admin_client):
    # A server that can tell where a chunked body ends (gunicorn sets wsgi.input_terminated): other
    # paths read such a body into memory, up to 1 MB; an upload of up to 200 MB must say its length.
    response = admin_client.generic(
        "POST", "/admin/data/import/", b"", content_type="multipart/form-data; boundary=x",
        HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input_terminated": True},
    )  # fmt: skip

    assert response.status_code == 411
    assert response.json() == {"detail": "Send the upload with a Content-Length header."}


def test_someone_elses_staged_upload_cannot_be_imported(import_files, client, root):
    staged = import_files({"venues": upload("venues", GOOD_VENUES)}).context["job"]["result"]["staged"]
    other = UserFactory(handle="sam", is_staff=True, is_superuser=True)
    client.force_login(other)

    response = client.post("/admin/data/import/", {"staged": staged, "dry_run": "off"})

    assert response.status_code == 404 and not Venue.objects.exists()


def test_a_second_confirmation_says_on_the_page_why_the_upload_is_gone(import_files, admin_client):
    staged = import_files({"venues": upload("venues", GOOD_VENUES)}).context["job"]["result"]["staged"]
    import_files({"staged": staged, "dry_run": "off"})

    twice = admin_client.post("/admin/data/import/", {"staged": staged, "dry_run": "off"}, HTTP_ACCEPT="text/html")

    assert twice.status_code == 404
    assert "it was imported already, or is more than a day old; upload it again" in twice.content.decode()
    assert Venue.objects.count() == 2


def test_an_upload_dry_run_more_than_a_day_ago_cannot_be_confirmed(import_files, admin_client):
    staged = import_files({"venues": upload("venues", GOOD_VENUES)}).context["job"]["result"]["staged"]
    folder = data_jobs.upload_folder(staged)
    old = time.time() - data_jobs.UPLOAD_KEPT_SECONDS - 60
    os.utime(folder, (old, old))

    response = admin_client.post("/admin/data/import/", {"staged": staged, "dry_run": "off"}, HTTP_ACCEPT="text/html")

    assert response.status_code == 404
    assert "more than a day old; upload it again" in response.content.decode()
    assert not Venue.objects.exists()


# --- Who may use it ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("who", ["staff without the permission", "a member"])
def test_staff_without_the_permission_and_members_get_403(client, path, who):
    mallory = UserFactory(handle="mallory", is_staff=who.startswith("staff"))
    client.force_login(mallory)

    response = client.get(path) if path.endswith(("data/", "1/")) else client.post(path, {"replace": "on"})

    assert response.status_code == 403
    assert not User.objects.filter(is_staff=False).exclude(handle="mallory").exists()


@pytest.mark.parametrize("path", PATHS)
def test_anonymous_visitors_are_sent_to_the_login_page(client, path):
    response = client.get(path) if path.endswith(("data/", "1/")) else client.post(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/admin/data/")


def test_staff_holding_can_load_data_may_use_it_and_the_index_links_to_it(client):
    sam = UserFactory(handle="sam", is_staff=True)
    client.force_login(sam)
    assert "/admin/data/" not in client.get("/admin/").content.decode()

    sam.user_permissions.add(Permission.objects.get(codename="load_data", content_type__app_label="world"))
    sam = User.objects.get(pk=sam.pk)  # permissions are cached per instance
    client.force_login(sam)

    assert client.get("/admin/data/").status_code == 200
    index = client.get("/admin/").content.decode()
    assert 'href="/admin/data/"' in index and "Load or import data" in index
    assert client.post("/admin/data/import/", {"venues": upload("venues", GOOD_VENUES)}).status_code == 303
