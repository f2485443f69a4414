"""`import_checkins`: a split's train part stored with the mapping the evaluation reads it with."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from evaluation.checkins import user_uuid, venue_of_uuid, venue_uuid
from evaluation.tests.splits import hand_split, write_split
from social.models import SocialEdge
from users.models import User
from venues.models import Interaction, Venue

STORED = (User, Venue, Interaction, SocialEdge)


@pytest.mark.django_db
def test_import_writes_the_train_part_with_ids_in_the_splits_order(tmp_path):
    directory = hand_split(tmp_path / "split", train="0\t1\t4\n0\t0\t4\n1\t2\t3\n")
    out = StringIO()
    call_command("import_checkins", str(directory), stdout=out)

    assert "Imported 3 users, 3 venues, 11 interactions and 2 edges" in out.getvalue()
    assert sorted(Venue.objects.values_list("pk", flat=True)) == [venue_uuid(v) for v in range(3)]
    assert [venue_of_uuid(venue_uuid(v)) for v in range(3)] == [0, 1, 2]
    alice = User.objects.get(pk=user_uuid(0))
    assert (alice.handle, alice.home_lat, alice.home_lng, alice.has_usable_password()) == ("hand-0", 40.7, -74.0, False)
    assert User.objects.get(pk=user_uuid(2)).home_lat is None
    assert Venue.objects.get(pk=venue_uuid(0)).category == "c3"
    assert Venue.objects.get(pk=venue_uuid(1)).category == ""
    assert (
        Interaction.objects.filter(user_id=user_uuid(0), venue_id=venue_uuid(1), interaction_type="like").count() == 4
    )
    assert Interaction.objects.filter(user_id=user_uuid(1)).count() == 3
    assert set(SocialEdge.objects.values_list("user_id", "other_user_id", "relationship_type", "strength")) == {
        (user_uuid(0), user_uuid(1), "friend", 0.5),
        (user_uuid(1), user_uuid(0), "friend", 0.5),
    }
    # Only the train part: the test venue 2 of user 0 is not an interaction.
    assert not Interaction.objects.filter(user_id=user_uuid(0), venue_id=venue_uuid(2)).exists()


@pytest.mark.django_db
def test_a_split_is_imported_once(tmp_path):
    directory = write_split(tmp_path / "split")
    call_command("import_checkins", str(directory), stdout=StringIO())
    before = [model.objects.count() for model in STORED]
    with pytest.raises(CommandError, match="Tiny: this split is imported already"):
        call_command("import_checkins", str(directory), stdout=StringIO())
    assert [model.objects.count() for model in STORED] == before
