"""The database itself refuses social edges that break the design's rules."""

from __future__ import annotations

import pytest

from luna.tests.database import refused
from social.tests.factories import SocialEdgeFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_it_refuses_a_self_edge():
    alice = UserFactory()
    assert refused(lambda: SocialEdgeFactory(user=alice, other_user=alice))


def test_it_refuses_a_duplicate_edge():
    alice, bob = UserFactory(), UserFactory()
    SocialEdgeFactory(user=alice, other_user=bob)
    assert refused(lambda: SocialEdgeFactory(user=alice, other_user=bob))
    # The reverse direction is a different edge.
    assert not refused(lambda: SocialEdgeFactory(user=bob, other_user=alice))


@pytest.mark.parametrize("strength", [-0.01, 1.01])
def test_it_refuses_strength_outside_zero_to_one(strength):
    assert refused(lambda: SocialEdgeFactory(strength=strength))
