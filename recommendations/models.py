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
