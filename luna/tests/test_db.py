"""A compiled read answers what its queryset answers, for whichever ids it is given."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from luna.db import CompiledRead
from users.tests.factories import UserFactory
from venues.models import Interaction, Venue
from venues.tests.factories import InteractionFactory, VenueFactory

pytestmark = pytest.mark.django_db


def likes_per_venue(user_ids):
    return (
        Interaction.objects.filter(user_id__in=user_ids, interaction_type="like")
        .order_by("venue_id")
        .values("venue_id")
        .annotate(likes=Count("id"))
        .values_list("venue_id", "likes")
    )


LIKES_PER_VENUE = CompiledRead(likes_per_venue)


@pytest.fixture
def world():
    alice, bob, carol = UserFactory(handle="alice"), UserFactory(handle="bob"), UserFactory(handle="carol")
    cafe, bar = VenueFactory(name="Cafe"), VenueFactory(name="Bar")
    InteractionFactory(user=alice, venue=cafe, interaction_type="like")
    InteractionFactory(user=alice, venue=bar, interaction_type="view")
    InteractionFactory(user=bob, venue=bar, interaction_type="like")
    InteractionFactory(user=carol, venue=bar, interaction_type="like")
    return alice, bob, carol, cafe, bar


def test_it_answers_what_the_queryset_answers_for_each_call_s_ids(world):
    alice, bob, carol, cafe, bar = world
    for ids in ([alice.id], [bob.id], [alice.id, bob.id], [bob.id, carol.id], [carol.id, bob.id, alice.id]):
        assert LIKES_PER_VENUE.rows(user_ids=ids) == list(likes_per_venue(ids))
    assert LIKES_PER_VENUE.rows(user_ids=[alice.id]) == [(cafe.id, 1)]
    assert LIKES_PER_VENUE.rows(user_ids=[bob.id, carol.id]) == [(bar.id, 2)]
    assert LIKES_PER_VENUE.rows(user_ids=[uuid.uuid4()]) == []


def test_it_binds_a_single_id_and_converts_the_rows_as_the_orm_does(world):
    alice, *_ = world
    by_pk = CompiledRead(
        lambda user_id: Interaction.objects.filter(user_id=user_id).order_by("id").values_list("venue_id", "created_at")
    )
    rows = by_pk.rows(user_id=alice.id)
    assert rows == list(
        Interaction.objects.filter(user_id=alice.id).order_by("id").values_list("venue_id", "created_at")
    )
    assert all(isinstance(venue_id, uuid.UUID) for venue_id, _ in rows)


def test_it_runs_one_query_and_reads_without_ids(world):
    latest = CompiledRead(lambda: Venue.objects.order_by("-name").values_list("name")[:1])
    latest.rows()
    with CaptureQueriesContext(connection) as captured:
        assert latest.rows() == [("Cafe",)]
    assert len(captured) == 1


def test_it_refuses_a_query_that_ignores_an_id():
    ignoring = CompiledRead(lambda user_ids: Venue.objects.values_list("id"))
    with pytest.raises(ValueError, match="does not bind every id"):
        ignoring.rows(user_ids=[uuid.uuid4()])


def test_lists_of_any_length_share_a_few_compiled_statements(world):
    alice, bob, carol, *_ = world
    read = CompiledRead(likes_per_venue)
    people = [alice.id, bob.id, carol.id, *(uuid.uuid4() for _ in range(37))]
    for length in range(1, len(people) + 1):
        assert read.rows(user_ids=people[:length]) == list(likes_per_venue(people[:length]))
    assert len(read._compiled) == 7  # 1, 2, 4, 8, 16, 32 and 64 ids


def test_an_empty_list_is_refused_rather_than_run():
    with pytest.raises(ValueError, match="empty list"):
        LIKES_PER_VENUE.rows(user_ids=[])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
def test_postgresql_connections_price_random_reads_for_ssds():
    """With the server's default (4) a group's friends read hashes the whole users table."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone() == ("1.1",)
