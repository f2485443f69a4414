from __future__ import annotations

from django.core.exceptions import ValidationError
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
        "recommendations.Experiment", on_delete=models.SET_NULL, null=True, blank=True, related_name="impressions"
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


class Experiment(models.Model):
    """An A/B test between rankers on the venue recommendation: users split across its arms.

    A user's arm is a hash of (experiment, user id) over the arms' traffic shares, so it is the
    same on every request and in every process. At most one experiment runs at a time.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RUNNING = "running", "Running"
        STOPPED = "stopped", "Stopped"

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
            models.CheckConstraint(
                condition=Q(status__in=["draft", "running", "stopped"]), name="experiment_status_valid"
            ),
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
            if not RankerVersion.objects.filter(version=self.model_version).exists():
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


class Outcome(models.Model):
    """What a user did with a venue a recommendation had shown them, attributed to that impression:
    a view, an interest, a like, or a plan made for it within the attribution window."""

    class Kind(models.TextChoices):
        VIEW = "view", "View"
        INTEREST = "interest", "Interest"
        LIKE = "like", "Like"
        PLAN = "plan", "Plan"

    POSITIVE_KINDS = (Kind.INTEREST, Kind.LIKE)

    impression = models.ForeignKey(Impression, on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_by_client = models.BooleanField(default=False, help_text="The client named the recommendation.")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} of impression {self.impression_id}"


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
