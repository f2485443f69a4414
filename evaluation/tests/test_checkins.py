"""Check-in splits: the mapping into a World, and clear refusals of bad files by `evaluate` and `import_checkins`."""

from __future__ import annotations

from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from evaluation.checkins import load_checkins
from evaluation.tests.splits import hand_split
from social.models import SocialEdge
from users.models import User
from venues.models import Interaction, Venue

STORED = (User, Venue, Interaction, SocialEdge)


def test_a_split_maps_to_homes_categories_likes_and_friends(tmp_path):
    directory = hand_split(tmp_path / "split", train="0\t1\t4\n0\t0\t4\n0\t2\t2\n1\t2\t3\n1\t2\t9\n")
    split = load_checkins(directory)
    world = split.world

    # Home: the best-valued train venue, the lowest id among equals (venue 0 for user 0).
    assert (world.home_lat[0], world.home_lng[0]) == (40.70, -74.00)
    assert (world.home_lat[1], world.home_lng[1]) == (41.00, -73.50)
    assert np.isnan(world.home_lat[2])  # no train rows, no home
    # The first listed category; none for a venue without one.
    assert world.venue_category.tolist() == [3, -1, 5]
    # min(value, 5) likes per row, rows adding up; every train venue counts as visited.
    assert world.positive.toarray().tolist() == [[4, 4, 2], [0, 0, 8], [0, 0, 0]]
    assert world.popularity.tolist() == [1, 1, 2]
    # Friends both ways at 0.5.
    assert world.social.toarray().tolist() == [[0, 0.5, 0], [0.5, 0, 0], [0, 0, 0]]
    assert split.held_out["test"].toarray().tolist() == [[0, 0, 1], [1, 0, 0], [0, 0, 0]]


def test_one_like_per_row_counts_rows_not_stars(tmp_path):
    directory = hand_split(tmp_path / "split", train="0\t1\t4\n1\t2\t3\n1\t2\t9\n")
    world = load_checkins(directory, one_like_per_row=True).world
    assert world.positive.toarray().tolist() == [[0, 1, 0], [0, 0, 2], [0, 0, 0]]


BAD_FILES = [
    ("missing-coordinates", "poi_coos", None, "Bad_poi_coos.txt: missing"),
    ("wrong-column-count", "train", "0\t1\n", "Bad_train.txt line 1: expected 3 tab-separated columns, found 2"),
    ("non-numeric-id", "test", "0\t2\t5\nzero\t1\t4\n", "Bad_test.txt line 2: 'zero' is not an integer"),
    ("latitude-out-of-range", "poi_coos", "0\t95\t-74\n1\t40.8\t-73.9\n2\t41\t-73.5\n", "Bad_poi_coos.txt line 1"),
    ("venue-outside-the-size", "train", "0\t1\t4\n0\t7\t4\n", "Bad_train.txt line 2: venue id 7 is outside 0..2"),
    ("user-outside-the-size", "social_relations", "0\t3\n", "Bad_social_relations.txt line 1: user id 3 is outside"),
    ("empty-test-set", "test", "", "Bad_test.txt: the test set is empty"),
    ("venue-without-coordinates", "poi_coos", "0\t40\t-74\n2\t41\t-73\n", "venue 1 has no coordinates"),
    ("infinite-coordinate", "poi_coos", "0\tinf\t-74\n1\t40\t-73\n2\t41\t-73\n", "is not a finite number"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["import_checkins", "evaluate"])
@pytest.mark.parametrize("part, text, message", [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
def test_a_bad_file_is_refused_naming_file_and_line_and_nothing_is_written(tmp_path, command, part, text, message):
    directory = tmp_path / "split"
    hand_split(directory, train="0\t1\t4\n1\t2\t3\n")
    for path in directory.iterdir():
        path.rename(directory / path.name.replace("Hand_", "Bad_"))
    target = directory / f"Bad_{part}.txt"
    if text is None:
        target.unlink()
    else:
        target.write_text(text)

    with pytest.raises(CommandError) as error:
        call_command(command, str(directory), stdout=StringIO(), stderr=StringIO())

    assert message in str(error.value)
    assert [model.objects.count() for model in STORED] == [0, 0, 0, 0]


def test_a_folder_without_a_split_is_refused(tmp_path):
    with pytest.raises(CommandError, match="no <Prefix>_train.txt file"):
        call_command("evaluate", str(tmp_path), stdout=StringIO(), stderr=StringIO())


def test_ids_listed_in_a_data_size_of_two_columns_are_read(tmp_path):
    directory = hand_split(tmp_path / "split", train="0\t1\t4\n")
    (directory / "Hand_data_size.txt").write_text("3\t3\n")
    assert load_checkins(directory).world.n_venues == 3
