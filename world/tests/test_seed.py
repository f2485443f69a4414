from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from plans.models import Booking, Plan, PlanParticipant
from social.models import SocialEdge
from users.models import User
from venues.models import Interaction, Venue
from venues.tests.factories import VenueFactory
from world.demo import world_reset

pytestmark = pytest.mark.django_db

DEMO_CENTER = (40.73061, -73.935242)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed", *args, stdout=out)
    return out.getvalue()


def world() -> dict[str, int]:
    return {
        "users": User.objects.filter(is_staff=False).count(),
        "venues": Venue.objects.count(),
        "interactions": Interaction.objects.count(),
        "edges": SocialEdge.objects.count(),
        "plans": Plan.objects.count(),
        "participants": PlanParticipant.objects.count(),
    }


def test_it_loads_the_demo_world():
    seed()

    assert world() == {
        "users": 24,
        "venues": 20,
        "interactions": 275,
        "edges": 24 * 23,
        "plans": 5,
        "participants": 25,
    }
    alice_bob = SocialEdge.objects.get(user__handle="alice", other_user__handle="bob")
    bob_alice = SocialEdge.objects.get(user__handle="bob", other_user__handle="alice")
    assert (alice_bob.relationship_type, alice_bob.strength) == ("friend", 0.95)
    assert (bob_alice.relationship_type, bob_alice.strength) == ("friend", 0.95)
    assert Interaction.objects.filter(
        user__handle="alice", venue__name="Sunset Rooftop Bar", interaction_type="like", dwell_time_seconds=260
    ).exists()
    assert Plan.objects.get(organizer__handle="eva").participants.filter(user__handle="mia", status="invited").exists()


def test_every_demo_user_has_eight_to_twelve_random_interactions_and_a_home_near_the_centre():
    seed()

    for user in User.objects.all():
        curated = 3 if user.handle in {"alice", "bob", "carol", "dave", "eva"} else 0
        assert 8 <= user.interactions.count() - curated <= 12
        assert abs(user.home_lat - DEMO_CENTER[0]) <= 0.02
        assert abs(user.home_lng - DEMO_CENTER[1]) <= 0.02
        assert not user.has_usable_password()


def test_demo_plans_start_one_two_seven_three_and_five_days_after_loading():
    before = timezone.now()
    seed()
    after = timezone.now()

    expected_days = {"alice": 1, "bob": 2, "carol": 7, "dave": 3, "eva": 5}
    for plan in Plan.objects.select_related("organizer"):
        days = timedelta(days=expected_days[plan.organizer.handle])
        assert before + days <= plan.start_time <= after + days
        assert plan.status == Plan.Status.PENDING


def test_the_demo_lives_in_the_sixty_days_before_loading():
    before = timezone.now()
    seed()
    after = timezone.now()

    moments = list(Interaction.objects.values_list("created_at", flat=True))
    assert before - timedelta(days=60) <= min(moments)
    assert max(moments) <= after
    assert Interaction.objects.filter(created_at__gte=before - timedelta(days=14)).count() >= 30
    assert Interaction.objects.filter(created_at__lt=before - timedelta(days=30)).count() >= 30
    # Everyone and everything existed before their first interaction; plans were made before they start.
    first = min(moments)
    for model in (User, Venue, SocialEdge):
        assert model.objects.filter(created_at__gt=first).count() == 0
    for plan in Plan.objects.all():
        assert plan.created_at < before <= plan.start_time
        assert plan.participants.filter(created_at__gt=plan.start_time).count() == 0


def test_the_demo_loads_the_same_content_at_any_moment():
    def content():
        return list(
            Interaction.objects.order_by("id").values_list(
                "id", "user__handle", "venue__name", "interaction_type", "dwell_time_seconds"
            )
        ), list(Interaction.objects.order_by("id").values_list("created_at", flat=True))

    seed()
    first, first_moments = content()
    seed("--reset")
    second, second_moments = content()

    assert first == second
    shift = second_moments[0] - first_moments[0]
    assert timedelta(0) <= shift < timedelta(minutes=1)
    assert [moment - shift for moment in second_moments] == first_moments


def test_evaluate_from_the_database_measures_users_on_a_fresh_demo_world():
    seed()
    out = StringIO()

    call_command("evaluate", "--from-database", "--holdout-days", "14", "--rankers", "formula", stdout=out)

    row = next(line for line in out.getvalue().splitlines() if line.startswith("formula"))
    assert int(row.split()[-2]) > 0  # users evaluated


def test_seeding_twice_changes_nothing_and_keeps_edits():
    seed()
    venue = Venue.objects.get(name="Sunset Rooftop Bar")
    venue.name = "Sunset Rooftop Bar (renamed)"
    venue.save()
    first = world()
    start_times = dict(Plan.objects.values_list("id", "start_time"))

    output = seed()

    assert "already present" in output
    assert world() == first
    assert dict(Plan.objects.values_list("id", "start_time")) == start_times
    assert Venue.objects.filter(name="Sunset Rooftop Bar (renamed)").exists()


def test_loading_the_demo_world_saves_plans_only_as_raw_fixture_rows():
    saves = []

    def record(sender, instance, raw, **kwargs):
        saves.append(raw)

    post_save.connect(record, sender=Plan)
    try:
        seed()
    finally:
        post_save.disconnect(record, sender=Plan)

    assert saves == [True] * 5
    assert not Booking.objects.exists()


def test_it_leaves_other_data_alone_instead_of_loading_the_demo_world_over_it():
    VenueFactory(name="Somebody's venue")

    output = seed()

    assert "holds other Luna data (1 venues); the demo world was not loaded" in output
    assert not User.objects.exists()
    assert list(Venue.objects.values_list("name", flat=True)) == ["Somebody's venue"]


def test_rows_added_after_the_demo_world_get_fresh_ids():
    seed()
    alice = User.objects.get(handle="alice")
    venue = Venue.objects.get(name="Chelsea Art Loft")

    added = Interaction.objects.create(user=alice, venue=venue, interaction_type="view", dwell_time_seconds=5)

    assert added.pk > 275
    assert Interaction.objects.count() == 276


def test_a_synthetic_world_has_exactly_the_requested_counts():
    output = seed("--users", "50", "--venues", "80", "--interactions", "500")

    assert world() == {
        "users": 50,
        "venues": 80,
        "interactions": 500,
        "edges": 50 * 20,
        "plans": 0,
        "participants": 0,
    }
    assert "Done in" in output
    assert "interactions" in output and "500 / 500 (100%)" in output


def test_a_synthetic_world_is_realistic():
    seed("--users", "40", "--venues", "200", "--interactions", "2000", "--degree", "5", "--random-seed", "3")

    edges = list(SocialEdge.objects.values_list("user_id", "other_user_id"))
    assert len(edges) == len(set(edges)) == 40 * 5
    assert all(user != other for user, other in edges)
    for user in User.objects.exclude(home_lat=None):
        # About 15 km around Manhattan: well inside a 0.2 degree box.
        assert abs(user.home_lat - 40.7831) < 0.2 and abs(user.home_lng + 73.9712) < 0.25
        assert not user.has_usable_password()
    assert Venue.objects.filter(category="").exists()
    assert Venue.objects.exclude(category="").values("category").distinct().count() >= 8
    assert not Venue.objects.exclude(price_level=None).exclude(price_level__range=(1, 4)).exists()
    assert not Venue.objects.exclude(rating=None).exclude(rating__range=(0, 5)).exists()
    types = set(Interaction.objects.values_list("interaction_type", flat=True).distinct())
    assert types == {"view", "like", "interest"}
    assert not Interaction.objects.filter(interaction_type="view").exclude(dwell_time_seconds__range=(30, 270)).exists()
    assert (
        not Interaction.objects.exclude(interaction_type="view").exclude(dwell_time_seconds__range=(120, 360)).exists()
    )


def test_the_same_random_seed_gives_the_same_world():
    args = ("--users", "30", "--venues", "30", "--interactions", "100", "--degree", "3", "--random-seed", "7")
    seed(*args)
    first = (
        sorted(User.objects.values_list("id", "handle", "home_lat", "home_lng")),
        sorted(Venue.objects.values_list("id", "name", "category", "rating")),
        sorted(Interaction.objects.values_list("user_id", "venue_id", "interaction_type", "dwell_time_seconds")),
        sorted(SocialEdge.objects.values_list("user_id", "other_user_id", "strength")),
    )

    seed("--reset", *args)

    assert first == (
        sorted(User.objects.values_list("id", "handle", "home_lat", "home_lng")),
        sorted(Venue.objects.values_list("id", "name", "category", "rating")),
        sorted(Interaction.objects.values_list("user_id", "venue_id", "interaction_type", "dwell_time_seconds")),
        sorted(SocialEdge.objects.values_list("user_id", "other_user_id", "strength")),
    )


def test_synthetic_seeding_refuses_a_world_that_is_not_empty():
    seed("--users", "5", "--venues", "5", "--interactions", "5")

    out = StringIO()
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed", "--users", "5", "--venues", "5", "--interactions", "5", stdout=out)

    assert world()["users"] == 5
    assert "Generating" not in out.getvalue()  # refused before claiming to generate anything


def test_reset_says_what_it_deletes_then_replaces_the_world_and_keeps_staff(staff):
    seed()

    output = seed("--reset", "--users", "10", "--venues", "12", "--interactions", "30", "--degree", "2")

    assert "--reset deletes (staff accounts are kept):" in output
    assert "interactions" in output and " 275" in output
    assert "social edges" in output and " 552" in output
    assert world() == {"users": 10, "venues": 12, "interactions": 30, "edges": 20, "plans": 0, "participants": 0}
    assert not User.objects.filter(handle="alice").exists()
    assert User.objects.filter(pk=staff.pk).exists()


def test_reset_reloads_the_demo_world():
    seed()
    Venue.objects.filter(name="Sunset Rooftop Bar").update(name="Edited")

    seed("--reset")

    assert Venue.objects.filter(name="Sunset Rooftop Bar").exists()
    assert world()["venues"] == 20


def test_it_rejects_a_degree_that_needs_more_users_before_resetting_anything():
    seed()

    with pytest.raises(CommandError, match="--degree 10 is impossible with 5 users"):
        seed("--reset", "--users", "5", "--venues", "5", "--interactions", "5", "--degree", "10")

    assert world()["users"] == 24


def test_it_rejects_a_negative_random_seed_before_resetting_anything():
    seed()

    with pytest.raises(CommandError, match="--random-seed must be at least 0."):
        seed("--reset", "--users", "5", "--venues", "5", "--interactions", "5", "--random-seed", "-1")

    assert world()["users"] == 24


def test_a_random_seed_alone_is_refused():
    with pytest.raises(CommandError, match="--random-seed applies to a synthetic world"):
        seed("--random-seed", "3")

    assert not User.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statement timeout")
def test_a_reset_and_the_load_after_it_are_not_cut_off_by_the_statement_timeout_meant_for_requests():
    # Emptying a world of a million interactions and loading another one runs for minutes in one
    # transaction (seed --reset, Replace on the Data page); the connection's statement timeout
    # (LUNA_DB_STATEMENT_TIMEOUT_MS) is for requests. Here a statement of 50 ms against one of 10 ms.
    seed()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 10")
        world_reset()
        cursor.execute("SELECT pg_sleep(0.05)")

    assert world()["users"] == 0
