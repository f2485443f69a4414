from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from luna.geo import latitude_validators, longitude_validators
from ranking.world import POSITIVE_WEIGHTS

MAX_DWELL_SECONDS = 86_400


class Venue(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    category = models.SlugField(
        max_length=50,
        blank=True,
        default="",
        help_text="Lower-case slug such as bar, cafe, music, restaurant; empty when unknown.",
    )
    lat = models.FloatField(validators=latitude_validators)
    lng = models.FloatField(validators=longitude_validators)
    price_level = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    rating = models.DecimalField(
        max_digits=2,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(5)],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["category"], name="venue_category_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(lat__gte=-90, lat__lte=90), name="venue_lat_range"),
            models.CheckConstraint(condition=Q(lng__gte=-180, lng__lte=180), name="venue_lng_range"),
            models.CheckConstraint(
                condition=Q(price_level__isnull=True) | Q(price_level__gte=1, price_level__lte=4),
                name="venue_price_level_range",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=0, rating__lte=5), name="venue_rating_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class InteractionType(models.TextChoices):
    """Interaction.Type: named here so that the check constraint is built from its values."""

    VIEW = "view", "View"
    INTEREST = "interest", "Interest"
    LIKE = "like", "Like"


class Interaction(models.Model):
    """One event: a user viewed, showed interest in, or liked a venue. Append-only."""

    Type = InteractionType

    # The kinds the ranking weighs as positive (ranking.world.POSITIVE_WEIGHTS): likes and interests.
    POSITIVE_TYPES = tuple(kind for kind in Type if kind.value in POSITIVE_WEIGHTS)

    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="interactions")
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="interactions")
    interaction_type = models.CharField(max_length=10, choices=Type.choices)
    dwell_time_seconds = models.PositiveIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(MAX_DWELL_SECONDS)]
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # "All of one user's interactions", grouped by venue; it holds the type and dwell too,
            # so recommendations read a user's or their friends' totals from the index alone.
            models.Index(
                fields=["user", "venue", "interaction_type", "dwell_time_seconds"], name="interaction_user_venue_idx"
            ),
            # "Positive interactions per venue" (popularity).
            models.Index(
                fields=["venue"],
                name="interaction_positive_venue_idx",
                condition=Q(interaction_type__in=["interest", "like"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(interaction_type__in=InteractionType.values), name="interaction_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(dwell_time_seconds__gte=0, dwell_time_seconds__lte=MAX_DWELL_SECONDS),
                name="interaction_dwell_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.interaction_type} {self.venue}"
