from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from luna.services import model_update
from social.models import SocialEdge
from users.models import User

SELF_EDGE = "An edge cannot point to its own user."
DUPLICATE_EDGE = "This edge already exists; change it with PATCH instead."


@transaction.atomic
def social_edge_create(
    *, user: User, other_user: User, relationship_type: str = SocialEdge.RelationshipType.FRIEND, strength: float = 0.5
) -> SocialEdge:
    if user.pk == other_user.pk:
        raise ValidationError({"other_user_id": ValidationError(SELF_EDGE, code="self_edge")})
    if SocialEdge.objects.filter(user=user, other_user=other_user).exists():
        raise ValidationError({"other_user_id": ValidationError(DUPLICATE_EDGE, code="duplicate_edge")})
    edge = SocialEdge(user=user, other_user=other_user, relationship_type=relationship_type, strength=strength)
    edge.full_clean(validate_constraints=False)
    try:
        # Two requests may pass the check above together; the unique constraint decides.
        with transaction.atomic():
            edge.save()
    except IntegrityError:
        raise ValidationError({"other_user_id": ValidationError(DUPLICATE_EDGE, code="duplicate_edge")}) from None
    return edge


@transaction.atomic
def social_edge_update(*, edge: SocialEdge, data: dict) -> SocialEdge:
    """Change the edge's relationship_type and strength; who it joins stays."""
    edge, _ = model_update(
        instance=edge, fields=["relationship_type", "strength"], data=data, validate_constraints=False
    )
    return edge


@transaction.atomic
def social_edge_delete(*, edge: SocialEdge) -> None:
    edge.delete()
