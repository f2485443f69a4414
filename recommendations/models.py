from __future__ import annotations

from django.db import models
from django.db.models import Q


class RankerVersion(models.Model):
    """One trained model (`manage.py train_ranker`): what it was trained on, how it did, and the model itself.

    At most one version is active; every web process and worker serves that one (falling
    back to the formula when none is), and picks up a newly activated one within the
    catalogue's staleness bound.
    """

    version = models.PositiveIntegerField(unique=True)
    ranker = models.CharField(max_length=30, default="learned")
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    trained_on = models.JSONField(default=dict, help_text="Counts of users, venues, interactions and edges.")
    parameters = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict, help_text="Held-out figures of this model and of the formula.")
    training_seconds = models.FloatField(default=0)
    artifact = models.BinaryField(editable=False)
    artifact_bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="ranker_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.ranker} v{self.version}{' (active)' if self.is_active else ''}"


class Impression(models.Model):
    """One venue shown in one recommendation: who saw it, where in the list, and which ranker put it there.

    Written in bulk after the response (recommendations.impressions), never on the request's path.
    """

    recommendation_id = models.UUIDField(db_index=True, help_text="The answer it was part of.")
    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="+")
    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        help_text="Set for a plan's group suggestions.",
    )  # fmt: skip
    rank = models.PositiveSmallIntegerField(help_text="1 for the first venue of the list.")
    ranker = models.CharField(max_length=30)
    model_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "recommendation_id", "rank"]
        indexes = [models.Index(fields=["venue", "created_at"], name="impression_venue_time_idx")]

    def __str__(self) -> str:
        return f"{self.venue_id} #{self.rank} for {self.user_id} ({self.ranker})"
