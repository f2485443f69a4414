"""Experiments between rankers and what they record: the experiments, their arms and audit trail, the
venues each recommendation showed (impressions) and what users did with them (outcomes)."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from venues.models import Interaction

# Whether a trained model version is stored: an arm may pin one. The versions belong to the app that
# serves them (recommendations), which imports this one and registers its lookup here when it is ready;
# without it, any version is taken.
_model_version_stored: Callable[[int], bool] | None = None


def model_versions_from(stored: Callable[[int], bool]) -> None:
    """Check arms' pinned versions with `stored(version)` (recommendations.apps calls it)."""
    global _model_version_stored
    _model_version_stored = stored


class Impression(models.Model):
    """One venue shown in one recommendation: who saw it, where in the list, and which ranker put it there.

    Written in bulk after the response (experiments.impressions), never on the request's path.
    """

    # No index of their own: (user, venue, created_at) and (venue, created_at) below serve every lookup
    # (attribution reads a user's impressions of a venue, then the answer among them).
    recommendation_id = models.UUIDField(help_text="The answer it was part of.")
    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="+", db_index=False)
    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, related_name="+", db_index=False)
    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        help_text="Set for a plan's group suggestions.",
    )  # fmt: skip
    rank = models.PositiveSmallIntegerField(help_text="1 for the first venue of the list.")
    ranker = models.CharField(max_length=30)
    model_version = models.PositiveIntegerField(null=True, blank=True)
    experiment = models.ForeignKey(
        "experiments.Experiment", on_delete=models.SET_NULL, null=True, blank=True, related_name="impressions"
    )
    arm = models.CharField(max_length=30, blank=True, help_text="The experiment's arm the user was in.")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "recommendation_id", "rank"]
        indexes = [
            models.Index(fields=["venue", "created_at"], name="impression_venue_time_idx"),
            # Attribution: the latest impression of this venue to this user.
            models.Index(fields=["user", "venue", "created_at"], name="impression_user_venue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.venue_id} #{self.rank} for {self.user_id} ({self.ranker})"


class ExperimentStatus(models.TextChoices):
    """Experiment.Status (declared out here: its constraint in Experiment.Meta reads it)."""

    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"


class Experiment(models.Model):
    """An A/B test between rankers on the venue recommendation: users split across its arms.

    A user's arm is a hash of (experiment, user id) over the arms' traffic shares, so it is the
    same on every request and in every process. At most one experiment runs at a time.
    """

    Status = ExperimentStatus

    name = models.SlugField(max_length=60, unique=True, help_text="What manage.py experiment_report takes.")
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="running"), name="experiment_one_running"),
            models.CheckConstraint(condition=Q(status__in=ExperimentStatus.values), name="experiment_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class ExperimentArm(models.Model):
    """One arm: the ranker (and optionally a pinned model version) its users get, and its share of users."""

    RANKERS = [("learned", "learned (the active model, or the pinned version)"), ("formula", "formula"),
               ("popularity", "popularity"), ("distance", "distance")]  # fmt: skip

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    name = models.SlugField(max_length=30)
    ranker = models.CharField(max_length=30, choices=RANKERS)
    model_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="For the learned ranker: serve this version instead of the active one."
    )
    share = models.PositiveIntegerField(default=50, help_text="Relative traffic share (weights, any scale).")
    is_control = models.BooleanField(default=False, help_text="The arm the others are compared with.")

    class Meta:
        ordering = ["experiment", "-is_control", "name"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "name"], name="experiment_arm_unique_name"),
            models.UniqueConstraint(fields=["experiment"], condition=Q(is_control=True), name="experiment_one_control"),
        ]

    def __str__(self) -> str:
        pinned = f" v{self.model_version}" if self.model_version else ""
        return f"{self.name}: {self.ranker}{pinned}, share {self.share}"

    def clean(self) -> None:
        if self.model_version is not None:
            if self.ranker != "learned":
                raise ValidationError({"model_version": "Only a learned arm can pin a model version."})
            if _model_version_stored is not None and not _model_version_stored(self.model_version):
                raise ValidationError({"model_version": f"There is no stored model version {self.model_version}."})


class ExperimentChange(models.Model):
    """The audit trail of an experiment: who started, stopped or re-weighted it, and when."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="changes")
    user = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=20)
    detail = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        who = self.user.handle if self.user else "a deleted account"
        return f"{self.action} by {who} at {self.created_at:%Y-%m-%d %H:%M}"


# Outcome.Kind: every interaction type, and a plan, so that a new interaction type is an outcome kind with
# no change here (declared out here: the constraint in Outcome.Meta reads it).
OutcomeKind = models.TextChoices(
    "OutcomeKind", [(kind.name, (kind.value, kind.label)) for kind in Interaction.Type] + [("PLAN", ("plan", "Plan"))]
)


class Outcome(models.Model):
    """What a user did with a venue a recommendation had shown them, attributed to that impression:
    a view, an interest, a like, or a plan made for it within the attribution window."""

    Kind = OutcomeKind

    POSITIVE_KINDS = tuple(OutcomeKind(kind) for kind in Interaction.POSITIVE_TYPES)

    impression = models.ForeignKey(Impression, on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_by_client = models.BooleanField(default=False, help_text="The client named the recommendation.")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=OutcomeKind.values), name="outcome_kind_valid")]

    def __str__(self) -> str:
        return f"{self.kind} of impression {self.impression_id}"
