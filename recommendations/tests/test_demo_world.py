"""The demo world (fixtures/demo_world.json, loaded by `manage.py seed`) gives sensible recommendations."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from users.models import User
from venues.models import Interaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_alice(db) -> User:
    call_command("seed", stdout=StringIO())
    return User.objects.get(handle="alice")


def test_venues_alice_liked_rank_above_every_venue_she_never_touched(client_for, demo_alice):
    body = client_for(demo_alice).get(f"/reco/venues/{demo_alice.pk}/", {"limit": 100}).json()
    rank = {row["venue_name"]: index for index, row in enumerate(body)}
    liked = set(
        Interaction.objects.filter(user=demo_alice, interaction_type__in=["like", "interest"]).values_list(
            "venue__name", flat=True
        )
    )
    touched = set(Interaction.objects.filter(user=demo_alice).values_list("venue__name", flat=True))
    untouched = set(rank) - touched
    assert {"Sunset Rooftop Bar", "Midnight Coffee Lab", "Chelsea Art Loft"} <= liked
    assert untouched, "the demo world leaves some venues untouched by alice"
    assert max(rank[name] for name in liked) < min(rank[name] for name in untouched)


def test_a_liked_venue_beats_a_closer_equally_popular_untouched_one(client_for, demo_alice):
    body = client_for(demo_alice).get(f"/reco/venues/{demo_alice.pk}/", {"limit": 100}).json()
    row = {row["venue_name"]: row for row in body}
    liked, untouched = row["Speakeasy Cocktail Den"], row["Underground Comedy Cellar"]
    assert untouched["distance_km"] < liked["distance_km"]
    assert untouched["features"]["popularity"] == liked["features"]["popularity"]
    assert body.index(liked) < body.index(untouched)


def test_alices_closest_friends_who_like_the_venue_come_first(client_for, demo_alice):
    from venues.models import Venue

    bar = Venue.objects.get(name="Sunset Rooftop Bar")
    body = client_for(demo_alice).get(f"/reco/people/{demo_alice.pk}/", {"venue_id": str(bar.pk), "limit": 100}).json()
    assert body == sorted(body, key=lambda row: (-row["score"], row["user_id"]))
    top = body[0]
    assert top["features"]["direct"] > 0
    assert all(row["handle"] != "alice" for row in body)


def test_recommend_prints_both_tables_for_alice(demo_alice):
    out = StringIO()
    call_command("recommend", "alice", "--venue", "Sunset Rooftop Bar", "--limit", "5", stdout=out)
    text = out.getvalue()
    assert "Venues for alice (Alice Chen; home " in text
    assert "People for alice at Sunset Rooftop Bar (bar)" in text
    lines = text.splitlines()
    venue_header = next(line for line in lines if line.lstrip().startswith("#  venue"))
    assert venue_header.split() == [
        "#", "venue", "category", "score", "distance_km", "spatial", "preference", "popularity"
    ]  # fmt: skip
    assert text.count("\n 1  ") + text.count("\n1  ") == 2
