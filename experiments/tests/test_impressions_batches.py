"""What recommendations showed is written in batches by each process's flusher thread, off the request
path: when a batch is full or its oldest row has waited the flush seconds, everything at a clean exit,
within the daily bound, and soon enough for outcomes to find their impression."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django.utils import timezone
from prometheus_client import REGISTRY

from experiments import impressions
from experiments.models import Impression, Outcome
from luna.tests.test_faults import free_port, run_in_django
from users.services import auth_token_create
from venues.models import Interaction
from venues.tests.factories import VenueFactory

PROJECT = Path(__file__).resolve().parents[2]

# The flusher writes on a connection of its own: it sees (and is seen) only through committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: another process must reach the test database"
)


@pytest.fixture
def venues():
    return [VenueFactory(lat=40.7306 + 0.001 * i, lng=-73.9352 - 0.001 * i) for i in range(10)]


@pytest.fixture
def batches(settings):
    """The flusher as production runs it, with the given batch size and seconds."""

    def configure(*, rows: int, seconds: float) -> None:
        settings.LUNA_IMPRESSIONS_BATCH_ROWS = rows
        settings.LUNA_IMPRESSIONS_FLUSH_SECONDS = seconds

    yield configure
    impressions.impressions_discard()
    with impressions._writing:  # a write in progress ends before the test's tables are emptied
        pass


def eventually(check, seconds: float = 10.0):
    """check()'s first true value within `seconds` (polled), else its last."""
    deadline = time.monotonic() + seconds
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return value


def batch_writes() -> tuple[float, float]:
    """(writes, rows written) as the batch-size histogram has counted them."""
    count = REGISTRY.get_sample_value("luna_impressions_batch_rows_count") or 0
    return count, REGISTRY.get_sample_value("luna_impressions_batch_rows_sum") or 0


def recommend(client, user, limit: int = 5) -> list[dict]:
    response = client.get(f"/reco/venues/{user.pk}/", {"limit": limit})
    assert response.status_code == 200
    return response.json()


def test_answers_wait_in_the_buffer_until_a_batch_is_full_then_one_insert_writes_them(
    client_for, alice, bob, venues, batches
):
    batches(rows=12, seconds=60)
    writes_before, rows_before = batch_writes()
    first = recommend(client_for(alice), alice)
    second = recommend(client_for(bob), bob)
    assert not Impression.objects.exists()  # the requests wrote nothing; 10 rows wait for 12
    third = recommend(client_for(alice), alice)
    assert eventually(lambda: Impression.objects.count() == 15)
    assert batch_writes() == (writes_before + 1, rows_before + 15)
    for answer in (first, second, third):
        stored = Impression.objects.filter(recommendation_id=answer[0]["recommendation_id"]).order_by("rank")
        assert [str(row.venue_id) for row in stored] == [row["venue_id"] for row in answer]


def test_a_quiet_process_writes_what_it_holds_within_the_flush_seconds(client_for, alice, venues, batches):
    batches(rows=1000, seconds=0.5)
    answer = recommend(client_for(alice), alice)
    shown_at = time.monotonic()
    assert eventually(lambda: Impression.objects.count() == 5, seconds=5)
    assert time.monotonic() - shown_at < 3
    assert {str(row.recommendation_id) for row in Impression.objects.all()} == {answer[0]["recommendation_id"]}


def test_the_daily_bound_keeps_the_earliest_answers_of_a_batch(client_for, alice, bob, venues, batches, settings):
    settings.LUNA_IMPRESSIONS_PER_USER_PER_DAY = 12
    batches(rows=25, seconds=60)
    answers = [recommend(client_for(alice), alice) for _ in range(4)]
    recommend(client_for(bob), bob)  # the 25th row: one batch for all
    assert eventually(lambda: Impression.objects.filter(user=bob).count() == 5)
    stored = Impression.objects.filter(user=alice)
    assert stored.count() == 12  # two answers, then ranks 1-2 of the third, as row by row
    assert sorted(
        stored.filter(recommendation_id=answers[2][0]["recommendation_id"]).values_list("rank", flat=True)
    ) == [
        1,
        2,
    ]
    assert not stored.filter(recommendation_id=answers[3][0]["recommendation_id"]).exists()


def test_an_interaction_right_after_the_answer_finds_its_impression_in_this_process(client_for, alice, venues, batches):
    batches(rows=1000, seconds=60)
    answer = recommend(client_for(alice), alice)
    response = client_for(alice).post(
        f"/venues/{answer[1]['venue_id']}/interactions/", {"interaction_type": "like"}, format="json"
    )
    assert response.status_code == 201
    outcome = Outcome.objects.get()  # at once: this process wrote its buffer first
    assert (outcome.kind, outcome.impression.rank) == ("like", 2)
    assert str(outcome.impression.recommendation_id) == answer[0]["recommendation_id"]
    assert Impression.objects.count() == 5


@on_postgres
def test_a_write_an_interaction_asks_for_is_not_part_of_its_transaction(client_for, alice, venues, batches):
    batches(rows=1000, seconds=60)
    answer = recommend(client_for(alice), alice)
    # A row of an account deleted since it was shown: the batch fails on its foreign key, at commit.
    impressions.impressions_record(
        recommendation_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        venue_ids=[venues[0].pk],
        ranker="formula",
        model_version=None,
    )
    failed_before = REGISTRY.get_sample_value("luna_impressions_failed_total") or 0
    response = client_for(alice).post(
        f"/venues/{answer[0]['venue_id']}/interactions/", {"interaction_type": "like"}, format="json"
    )
    assert response.status_code == 201  # the like is stored; the batch's failure is the batch's
    assert Interaction.objects.filter(user=alice, interaction_type="like").count() == 1
    assert REGISTRY.get_sample_value("luna_impressions_failed_total") == failed_before + 6
    assert not Impression.objects.exists() and not Outcome.objects.exists()


def test_an_impression_another_process_writes_after_the_interaction_still_gets_the_outcome(
    client_for, alice, venues, batches
):
    batches(rows=1000, seconds=0.5)
    venue = venues[3]
    recommendation_id = uuid.uuid4()
    shown_at = timezone.now() - timedelta(seconds=0.3)
    response = client_for(alice).post(
        f"/venues/{venue.pk}/interactions/",
        {"interaction_type": "interest", "recommendation_id": str(recommendation_id)},
        format="json",
    )
    assert response.status_code == 201
    assert not Outcome.objects.exists()
    # Another worker's flusher writes the answer that showed it, within its second.
    Impression.objects.create(
        recommendation_id=recommendation_id, user=alice, venue=venue, rank=4, ranker="formula", created_at=shown_at
    )
    outcome = eventually(lambda: Outcome.objects.first(), seconds=6)
    assert outcome is not None
    assert (outcome.kind, outcome.sent_by_client, outcome.impression.recommendation_id) == (
        "interest",
        True,
        recommendation_id,
    )
    assert outcome.created_at == Interaction.objects.get().created_at  # attributed as of the interaction
    time.sleep(1.6)  # tried once more only: one outcome
    assert Outcome.objects.count() == 1


def test_a_clean_shutdown_writes_every_row_waiting(client_for, alice, venues, batches):
    batches(rows=1000, seconds=60)
    answers = [recommend(client_for(alice), alice, limit=4) for _ in range(3)]
    assert not Impression.objects.exists()
    impressions.impressions_shutdown()
    assert not impressions._pending
    stored = Impression.objects.filter(user=alice)
    assert stored.count() == 12
    assert {str(row) for row in stored.values_list("recommendation_id", flat=True)} == {
        answer[0]["recommendation_id"] for answer in answers
    }


def test_a_clean_shutdown_attributes_the_interactions_waiting_on_other_processes(client_for, alice, venues, batches):
    batches(rows=1000, seconds=1)
    venue = venues[5]
    client_for(alice).post(f"/venues/{venue.pk}/interactions/", {"interaction_type": "view"}, format="json")
    # Shown by another process, which writes it at its own exit.
    Impression.objects.create(
        recommendation_id=uuid.uuid4(),
        user=alice,
        venue=venue,
        rank=1,
        ranker="formula",
        created_at=timezone.now() - timedelta(seconds=1),
    )
    assert not Outcome.objects.exists()
    started = time.monotonic()
    impressions.impressions_shutdown()
    assert time.monotonic() - started < 5  # it waits for the other processes' writes, not forever
    assert list(Outcome.objects.values_list("kind", "impression__venue")) == [("view", venue.pk)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_starts_with_an_empty_buffer_and_its_own_flusher(alice, batches):
    batches(rows=1000, seconds=60)
    impressions.impressions_record(
        recommendation_id=uuid.uuid4(), user_id=alice.pk, venue_ids=[uuid.uuid4()], ranker="formula", model_version=None
    )
    assert len(impressions._pending) == 1 and impressions._flusher.is_alive()
    child = os.fork()
    if child == 0:  # the child: the parent's row is the parent's to write
        fresh = not impressions._pending and impressions._flusher is None
        os._exit(0 if fresh else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert len(impressions._pending) == 1


def test_a_failed_write_is_counted_and_the_flusher_goes_on(client_for, alice, venues, batches, monkeypatch):
    batches(rows=5, seconds=60)
    failed_before = REGISTRY.get_sample_value("luna_impressions_failed_total") or 0
    real_insert = impressions._insert
    calls = []

    def insert_failing_once(rows, **options):
        calls.append(len(rows))
        if len(calls) == 1:
            raise OperationalError("server closed the connection")
        real_insert(rows, **options)

    monkeypatch.setattr(impressions, "_insert", insert_failing_once)
    recommend(client_for(alice), alice)
    assert eventually(lambda: REGISTRY.get_sample_value("luna_impressions_failed_total") == failed_before + 5)
    answer = recommend(client_for(alice), alice)
    assert eventually(lambda: Impression.objects.count() == 5)
    assert {str(row) for row in Impression.objects.values_list("recommendation_id", flat=True)} == {
        answer[0]["recommendation_id"]
    }


@pytest.mark.slow
@on_postgres
def test_a_process_that_exits_writes_the_rows_it_held(alice, venues):
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )
    script = f"""
import uuid
from experiments.impressions import impressions_record
from experiments.models import Impression
impressions_record(recommendation_id=uuid.uuid4(), user_id=uuid.UUID("{alice.pk}"),
                   venue_ids=[uuid.UUID(v) for v in {[str(venue.pk) for venue in venues[:7]]!r}],
                   ranker="formula", model_version=None)
print(Impression.objects.count())
"""
    os.environ["LUNA_IMPRESSIONS_FLUSH_SECONDS"] = "60"
    try:
        result = run_in_django(url, script)
    finally:
        del os.environ["LUNA_IMPRESSIONS_FLUSH_SECONDS"]
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0"]  # nothing written while it ran (the batch waits 60 s)
    assert sorted(Impression.objects.filter(user=alice).values_list("rank", flat=True)) == list(range(1, 8))


@pytest.mark.slow
@on_postgres
def test_a_gunicorn_worker_stopped_cleanly_writes_every_answer_it_served(alice, venues):
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )
    token = auth_token_create(user=alice)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "luna.wsgi"],
        cwd=PROJECT,
        env={
            **os.environ,
            "DATABASE_URL": url,
            "GUNICORN_WORKERS": "1",
            "LUNA_IMPRESSIONS_FLUSH_SECONDS": "60",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        served = set()
        for _ in range(3):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/reco/venues/{alice.pk}/?limit=4", headers={"Authorization": f"Token {token}"}
            )
            with urllib.request.urlopen(request, timeout=20) as response:
                served.add(json.loads(response.read())[0]["recommendation_id"])
        time.sleep(0.5)
        assert not Impression.objects.exists()  # held by the worker: its batch waits 60 s
    finally:
        server.send_signal(signal.SIGTERM)  # a clean stop: the worker finishes and exits
        server.wait(timeout=60)
    assert server.returncode == 0
    assert Impression.objects.count() == 12
    assert {str(row) for row in Impression.objects.values_list("recommendation_id", flat=True)} == served
