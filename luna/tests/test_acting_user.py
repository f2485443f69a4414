"""Nobody acts as someone else by spelling their id differently.

Every endpoint that takes a user id in its body (or query) resolves it once, the same way for
every spelling, and a member naming anyone but themselves is refused; an id that is not a
UUID string (a JSON number, say) is a 400 for everyone.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from plans.models import Plan, PlanParticipant
from plans.tests.factories import PlanFactory, PlanParticipantFactory
from social.models import SocialEdge
from social.tests.factories import SocialEdgeFactory
from venues.models import Interaction
from venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db

SPELLINGS = {
    "integer": lambda uid: uid.int,
    "canonical": str,
    "upper-case": lambda uid: str(uid).upper(),
    "no-dashes": lambda uid: uid.hex,
    "braces": lambda uid: "{" + str(uid) + "}",
    "urn": lambda uid: f"urn:uuid:{uid}",
}


def status_for(spelling: str) -> int:
    # A number is not an id at all (400); any string spelling is bob's id, which alice may not use (403).
    return 400 if spelling == "integer" else 403


@pytest.fixture
def venue(db):
    return VenueFactory()


def in_a_day() -> str:
    return (timezone.now() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_member_cannot_create_an_edge_as_someone_else(client_for, alice, bob, charlie, spelling):
    body = {"user_id": SPELLINGS[spelling](bob.pk), "other_user_id": str(charlie.pk), "strength": 1.0}
    response = client_for(alice).post("/social/edges/", body, format="json")
    assert response.status_code == status_for(spelling), response.content
    assert not SocialEdge.objects.exists()


@pytest.mark.parametrize("path", ["interactions", "interact"])
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_member_cannot_record_an_interaction_as_someone_else(client_for, alice, bob, venue, spelling, path):
    body = {"user_id": SPELLINGS[spelling](bob.pk), "interaction_type": "like"}
    response = client_for(alice).post(f"/venues/{venue.pk}/{path}/", body, format="json")
    assert response.status_code == status_for(spelling), response.content
    assert not Interaction.objects.exists()


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_member_cannot_make_a_plan_for_someone_else(client_for, alice, bob, venue, spelling):
    body = {"venue_id": str(venue.pk), "start_time": in_a_day(), "organizer_id": SPELLINGS[spelling](bob.pk)}
    response = client_for(alice).post("/plans/", body, format="json")
    assert response.status_code == status_for(spelling), response.content
    assert not Plan.objects.exists()


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_member_naming_themselves_in_any_spelling_acts_as_themselves(client_for, alice, venue, spelling):
    body = {"user_id": SPELLINGS[spelling](alice.pk), "interaction_type": "like"}
    response = client_for(alice).post(f"/venues/{venue.pk}/interactions/", body, format="json")
    assert response.status_code == (400 if spelling == "integer" else 201), response.content
    assert Interaction.objects.filter(user=alice).count() == (0 if spelling == "integer" else 1)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_members_list_of_someone_elses_edges_is_refused(client_for, alice, bob, charlie, spelling):
    SocialEdgeFactory(user=bob, other_user=charlie)
    response = client_for(alice).get("/social/edges/", {"user": SPELLINGS[spelling](bob.pk)})
    # In a query string every value is text: the number is then simply not a UUID (400).
    assert response.status_code == status_for(spelling), response.content


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_staff_name_a_user_in_any_string_spelling_but_never_as_a_number(client_for, staff, bob, venue, spelling):
    body = {"user_id": SPELLINGS[spelling](bob.pk), "interaction_type": "like"}
    response = client_for(staff).post(f"/venues/{venue.pk}/interactions/", body, format="json")
    assert response.status_code == (400 if spelling == "integer" else 201), response.content
    assert Interaction.objects.filter(user=bob).count() == (0 if spelling == "integer" else 1)


@pytest.mark.parametrize("where", ["plan", "participants"])
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_invitees_are_named_by_id_strings_only_and_each_once(client_for, alice, bob, venue, spelling, where):
    SocialEdgeFactory(user=bob, other_user=alice)  # bob added alice, so she may invite him
    field = "invitee_ids"
    if where == "plan":
        body = {"venue_id": str(venue.pk), "start_time": in_a_day(), "invitee_ids": [SPELLINGS[spelling](bob.pk)]}
        body["invitee_ids"].append(str(bob.pk))
        response = client_for(alice).post("/plans/", body, format="json")
    else:
        plan = PlanFactory(organizer=alice, venue=venue)
        PlanParticipantFactory(plan=plan, user=alice, status=PlanParticipant.Status.ACCEPTED)
        ids = [SPELLINGS[spelling](bob.pk), str(bob.pk)]
        response = client_for(alice).post(f"/plans/{plan.pk}/participants/", {"invitee_ids": ids}, format="json")
    if spelling == "integer":
        assert response.status_code == 400
        assert field in response.json()
        assert not PlanParticipant.objects.filter(user=bob).exists()
    else:
        assert response.status_code in (200, 201), response.content
        assert PlanParticipant.objects.filter(user=bob).count() == 1


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_nobody_answers_an_invitation_for_someone_else(client_for, alice, bob, charlie, venue, spelling):
    plan = PlanFactory(organizer=alice, venue=venue)
    PlanParticipantFactory(plan=plan, user=alice, status=PlanParticipant.Status.ACCEPTED)
    PlanParticipantFactory(plan=plan, user=bob)
    PlanParticipantFactory(plan=plan, user=charlie)
    body = {"status": "declined", "user_id": SPELLINGS[spelling](bob.pk)}
    response = client_for(charlie).post(f"/plans/{plan.pk}/respond/", body, format="json")
    assert response.status_code == 400
    assert "user_id" in response.json()
    assert set(PlanParticipant.objects.filter(plan=plan).values_list("status", flat=True)) == {"accepted", "invited"}
