"""`manage.py recommend HANDLE_OR_ID [--venue NAME_OR_ID] [--limit N]`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from social.tests.factories import SocialEdgeFactory
from venues.tests.factories import InteractionFactory, VenueFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("recommend", *args, stdout=out)
    return out.getvalue().splitlines()


def cells(rule: str, line: str) -> list[str]:
    """Cut `line` at the column spans the dashes of `rule` mark: only aligned tables read back correctly."""
    spans, start = [], None
    for index, char in enumerate(rule + " "):
        if char == "-" and start is None:
            start = index
        elif char != "-" and start is not None:
            spans.append((start, index))
            start = None
    return [line[a:b].strip() for a, b in spans]


def test_it_prints_aligned_tables_with_the_features(alice, bob, venues_near_alice):
    SocialEdgeFactory(user=alice, other_user=bob, strength=0.8, relationship_type="mutual")
    SocialEdgeFactory(user=bob, other_user=alice)  # bob added alice: his likes count for her
    InteractionFactory(user=bob, venue=venues_near_alice[1], interaction_type="like", dwell_time_seconds=60)
    lines = run("alice", "--venue", "middle bar")

    at = lines.index("Venues for alice (Alice Chen; home 40.7306, -73.9352)")
    header, rule, *rows = lines[at + 1 : at + 7]
    assert cells(rule, header) == [
        "#", "venue", "category", "score", "distance_km", "spatial", "preference", "popularity"
    ]  # fmt: skip
    assert [cells(rule, row)[:3] for row in rows] == [
        ["1", "Middle Bar", "bar"],  # bob's like makes it the most popular
        ["2", "Near Bar", "bar"],
        ["3", "Far Bar", "bar"],
        ["4", "Uptown Cafe", "cafe"],
    ]
    near = cells(rule, rows[1])
    assert abs(float(near[3]) - 0.4 * float(near[5])) < 1e-4  # score = 0.4 * spatial here
    assert near[6:] == ["0.0000", "0.0000"]
    assert cells(rule, rows[0])[6:] == ["0.0000", "1.0000"]

    at = lines.index("People for alice at Middle Bar (bar)")
    header, rule, row = lines[at + 1 : at + 4]
    assert cells(rule, header) == ["#", "handle", "name", "relationship", "score", "strength", "direct", "category"]
    # 0.6 * 0.8 + 0.25 * min(1, 0.5 + 60/300) + 0.15 * min(1, 0.3 + 60/600)
    assert cells(rule, row) == ["1", "bob", "Bob Singh", "mutual", "0.7150", "0.8000", "0.7000", "0.4000"]


def test_it_finds_the_user_by_id_and_limits_rows(alice):
    VenueFactory.create_batch(5)
    lines = run(str(alice.pk), "--limit", "2")
    at = lines.index("Venues for alice (Alice Chen; home 40.7306, -73.9352)")
    assert [line.split()[0] for line in lines[at + 3 : at + 5]] == ["1", "2"]
    assert lines[at + 5] == ""
    assert "People for alice (no venue: by tie strength; pass --venue for a venue)" in lines
    assert "(no friends who are active users)" in lines


@pytest.mark.parametrize(
    "args, message",
    [
        (["nobody"], "No user with handle or id 'nobody'"),
        (["alice", "--venue", "Nowhere"], "No venue with name or id 'Nowhere'"),
        (["alice", "--limit", "0"], "--limit must be between 1 and 100"),
    ],
)
def test_it_explains_what_it_could_not_find(alice, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_it_asks_for_an_id_when_a_venue_name_is_ambiguous(alice):
    VenueFactory(name="Twin")
    VenueFactory(name="twin")
    with pytest.raises(CommandError, match="Several venues are named 'Twin'"):
        run("alice", "--venue", "Twin")
