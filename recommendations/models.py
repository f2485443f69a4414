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


class CandidateList(models.Model):
    """One user's best venues by one ranker, computed ahead so that a request reads one row instead of
    ranking every venue (recommendations.candidates).

    The `LUNA_CANDIDATES` best venues over the whole catalogue, in the ranker's order, each with what
    the answer shows (score, distance, features, contributions) and whether the user has been there:
    a filtered request is answered from the first rows that pass its filters, exactly as ranking
    every venue would, or by the live ranking when the list cannot tell.
    """

    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="candidate_lists", db_index=False)
    ranker = models.CharField(max_length=40, help_text="learned, formula, or learned@<version> for a pinned one.")
    model_version = models.PositiveIntegerField(null=True, blank=True)
    venue_mark = models.CharField(max_length=200, help_text="The catalogue's venues it was ranked over.")
    own_mark = models.CharField(max_length=300, help_text="The user's own inputs it was ranked on.")
    complete = models.BooleanField(default=False, help_text="It holds every venue of the catalogue.")
    columns = models.CharField(max_length=500, help_text="Names of the features and contributions in the payload.")
    size = models.PositiveIntegerField(default=0)
    payload = models.BinaryField()
    built_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "ranker"], name="candidate_list_user_ranker")]

    def __str__(self) -> str:
        return f"{self.ranker} candidates of {self.user_id} ({self.size})"
