"""A/B experiments between rankers: who is in which arm, what they were shown, what they did.

- A running experiment splits the users of `GET /reco/venues/{id}/` (without `?ranker=`) across
  its arms: a user's arm is the SHA-256 of "experiment id:user id" read as a number in [0, 1),
  placed on the arms' cumulative traffic shares. The same user gets the same arm on every request,
  in every process, for as long as the shares stay the same. At most one experiment runs at a time
  (a database constraint); `?ranker=` still serves any ranker (staff previewing an arm), and those
  answers are recorded outside the experiment.
- Each process keeps the running experiment in memory and reads it again when the shared cache's
  generation key changes (any change made through the admin bumps it) or after
  EXPERIMENT_CACHE_SECONDS, so a request costs no query for it.
- Outcomes: an interaction or a plan for a venue the user was shown in the last
  LUNA_ATTRIBUTION_WINDOW_HOURS is attributed to the latest such impression (to the one the client
  names by `recommendation_id`, when it does and it matches).
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Min
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from recommendations.models import Experiment, ExperimentChange, Impression, Outcome

GENERATION_CACHE_KEY = "luna:experiments:generation"
EXPERIMENT_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Arm:
    name: str
    ranker: str
    model_version: int | None
    share: int
    is_control: bool


@dataclass(frozen=True)
class RunningExperiment:
    id: int
    name: str
    arms: tuple[Arm, ...]

    def arm_for(self, user_id: uuid.UUID) -> Arm:
        """The user's arm: deterministic in (experiment, user), proportional to the shares."""
        digest = hashlib.sha256(f"{self.id}:{user_id}".encode()).digest()
        point = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
        total = sum(arm.share for arm in self.arms)
        reached = 0.0
        for arm in self.arms:
            reached += arm.share / total
            if point < reached:
                return arm
        return self.arms[-1]


class _RunningCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: tuple[str | None, float, RunningExperiment | None] | None = None

    def get(self) -> RunningExperiment | None:
        generation = cache.get(GENERATION_CACHE_KEY)
        with self._lock:
            value = self._value
            if value is not None and value[0] == generation and time.monotonic() - value[1] < EXPERIMENT_CACHE_SECONDS:
                return value[2]
        running = _load_running()
        with self._lock:
            self._value = (generation, time.monotonic(), running)
        return running

    def invalidate(self) -> None:
        with self._lock:
            self._value = None


running_cache = _RunningCache()


def _load_running() -> RunningExperiment | None:
    experiment = Experiment.objects.filter(status=Experiment.Status.RUNNING).prefetch_related("arms").first()
    if experiment is None:
        return None
    arms = tuple(
        Arm(arm.name, arm.ranker, arm.model_version, arm.share, arm.is_control)
        for arm in sorted(experiment.arms.all(), key=lambda arm: arm.name)
        if arm.share > 0
    )
    return RunningExperiment(experiment.id, experiment.name, arms) if arms else None


def running_experiment() -> RunningExperiment | None:
    """The experiment running on venue recommendations, if any (no query while it is unchanged)."""
    return running_cache.get()


def experiments_changed() -> None:
    """Make every process read the running experiment again on its next request."""
    cache.set(GENERATION_CACHE_KEY, uuid.uuid4().hex, timeout=None)
    running_cache.invalidate()


# --- changing an experiment (the admin does it through these) -----------------


class ExperimentError(ValueError):
    pass


def _arms_problem(experiment: Experiment) -> str | None:
    arms = list(experiment.arms.all())
    if len(arms) < 2:
        return "An experiment needs at least two arms."
    if sum(arm.share for arm in arms) <= 0:
        return "At least one arm needs a traffic share above 0."
    if sum(arm.is_control for arm in arms) != 1:
        return "Exactly one arm must be the control."
    return None


@transaction.atomic
def experiment_start(*, experiment: Experiment, by) -> Experiment:
    """Start a draft experiment (stop it to end it; a stopped one is not started again)."""
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status != Experiment.Status.DRAFT:
        raise ExperimentError(f"Only a draft experiment can be started; {experiment.name} is {experiment.status}.")
    problem = _arms_problem(experiment)
    if problem:
        raise ExperimentError(problem)
    running = Experiment.objects.filter(status=Experiment.Status.RUNNING).exclude(pk=experiment.pk).first()
    if running is not None:
        raise ExperimentError(f"{running.name} is running; stop it first (one experiment at a time).")
    experiment.status, experiment.started_at = Experiment.Status.RUNNING, timezone.now()
    experiment.save(update_fields=["status", "started_at"])
    ExperimentChange.objects.create(experiment=experiment, user=by, action="start", detail=arms_detail(experiment))
    transaction.on_commit(experiments_changed)
    return experiment


@transaction.atomic
def experiment_stop(*, experiment: Experiment, by) -> Experiment:
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status != Experiment.Status.RUNNING:
        raise ExperimentError(f"Only a running experiment can be stopped; {experiment.name} is {experiment.status}.")
    experiment.status, experiment.stopped_at = Experiment.Status.STOPPED, timezone.now()
    experiment.save(update_fields=["status", "stopped_at"])
    ExperimentChange.objects.create(experiment=experiment, user=by, action="stop", detail={})
    transaction.on_commit(experiments_changed)
    return experiment


def arms_detail(experiment: Experiment) -> dict:
    return {
        "arms": {
            arm.name: {"ranker": arm.ranker, "model_version": arm.model_version, "share": arm.share,
                       "control": arm.is_control}
            for arm in experiment.arms.all()
        }
    }  # fmt: skip


def experiment_record_change(*, experiment: Experiment, by, before: dict) -> None:
    """Audit a change of the arms (shares, rankers) if there was one."""
    after = arms_detail(experiment)
    if after != before:
        ExperimentChange.objects.create(
            experiment=experiment, user=by, action="arms", detail={"before": before["arms"], "after": after["arms"]}
        )
    transaction.on_commit(experiments_changed)


# --- outcomes -----------------------------------------------------------------


def outcome_attribute(
    *,
    user_id: uuid.UUID,
    venue_id: uuid.UUID,
    kind: str,
    recommendation_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> Outcome | None:
    """Attribute what the user just did with the venue to the impression that led there, if any
    (see the module docstring). Returns the outcome stored, or None."""
    at = at or timezone.now()
    window = timedelta(hours=settings.LUNA_ATTRIBUTION_WINDOW_HOURS)
    shown = Impression.objects.filter(
        user_id=user_id, venue_id=venue_id, created_at__gte=at - window, created_at__lte=at
    ).order_by("-created_at", "-id")
    impression = None
    if recommendation_id is not None:
        impression = shown.filter(recommendation_id=recommendation_id).first()
    sent = impression is not None
    if impression is None:
        impression = shown.first()
    if impression is None:
        return None
    return Outcome.objects.create(impression=impression, kind=kind, sent_by_client=sent, created_at=at)


# --- the report -----------------------------------------------------------------

Z_95 = 1.959963984540054
ALPHA = 0.05
MIN_IMPRESSIONS = 1_000  # per arm, before any verdict
MIN_EVENTS = 10  # clicks and non-clicks per arm: the normal approximation needs both


def wilson(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (sound near 0 and with few trials)."""
    if trials == 0:
        return 0.0, 0.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_p(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> float:
    """The two-sided p-value of the pooled two-proportion z-test (1.0 when it cannot be computed)."""
    if trials_a == 0 or trials_b == 0:
        return 1.0
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b))
    if spread == 0:
        return 1.0
    z = (successes_b / trials_b - successes_a / trials_a) / spread
    return math.erfc(abs(z) / math.sqrt(2))


@dataclass(frozen=True)
class ArmFigures:
    name: str
    ranker: str
    model_version: int | None
    is_control: bool
    users: int
    impressions: int
    views: int  # impressions followed by a view of the venue
    clicks: int  # impressions followed by an interest or a like
    plans: int  # impressions followed by a plan for the venue
    click_through: float
    click_through_ci: tuple[float, float]
    plans_per_1000: float
    plans_per_1000_ci: tuple[float, float]
    lift: float | None  # click-through relative to the control's, minus 1; None for the control
    p_value: float | None  # against the control; None for the control


def verdict(arms: list[ArmFigures], *, min_impressions: int = MIN_IMPRESSIONS, alpha: float = ALPHA) -> str:
    """What the click-through says, refusing to call a winner before every arm has enough data.

    Each arm is compared with the control by a two-proportion z-test, at alpha divided by the number
    of comparisons (Bonferroni), and only once every arm has `min_impressions` impressions and at
    least MIN_EVENTS clicks and MIN_EVENTS non-clicks."""
    control = next((arm for arm in arms if arm.is_control), None)
    if control is None or len(arms) < 2:
        return "no verdict: the experiment needs a control and at least one other arm"
    short = [arm for arm in arms if arm.impressions < min_impressions]
    if short:
        needed = ", ".join(f"{arm.name} {arm.impressions:,}/{min_impressions:,}" for arm in short)
        return f"not enough data yet: every arm needs {min_impressions:,} impressions ({needed})"
    thin = [arm for arm in arms if min(arm.clicks, arm.impressions - arm.clicks) < MIN_EVENTS]
    if thin:
        names = ", ".join(arm.name for arm in thin)
        return f"not enough data yet: fewer than {MIN_EVENTS} clicks (or non-clicks) in {names}"
    threshold = alpha / (len(arms) - 1)
    others = [arm for arm in arms if not arm.is_control]
    better = [arm for arm in others if arm.p_value < threshold and arm.click_through > control.click_through]
    worse = [arm for arm in others if arm.p_value < threshold and arm.click_through < control.click_through]
    if better:
        best = max(better, key=lambda arm: arm.click_through)
        return (
            f"winner: {best.name} ({best.lift:+.1%} click-through against {control.name}, "
            f"p = {best.p_value:.2g} < {threshold:.2g})"
        )
    if worse and len(worse) == len(others):
        return f"winner: {control.name} (the control; every other arm has a lower click-through, p < {threshold:.2g})"
    smallest = min(others, key=lambda arm: arm.p_value)
    return f"no winner: no arm differs from {control.name} at {1 - alpha:.0%} (smallest p = {smallest.p_value:.2g})"


def arm_figures(experiment: Experiment) -> list[ArmFigures]:
    """Every arm's figures from the impressions and outcomes stored (a few grouped queries)."""
    shown = {
        row["arm"]: row
        for row in Impression.objects.filter(experiment=experiment)
        .order_by()
        .values("arm")
        .annotate(impressions=Count("id"), users=Count("user", distinct=True))
    }

    def impressions_with(kinds) -> dict[str, int]:
        """Per arm, how many impressions were followed by an outcome of these kinds."""
        rows = (
            Outcome.objects.filter(impression__experiment=experiment, kind__in=kinds)
            .order_by()
            .values("impression__arm")
            .annotate(count=Count("impression", distinct=True))
        )
        return {row["impression__arm"]: row["count"] for row in rows}

    views = impressions_with([Outcome.Kind.VIEW])
    clicks_of = impressions_with(Outcome.POSITIVE_KINDS)
    plans_of = impressions_with([Outcome.Kind.PLAN])
    arms = list(experiment.arms.all())
    control = next((arm for arm in arms if arm.is_control), None)
    control_shown = shown.get(control.name, {}).get("impressions", 0) if control else 0
    control_clicks = clicks_of.get(control.name, 0) if control else 0
    control_rate = control_clicks / control_shown if control_shown else 0.0
    figures = []
    for arm in arms:
        impressions = shown.get(arm.name, {}).get("impressions", 0)
        clicks, plans = clicks_of.get(arm.name, 0), plans_of.get(arm.name, 0)
        rate = clicks / impressions if impressions else 0.0
        low, high = wilson(plans, impressions)
        p_value = None if arm.is_control else two_proportion_p(control_clicks, control_shown, clicks, impressions)
        figures.append(
            ArmFigures(
                name=arm.name,
                ranker=arm.ranker,
                model_version=arm.model_version,
                is_control=arm.is_control,
                users=shown.get(arm.name, {}).get("users", 0),
                impressions=impressions,
                views=views.get(arm.name, 0),
                clicks=clicks,
                plans=plans,
                click_through=rate,
                click_through_ci=wilson(clicks, impressions),
                plans_per_1000=1000 * plans / impressions if impressions else 0.0,
                plans_per_1000_ci=(1000 * low, 1000 * high),
                lift=None if arm.is_control or not control_rate else rate / control_rate - 1,
                p_value=p_value,
            )
        )
    return figures


def cumulative_click_through(experiment: Experiment) -> dict[str, list[tuple[datetime, float]]]:
    """Per arm, (end of each day, or hour for an experiment of under three days; click-through of every
    impression up to then): what the report's plot draws."""
    span = Impression.objects.filter(experiment=experiment).aggregate(start=Min("created_at"), end=Max("created_at"))
    start, end = span["start"], span["end"]
    if start is None:
        return {}
    bucket = TruncHour if end - start < timedelta(days=3) else TruncDay
    shown = (
        Impression.objects.filter(experiment=experiment)
        .annotate(at=bucket("created_at"))
        .order_by()
        .values("arm", "at")
        .annotate(count=Count("id"))
    )
    clicked = (
        Outcome.objects.filter(impression__experiment=experiment, kind__in=Outcome.POSITIVE_KINDS)
        .annotate(at=bucket("impression__created_at"))
        .order_by()
        .values("impression__arm", "at")
        .annotate(count=Count("impression", distinct=True))
    )
    clicks = {(row["impression__arm"], row["at"]): row["count"] for row in clicked}
    series: dict[str, list[tuple[datetime, float]]] = {}
    totals: dict[str, list[int]] = {}
    for row in sorted(shown, key=lambda row: (row["arm"], row["at"])):
        seen = totals.setdefault(row["arm"], [0, 0])
        seen[0] += row["count"]
        seen[1] += clicks.get((row["arm"], row["at"]), 0)
        series.setdefault(row["arm"], []).append((row["at"], seen[1] / seen[0]))
    return series


def plot_png(series: dict[str, list[tuple[datetime, float]]], title: str) -> bytes:
    """The cumulative click-through per arm over time, as a PNG."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 3.5), dpi=100)
    for arm, points in sorted(series.items()):
        axes.plot([at for at, _ in points], [100 * value for _, value in points], marker=".", label=arm)
    axes.set_title(title)
    axes.set_ylabel("cumulative click-through (%)")
    axes.grid(alpha=0.3)
    if series:
        axes.legend()
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    pyplot.close(figure)
    return buffer.getvalue()
