from __future__ import annotations

import factory

from social.models import SocialEdge
from users.tests.factories import UserFactory


class SocialEdgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialEdge

    user = factory.SubFactory(UserFactory)
    other_user = factory.SubFactory(UserFactory)
    relationship_type = SocialEdge.RelationshipType.FRIEND
    strength = 0.5
