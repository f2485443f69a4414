from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q


class EdgeType(models.TextChoices):
    """SocialEdge.RelationshipType: named here so that the check constraint is built from its values."""

    FRIEND = "friend", "Friend"
    MUTUAL = "mutual", "Mutual"
    SUGGESTED = "suggested", "Suggested"


class SocialEdge(models.Model):
    """A directed tie: `user` knows `other_user` with some strength."""

    RelationshipType = EdgeType

    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="edges_out")
    other_user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="edges_in")
    relationship_type = models.CharField(
        max_length=10, choices=RelationshipType.choices, default=RelationshipType.FRIEND
    )
    strength = models.FloatField(default=0.5, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "-strength", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "other_user"], name="social_edge_unique_pair"),
            models.CheckConstraint(condition=~Q(user=F("other_user")), name="social_edge_not_self"),
            models.CheckConstraint(condition=Q(strength__gte=0, strength__lte=1), name="social_edge_strength_range"),
            models.CheckConstraint(
                condition=Q(relationship_type__in=EdgeType.values),
                name="social_edge_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} -> {self.other_user} ({self.relationship_type}, {self.strength})"
