from __future__ import annotations

import factory

from social.models import SocialEdge
from users.tests.factories import UserFactory


class SocialEdgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialEdge

    # relationship_type and strength: the model's defaults (friend, 0.5).
    user = factory.SubFactory(UserFactory)
    other_user = factory.SubFactory(UserFactory)
