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
  names by `recommendation_id`, when it does and it matches). Impressions are written in batches
  (recommendations.impressions): one still in this process's buffer is written first, and an outcome
  whose impression is not found is looked for again once every process has written what it held.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, Max, Min, Value, When
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone
from scipy import stats

from luna.limits import CACHE_ERRORS
from luna.metrics import CACHE_FAILURES
from recommendations.impressions import impressions_after_written, impressions_pending, impressions_write_now
from recommendations.models import Experiment, ExperimentArm, ExperimentChange, Impression, Outcome

logger = logging.getLogger(__name__)

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
        try:
            generation = cache.get(GENERATION_CACHE_KEY)
        except CACHE_ERRORS as exc:
            # The cache is down: keep what this process last read, and read the database again once
            # EXPERIMENT_CACHE_SECONDS have passed, as when nothing changed.
            logger.warning("cache unavailable, serving the last known running experiment: %s", exc)
            CACHE_FAILURES.labels(use="experiments").inc()
            last = self._value
            generation = last[0] if last is not None else None
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
    if not next(arm for arm in arms if arm.is_control).share:
        return "The control needs a traffic share above 0."
    if sum(arm.share > 0 for arm in arms) < 2:
        return "At least two arms need a traffic share above 0."
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
    try:
        with transaction.atomic():
            experiment.save(update_fields=["status", "started_at"])
    except IntegrityError:  # another one was started at the same moment
        raise ExperimentError("Another experiment was started meanwhile; stop it first (one at a time).") from None
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
    """The arms as stored now (read fresh: a prefetched list would not see a form's changes)."""
    return {
        "arms": {
            arm.name: {"ranker": arm.ranker, "model_version": arm.model_version, "share": arm.share,
                       "control": arm.is_control}
            for arm in ExperimentArm.objects.filter(experiment=experiment).order_by("name")
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
    again: bool = True,
) -> Outcome | None:
    """Attribute what the user just did with the venue to the impression that led there, if any
    (see the module docstring). Returns the outcome stored, or None: None too when the impression may
    still be in another process's buffer (none found, or not the one the client named), and then, with
    `again`, it is attributed in the background once every process has written what it held."""
    at = at or timezone.now()
    if impressions_pending(user_id=user_id, venue_id=venue_id):
        impressions_write_now()  # this process showed the venue and has not written it yet
    found = _impression_of(user_id=user_id, venue_id=venue_id, recommendation_id=recommendation_id, at=at)
    missed = found is None or (recommendation_id is not None and not found[1])
    if missed and again:
        later = partial(
            outcome_attribute,
            user_id=user_id,
            venue_id=venue_id,
            kind=kind,
            recommendation_id=recommendation_id,
            at=at,
            again=False,
        )
        if impressions_after_written(later):
            return None
    if found is None:
        return None
    impression, sent = found
    return Outcome.objects.create(impression=impression, kind=kind, sent_by_client=sent, created_at=at)


def _impression_of(
    *, user_id: uuid.UUID, venue_id: uuid.UUID, recommendation_id: uuid.UUID | None, at: datetime
) -> tuple[Impression, bool] | None:
    """(the impression an outcome at `at` goes to, whether it is the one the client named), or None."""
    window = timedelta(hours=settings.LUNA_ATTRIBUTION_WINDOW_HOURS)
    shown = Impression.objects.filter(
        user_id=user_id, venue_id=venue_id, created_at__gte=at - window, created_at__lte=at
    ).order_by("-created_at", "-id")
    impression = None
    if recommendation_id is not None:
        impression = shown.filter(recommendation_id=recommendation_id).first()
    sent = impression is not None
    if impression is None:
        # An experiment's impression first: the same venue shown since in a plan's group suggestions
        # or outside the experiment must not take the outcome away from the arm that showed it.
        impression = (
            shown.alias(outside=Case(When(experiment__isnull=True, then=Value(1)), default=Value(0)))
            .order_by("outside", "-created_at", "-id")
            .first()
        )
    return None if impression is None else (impression, sent)


# --- the report -----------------------------------------------------------------

ALPHA = 0.05
MIN_EVENTS = 10  # users who clicked, per arm: a mean carried by a handful of users proves nothing


def two_proportion_p(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> float:
    """The two-sided p-value of the pooled two-proportion z-test (1.0 when it cannot be computed): impressions
    as the unit, the comparison docs/experiments.md keeps; the report uses `welch_p`."""
    if trials_a == 0 or trials_b == 0:
        return 1.0
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b))
    if spread == 0:
        return 1.0
    z = (successes_b / trials_b - successes_a / trials_a) / spread
    return math.erfc(abs(z) / math.sqrt(2))


NO_DATA = "no data"  # what the reports say of an arm's figures when it has no impressions


@dataclass(frozen=True)
class ArmFigures:
    name: str
    ranker: str
    model_version: int | None
    is_control: bool
    share: int
    users: int
    users_who_clicked: int
    impressions: int
    views: int  # impressions followed by a view of the venue
    clicks: int  # impressions followed by an interest or a like
    plans: int  # impressions followed by a plan for the venue
    click_through: float  # the mean over the arm's users of each one's clicks / impressions
    click_through_ci: tuple[float, float]
    plans_per_1000: float  # the mean over users of each one's plans per 1,000 impressions
    plans_per_1000_ci: tuple[float, float]
    lift: float | None  # click-through relative to the control's, minus 1; None for the control and without data
    p_value: float | None  # against the control; None for the control and without data

    @property
    def click_through_text(self) -> str:
        """Click-through and its interval as the reports print them (NO_DATA for an arm without impressions)."""
        low, high = self.click_through_ci
        return f"{self.click_through:.2%} ({low:.2%}-{high:.2%})" if self.impressions else NO_DATA

    @property
    def plans_text(self) -> str:
        low, high = self.plans_per_1000_ci
        return f"{self.plans_per_1000:.1f} ({low:.1f}-{high:.1f})" if self.impressions else NO_DATA

    @property
    def lift_text(self) -> str:
        """The lift as the reports print it: NO_DATA for an arm nobody was shown anything in."""
        if self.impressions == 0:
            return NO_DATA
        return "-" if self.lift is None else f"{self.lift:+.1%}"

    @property
    def p_text(self) -> str:
        if self.impressions == 0:
            return NO_DATA
        return "-" if self.p_value is None else f"{self.p_value:.3g}"


def verdict(arms: list[ArmFigures], *, min_users: int | None = None, alpha: float = ALPHA) -> str:
    """What the click-through says, refusing to call a winner before every arm has enough users.

    The unit is the user: each arm's click-through is the mean of its users' own click-through, and
    it is compared with the control's by Welch's t-test over users (`welch_p`), at alpha divided by
    the number of comparisons (Bonferroni); only once every arm has `min_users` users
    (LUNA_EXPERIMENT_MIN_USERS) and at least MIN_EVENTS users who clicked. One account counts once
    however much it asks and clicks, so it moves its arm's figure by at most 1/users."""
    min_users = settings.LUNA_EXPERIMENT_MIN_USERS if min_users is None else min_users
    arms = [arm for arm in arms if arm.share > 0 or arm.impressions > 0]  # an arm without traffic is no arm
    control = next((arm for arm in arms if arm.is_control), None)
    if control is None or len(arms) < 2:
        return "no verdict: the experiment needs a control and at least one other arm with traffic"
    short = [arm for arm in arms if arm.users < min_users]
    if short:
        needed = ", ".join(f"{arm.name} {arm.users:,}/{min_users:,}" for arm in short)
        return f"not enough data yet: every arm needs {min_users:,} users ({needed})"
    thin = [arm for arm in arms if arm.users_who_clicked < MIN_EVENTS]
    if thin:
        names = ", ".join(f"{arm.name} {arm.users_who_clicked}" for arm in thin)
        return f"not enough data yet: every arm needs {MIN_EVENTS} users who clicked ({names})"
    threshold = alpha / (len(arms) - 1)
    others = [arm for arm in arms if not arm.is_control]
    better = [arm for arm in others if arm.p_value < threshold and arm.click_through > control.click_through]
    worse = [arm for arm in others if arm.p_value < threshold and arm.click_through < control.click_through]

    def listed(group) -> str:
        return ", ".join(f"{arm.name} ({arm.lift:+.1%}, p = {arm.p_value:.2g})" for arm in group)

    if len(better) == 1:
        best = better[0]
        said = (
            f"winner: {best.name} ({best.lift:+.1%} click-through against {control.name}, "
            f"p = {best.p_value:.2g} < {threshold:.2g})"
        )
        return said + (f"; worse than {control.name}: {listed(worse)}" if worse else "")
    if better:
        return (
            f"no single winner: better than {control.name} at p < {threshold:.2g}: {listed(better)} "
            "(they are not compared with each other: run them against each other to choose)"
        )
    if worse and len(worse) == len(others):
        return f"winner: {control.name} (the control; every other arm is worse, p < {threshold:.2g})"
    if worse:
        return f"no winner: no arm beats {control.name}; worse than it at p < {threshold:.2g}: {listed(worse)}"
    smallest = min(others, key=lambda arm: arm.p_value)
    return f"no winner: no arm differs from {control.name} at {1 - alpha:.0%} (smallest p = {smallest.p_value:.2g})"


@dataclass(frozen=True)
class ArmCounts:
    """One arm's counts per user (the unit of the test: a user's impressions are not independent)."""

    impressions: np.ndarray  # (users,) impressions each user of the arm was shown
    clicks: np.ndarray  # (users,) of those, how many were followed by an interest or a like
    plans: np.ndarray  # (users,) ... by a plan for the venue
    views: int = 0  # impressions followed by a view (reported, not tested)


def mean_interval(values: np.ndarray, confidence: float = 1 - ALPHA) -> tuple[float, float, float]:
    """(mean, the variance of the mean, half the t-interval) of one value per user."""
    users = len(values)
    mean = float(values.mean()) if users else 0.0
    if users < 2:
        return mean, math.inf, math.inf
    variance = float(values.var(ddof=1)) / users
    return mean, variance, float(stats.t.ppf((1 + confidence) / 2, users - 1)) * math.sqrt(variance)


def welch_p(control: np.ndarray, other: np.ndarray) -> float:
    """The two-sided p-value of Welch's t-test between two arms' per-user values (1.0 when it cannot
    be computed)."""
    mean_a, variance_a, _ = mean_interval(control)
    mean_b, variance_b, _ = mean_interval(other)
    spread = math.sqrt(variance_a + variance_b)
    if not math.isfinite(spread):
        return 1.0
    if spread == 0:  # every user of both arms at their arm's value: any difference is certain
        return 1.0 if mean_a == mean_b else 0.0
    # Welch-Satterthwaite degrees of freedom.
    freedom = (variance_a + variance_b) ** 2 / (variance_a**2 / (len(control) - 1) + variance_b**2 / (len(other) - 1))
    return float(2 * stats.t.sf(abs(mean_b - mean_a) / spread, freedom))


def _per_user(numerators: np.ndarray, impressions: np.ndarray) -> np.ndarray:
    return numerators / np.maximum(impressions, 1)


def figures_of(arms: list[ExperimentArm], counts: dict[str, ArmCounts]) -> list[ArmFigures]:
    """The report's figures of each arm from its per-user counts (see `verdict` for the test)."""
    empty = ArmCounts(np.zeros(0), np.zeros(0), np.zeros(0))
    control = next((arm for arm in arms if arm.is_control), None)
    control_counts = counts.get(control.name, empty) if control else empty
    control_rates = _per_user(control_counts.clicks, control_counts.impressions)
    control_rate = mean_interval(control_rates)[0]
    figures = []
    for arm in arms:
        mine = counts.get(arm.name, empty)
        rates = _per_user(mine.clicks, mine.impressions)
        rate, _, half = mean_interval(rates)
        # Nothing shown, nothing to compare: not a lift of -100 % and p = 1.
        compared = not arm.is_control and mine.impressions.sum() > 0
        plans_rate, _, plans_half = mean_interval(_per_user(mine.plans, mine.impressions))
        figures.append(
            ArmFigures(
                name=arm.name,
                ranker=arm.ranker,
                model_version=arm.model_version,
                is_control=arm.is_control,
                share=arm.share,
                users=len(mine.impressions),
                users_who_clicked=int((mine.clicks > 0).sum()),
                impressions=int(mine.impressions.sum()),
                views=mine.views,
                clicks=int(mine.clicks.sum()),
                plans=int(mine.plans.sum()),
                click_through=rate,
                click_through_ci=(max(0.0, rate - half), min(1.0, rate + half)),
                plans_per_1000=1000 * plans_rate,
                plans_per_1000_ci=(1000 * max(0.0, plans_rate - plans_half), 1000 * min(1.0, plans_rate + plans_half)),
                lift=rate / control_rate - 1 if compared and control_rate else None,
                p_value=welch_p(control_rates, rates) if compared else None,
            )
        )
    return figures


def arm_figures(experiment: Experiment) -> list[ArmFigures]:
    """Every arm's figures from the impressions and outcomes stored (grouped by arm and user)."""
    shown = (
        Impression.objects.filter(experiment=experiment)
        .order_by()
        .values_list("arm", "user_id")
        .annotate(count=Count("id"))
    )

    def followed_by(kinds) -> dict[tuple[str, uuid.UUID], int]:
        """Per (arm, user), how many impressions were followed by an outcome of these kinds."""
        rows = (
            Outcome.objects.filter(impression__experiment=experiment, kind__in=kinds)
            .order_by()
            .values_list("impression__arm", "impression__user_id")
            .annotate(count=Count("impression", distinct=True))
        )
        return {(arm, user): count for arm, user, count in rows}

    clicks, plans, views = (
        followed_by(Outcome.POSITIVE_KINDS),
        followed_by([Outcome.Kind.PLAN]),
        followed_by([Outcome.Kind.VIEW]),
    )
    per_arm: dict[str, list[tuple[int, int, int]]] = {}
    for arm, user, count in shown:
        per_arm.setdefault(arm, []).append((count, clicks.get((arm, user), 0), plans.get((arm, user), 0)))
    counts = {}
    for arm, rows in per_arm.items():
        table = np.array(rows, dtype=np.float64).reshape(-1, 3)
        viewed = sum(count for (view_arm, _), count in views.items() if view_arm == arm)
        counts[arm] = ArmCounts(table[:, 0], table[:, 1], table[:, 2], viewed)
    return figures_of(list(experiment.arms.all()), counts)


def cumulative_click_through(experiment: Experiment) -> dict[str, list[tuple[datetime, float]]]:
    """Per arm, (end of each day, or hour for an experiment of under three days; the click-through up to
    then, as the report computes it: the mean over the users shown something of their own click-through):
    what the report's plot draws."""
    span = Impression.objects.filter(experiment=experiment).aggregate(start=Min("created_at"), end=Max("created_at"))
    start, end = span["start"], span["end"]
    if start is None:
        return {}
    bucket = TruncHour if end - start < timedelta(days=3) else TruncDay
    shown = (
        Impression.objects.filter(experiment=experiment)
        .annotate(at=bucket("created_at"))
        .order_by()
        .values_list("arm", "at", "user_id")
        .annotate(count=Count("id"))
    )
    clicked = (
        Outcome.objects.filter(impression__experiment=experiment, kind__in=Outcome.POSITIVE_KINDS)
        .annotate(at=bucket("impression__created_at"))
        .order_by()
        .values_list("impression__arm", "at", "impression__user_id")
        .annotate(count=Count("impression", distinct=True))
    )
    clicks = {(arm, at, user): count for arm, at, user, count in clicked}
    series: dict[str, list[tuple[datetime, float]]] = {}
    seen: dict[tuple[str, uuid.UUID], list[int]] = {}  # (arm, user) -> [impressions, clicks] so far
    rate_sums: dict[str, float] = {}  # per arm, the sum of its users' click-through so far
    users: dict[str, int] = {}
    for arm, at, user, count in sorted(shown, key=lambda row: (row[0], row[1])):
        counted = seen.get((arm, user))
        if counted is None:
            counted = seen[(arm, user)] = [0, 0]
            users[arm] = users.get(arm, 0) + 1
        else:
            rate_sums[arm] -= counted[1] / counted[0]
        counted[0] += count
        counted[1] += clicks.get((arm, at, user), 0)
        rate_sums[arm] = rate_sums.get(arm, 0.0) + counted[1] / counted[0]
        points = series.setdefault(arm, [])
        point = (at, rate_sums[arm] / users[arm])
        if points and points[-1][0] == at:
            points[-1] = point
        else:
            points.append(point)
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
