"""Writes show up in the next recommendation, or within LUNA_RECO["CACHE_STALENESS_SECONDS"].

The catalogue's guarantees. With candidate lists kept (recommendations.candidates), the user's own
writes and venue changes still show in the next answer, and what others do (popularity) within
LUNA_CANDIDATES_MAX_AGE (test_candidates): the tests of popularity counts here rank live, with no list kept.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from recommendations.catalogue import DELETIONS_CACHE_KEY, CatalogueCache, _popularity_key, catalogue_cache
from recommendations.prefork import recommendations_warm
from recommendations.services import recommend_people, recommend_venues
from social.tests.factories import SocialEdgeFactory
from venues.models import Interaction, Venue
from venues.tests.factories import InteractionFactory, VenueFactory

pytestmark = pytest.mark.django_db


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(catalogue_cache, "clock", fake)
    return fake


@pytest.fixture
def ranked_live(settings):
    """No candidate list kept: every answer ranks over the catalogue, whose popularity is under test."""
    settings.LUNA_CANDIDATES = 0


def popularity_by_name(user) -> dict[str, float]:
    return {row.venue_name: row.features["popularity"] for row in recommend_venues(user, limit=100)}


@pytest.mark.usefixtures("ranked_live")
def test_a_new_interaction_counts_in_the_next_recommendation(alice, bob, charlie, venues_near_alice, clock):
    near_bar, middle_bar = venues_near_alice[:2]
    InteractionFactory(user=bob, venue=near_bar, interaction_type="like")
    assert popularity_by_name(alice)["Middle Bar"] == 0.0  # the catalogue is now loaded

    InteractionFactory(user=bob, venue=middle_bar, interaction_type="interest")
    InteractionFactory(user=charlie, venue=middle_bar, interaction_type="like")
    InteractionFactory(user=bob, venue=middle_bar, interaction_type="view")

    popularity = popularity_by_name(alice)
    assert popularity["Middle Bar"] == 1.0
    assert popularity["Near Bar"] == 0.5


def test_popularity_counts_users_not_interactions_on_every_path(alice, bob, charlie, venues_near_alice, clock):
    near_bar, middle_bar = venues_near_alice[:2]
    InteractionFactory(user=bob, venue=near_bar, interaction_type="like")
    InteractionFactory(user=charlie, venue=near_bar, interaction_type="like")
    InteractionFactory.create_batch(5, user=bob, venue=middle_bar, interaction_type="like")
    # The full load...
    assert popularity_by_name(alice) == {"Near Bar": 1.0, "Middle Bar": 0.5, "Far Bar": 0.0, "Uptown Cafe": 0.0}
    # ...and the new interactions added to it: 80 more likes from one account move nothing.
    InteractionFactory.create_batch(80, user=bob, venue=middle_bar, interaction_type="like")
    InteractionFactory(user=bob, venue=middle_bar, interaction_type="interest")
    assert popularity_by_name(alice)["Middle Bar"] == 0.5
    InteractionFactory(user=alice, venue=middle_bar, interaction_type="like")
    assert popularity_by_name(alice)["Middle Bar"] == 1.0


def test_a_new_venue_appears_in_the_next_recommendation(alice, venues_near_alice, clock):
    recommend_venues(alice, limit=100)
    VenueFactory(name="Brand New Bar", lat=alice.home_lat, lng=alice.home_lng)
    assert recommend_venues(alice, limit=1)[0].venue_name == "Brand New Bar"


def test_an_edited_venue_is_seen_in_the_next_recommendation(alice, venues_near_alice, clock):
    recommend_venues(alice, limit=100)
    far_bar = venues_near_alice[2]
    far_bar.name = "Moved Bar"
    far_bar.category = "music"
    far_bar.lat, far_bar.lng = alice.home_lat, alice.home_lng
    far_bar.save()

    best = recommend_venues(alice, limit=1)[0]
    assert (best.venue_name, best.category, best.distance_km) == ("Moved Bar", "music", 0.0)
    assert [r.venue_name for r in recommend_venues(alice, limit=10, categories=["music"])] == ["Moved Bar"]


@pytest.mark.usefixtures("ranked_live")
def test_a_deletion_is_seen_once_the_bound_has_passed(alice, bob, charlie, venues_near_alice, clock):
    near_bar, middle_bar = venues_near_alice[:2]
    InteractionFactory(user=bob, venue=near_bar, interaction_type="like")
    InteractionFactory(user=bob, venue=middle_bar, interaction_type="like")
    InteractionFactory(user=charlie, venue=middle_bar, interaction_type="like")
    InteractionFactory(user=alice, venue=middle_bar, interaction_type="view")  # the newest interaction survives
    assert popularity_by_name(alice)["Near Bar"] == 0.5

    Interaction.objects.filter(venue=middle_bar, interaction_type="like").first().delete()
    clock.now += settings.LUNA_RECO["CACHE_STALENESS_SECONDS"] - 0.01
    # Within the bound the process may still serve the old counts...
    assert popularity_by_name(alice)["Near Bar"] == 0.5
    clock.now += 0.01
    # ...and once it has passed it must not.
    assert popularity_by_name(alice)["Near Bar"] == 1.0


def test_a_deleted_venue_is_gone_once_the_bound_has_passed(alice, venues_near_alice, clock):
    assert len(recommend_venues(alice, limit=100)) == 4
    VenueFactory(name="Newer")  # the latest update stays, so only the deletion changes
    venues_near_alice[0].delete()
    clock.now += settings.LUNA_RECO["CACHE_STALENESS_SECONDS"]
    names = [row.venue_name for row in recommend_venues(alice, limit=100)]
    assert "Near Bar" not in names
    assert len(names) == 4


def test_a_deleted_venue_is_never_recommended_even_within_the_bound(alice, venues_near_alice, clock):
    assert recommend_venues(alice, limit=1)[0].venue_name == "Near Bar"
    VenueFactory(name="Newer", lat=0, lng=0)  # the latest update stays, so only the deletion changes
    recommend_venues(alice, limit=1)
    venues_near_alice[0].delete()

    names = [row.venue_name for row in recommend_venues(alice, limit=4)]

    assert names == ["Middle Bar", "Far Bar", "Uptown Cafe", "Newer"]


@pytest.mark.usefixtures("ranked_live")
def test_a_zero_bound_reloads_on_every_request(alice, bob, venues_near_alice, clock, settings):
    settings.LUNA_RECO = {**settings.LUNA_RECO, "CACHE_STALENESS_SECONDS": 0}
    InteractionFactory(user=bob, venue=venues_near_alice[0], interaction_type="like")
    InteractionFactory(user=bob, venue=venues_near_alice[1], interaction_type="like")
    InteractionFactory(user=bob, venue=venues_near_alice[1], interaction_type="view")
    assert popularity_by_name(alice)["Near Bar"] == 1.0
    Interaction.objects.filter(venue=venues_near_alice[0]).delete()
    assert popularity_by_name(alice)["Near Bar"] == 0.0


def test_invalidating_the_catalogue_reloads_it_at_once(alice, bob, venues_near_alice, clock):
    InteractionFactory(user=bob, venue=venues_near_alice[0], interaction_type="like")
    InteractionFactory(user=bob, venue=venues_near_alice[1], interaction_type="view")
    assert popularity_by_name(alice)["Near Bar"] == 1.0
    Interaction.objects.filter(venue=venues_near_alice[0]).delete()
    catalogue_cache.invalidate()
    assert popularity_by_name(alice)["Near Bar"] == 0.0


def test_the_users_own_interactions_are_always_fresh(alice, venues_near_alice, clock):
    recommend_venues(alice, limit=100)
    interaction = InteractionFactory(user=alice, venue=venues_near_alice[3], interaction_type="like")
    assert recommend_venues(alice, limit=1)[0].venue_name == "Uptown Cafe"
    interaction.delete()
    assert recommend_venues(alice, limit=1)[0].venue_name == "Near Bar"


def test_edges_and_deactivations_are_always_fresh(alice, bob, charlie, clock):
    assert recommend_people(alice, limit=10) == []
    SocialEdgeFactory(user=alice, other_user=bob, strength=0.7)
    assert [row.handle for row in recommend_people(alice, limit=10)] == ["bob"]
    bob.is_active = False
    bob.save()
    assert recommend_people(alice, limit=10) == []


@pytest.mark.usefixtures("ranked_live")
def test_past_half_the_bound_a_reload_starts_off_the_request_path(
    alice, bob, charlie, venues_near_alice, clock, settings, monkeypatch
):
    settings.LUNA_RECO = {**settings.LUNA_RECO, "REFRESH_IN_BACKGROUND": True}
    started = []
    # Run the reload right after the request instead of in a thread, which would not see this test's rows.
    monkeypatch.setattr(catalogue_cache, "start_refresh_ahead", lambda: started.append(catalogue_cache.refresh_ahead()))
    InteractionFactory(user=bob, venue=venues_near_alice[0], interaction_type="like")
    InteractionFactory(user=bob, venue=venues_near_alice[1], interaction_type="like")
    InteractionFactory(user=charlie, venue=venues_near_alice[1], interaction_type="like")
    InteractionFactory(user=bob, venue=venues_near_alice[1], interaction_type="view")
    assert popularity_by_name(alice)["Near Bar"] == 0.5
    Interaction.objects.filter(venue=venues_near_alice[1], interaction_type="like").first().delete()

    clock.now += settings.LUNA_RECO["CACHE_STALENESS_SECONDS"] / 2 - 0.01
    assert popularity_by_name(alice)["Near Bar"] == 0.5
    assert started == []

    clock.now += 0.01
    # This request is answered from the catalogue it has and starts the reload...
    assert popularity_by_name(alice)["Near Bar"] == 0.5
    assert len(started) == 1
    # ...which the next request sees, long before the bound.
    assert popularity_by_name(alice)["Near Bar"] == 1.0
    assert len(started) == 1


@pytest.mark.usefixtures("ranked_live")
def test_one_process_counts_popularity_again_and_the_others_take_its_counts(
    alice, bob, charlie, venues_near_alice, clock
):
    other_process = CatalogueCache(clock=clock)
    InteractionFactory(user=bob, venue=venues_near_alice[0], interaction_type="like")
    InteractionFactory(user=bob, venue=venues_near_alice[1], interaction_type="like")
    InteractionFactory(user=charlie, venue=venues_near_alice[1], interaction_type="like")
    InteractionFactory(user=bob, venue=venues_near_alice[1], interaction_type="view")
    assert popularity_by_name(alice)["Near Bar"] == 0.5
    other_process.current()
    Interaction.objects.filter(venue=venues_near_alice[1], interaction_type="like").first().delete()

    clock.now += settings.LUNA_RECO["CACHE_STALENESS_SECONDS"]
    assert popularity_by_name(alice)["Near Bar"] == 1.0  # this process counted again
    catalogue = other_process.current()

    assert other_process.recounts == 0  # it took the counts instead of counting
    assert other_process.full_loads == 1
    assert catalogue.popularity[catalogue.position[venues_near_alice[1].id.int]] == 1


def test_in_the_background_a_changed_venue_is_swapped_in_after_the_request(
    alice, venues_near_alice, clock, settings, monkeypatch
):
    settings.LUNA_RECO = {**settings.LUNA_RECO, "REFRESH_IN_BACKGROUND": True}
    started = []
    monkeypatch.setattr(catalogue_cache, "start_refresh_ahead", lambda: started.append(catalogue_cache.refresh_ahead()))
    assert recommend_venues(alice, limit=1)[0].venue_name == "Near Bar"
    near_bar = venues_near_alice[0]
    near_bar.name = "Nearest Bar"
    near_bar.save()

    # The request that sees the change is answered from the venues the process has and starts the reload...
    assert recommend_venues(alice, limit=1)[0].venue_name == "Near Bar"
    assert len(started) == 1
    # ...which the next request is answered from.
    assert recommend_venues(alice, limit=1)[0].venue_name == "Nearest Bar"


def test_warming_up_loads_the_catalogue_so_that_the_first_request_needs_no_load(alice, bob, venues_near_alice, clock):
    InteractionFactory(user=bob, venue=venues_near_alice[0], interaction_type="like")
    catalogue_cache.invalidate()
    loads = catalogue_cache.full_loads
    catalogue = recommendations_warm()
    assert catalogue is not None and catalogue.size == 4
    assert catalogue_cache.full_loads == loads + 1
    assert popularity_by_name(alice)["Near Bar"] == 1.0
    assert catalogue_cache.full_loads == loads + 1


def test_while_another_process_counts_this_one_waits_for_its_counts_instead_of_counting(
    alice, bob, venues_near_alice, clock, settings
):
    settings.LUNA_RECO = {**settings.LUNA_RECO, "CACHE_STALENESS_SECONDS": 1}
    InteractionFactory(user=bob, venue=venues_near_alice[0], interaction_type="like")
    recommend_venues(alice, limit=1)
    clock.now += 0.5
    lock = f"{_popularity_key()}:lock"
    assert cache.add(lock, "another process", timeout=60)
    recounts = catalogue_cache.recounts
    try:
        catalogue_cache.refresh_ahead()  # nobody publishes: it gives up after half the bound
    finally:
        cache.delete(lock)
    assert catalogue_cache.recounts == recounts


def test_in_the_background_a_deleted_venue_is_looked_up_until_the_reload_drops_it(
    alice, venues_near_alice, clock, settings, monkeypatch
):
    settings.LUNA_RECO = {**settings.LUNA_RECO, "REFRESH_IN_BACKGROUND": True}
    started = []
    monkeypatch.setattr(catalogue_cache, "start_refresh_ahead", lambda: started.append(None))
    assert recommend_venues(alice, limit=1)[0].venue_name == "Near Bar"
    catalogue = catalogue_cache.current()
    assert not catalogue_cache.may_hold_deleted(catalogue)  # nothing deleted: nothing to look up
    VenueFactory(name="Newer", lat=0, lng=0)  # the latest update stays, so only the deletion changes
    recommend_venues(alice, limit=1)
    venues_near_alice[0].delete()

    # Answered from the catalogue the process has, which still holds the venue: the pick is looked
    # up, found gone, and the request ranked again on a reloaded catalogue.
    assert catalogue_cache.may_hold_deleted(catalogue_cache.current())
    assert recommend_venues(alice, limit=1)[0].venue_name == "Middle Bar"
    assert not catalogue_cache.may_hold_deleted(catalogue_cache.current())


def test_a_lost_deletions_mark_reads_as_a_deletion(alice, venues_near_alice, clock):
    assert recommend_venues(alice, limit=1)[0].venue_name == "Near Bar"
    loads = catalogue_cache.full_loads
    cache.delete(DELETIONS_CACHE_KEY)  # evicted, or the cache was emptied

    assert recommend_venues(alice, limit=1)[0].venue_name == "Near Bar"
    assert catalogue_cache.full_loads == loads + 1  # the venues were read again: nothing stale was trusted
    assert not catalogue_cache.may_hold_deleted(catalogue_cache.current())


def test_deleting_many_venues_in_one_transaction_marks_the_deletions_once(
    alice, venues_near_alice, clock, django_capture_on_commit_callbacks
):
    VenueFactory.create_batch(30)
    catalogue = catalogue_cache.current()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            Venue.objects.exclude(pk=venues_near_alice[1].pk).delete()
    assert len(callbacks) == 1  # one mark after the commit, not one per venue
    assert catalogue_cache.may_hold_deleted(catalogue)
    assert [row.venue_name for row in recommend_venues(alice, limit=5)] == ["Middle Bar"]
