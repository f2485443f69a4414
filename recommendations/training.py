"""Training the learned ranker on the database, storing it as a version, and choosing the active one."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from ranking.learned import INPUT_NAMES, LearnedRanker
from recommendations.candidates import candidates_queue_refresh
from recommendations.history import database_history
from recommendations.models import RankerVersion

VERSION_ATTEMPTS = 5
NOTHING_TO_LEARN = "There is nothing to learn from yet: no user has liked or shown interest in a venue."
# Fewer users with two liked venues (one to learn from, one to hold out) than this: no model is stored.
MIN_TRAINING_USERS = 10


def _served() -> tuple[RankerVersion | None, np.ndarray | None]:
    """The served version and its weights (None, None: the formula serves; weights None: unreadable)."""
    version = RankerVersion.objects.filter(is_active=True).first()
    if version is None:
        return None, None
    try:
        weights = LearnedRanker.from_bytes(bytes(version.artifact)).weights
    except (ValueError, KeyError):
        return version, None
    return version, weights if len(weights) == len(INPUT_NAMES) else None


def verdict(version: RankerVersion) -> str:
    """One line: is this version served, and why (the gate's figures)."""
    gate = version.metrics.get("gate")
    if version.is_active:
        why = "" if gate is None else f" ({gate['reason']})"
        forced = "" if gate is None or gate["passed"] else ", activated anyway"
        return f"Model version {version.version} is now served{forced}{why}."
    served = RankerVersion.objects.filter(is_active=True).values_list("version", flat=True).first()
    keeps = "the formula keeps serving" if served is None else f"version {served} keeps serving"
    why = "--no-activate" if gate is None or gate["passed"] else gate["reason"]
    return f"Model version {version.version} stored, not served: {why}; {keeps}."


def ranker_train(
    *, progress: Callable[[str], None] | None = None, activate: bool = True, activate_anyway: bool = False
) -> RankerVersion:
    """Fit the learned ranker on everything the database holds and store it as the next version.

    The fit holds out a slice of each user's interactions to fit its weights (imported data
    has no meaningful timestamps to split by); `evaluate --rankers learned` does the same.
    Users whose held-out visits the weights never saw validate it against the served ranker
    (the served version's weights on the same signals, or the formula): it is served only when
    its gate passes (learned.gate; `metrics["gate"]`), or with `activate_anyway`. Too little data
    stores nothing (a ValidationError that says why).
    """
    say = progress or (lambda message: None)
    started = time.perf_counter()
    data = database_history()
    world = data.world
    if world.positive.nnz == 0 or not (world.positive.data > 0).any():
        raise ValidationError(NOTHING_TO_LEARN)
    served, served_weights = _served()
    learners = int((np.diff(world.positive.tocsr().indptr) >= 2).sum())
    if learners < MIN_TRAINING_USERS:
        keeps = "the formula keeps serving" if served is None else f"version {served.version} keeps serving"
        raise ValidationError(
            f"Too little data to train a ranker: {learners} users have liked two venues or more, "
            f"{MIN_TRAINING_USERS} are needed; nothing stored, {keeps}."
        )
    say(f"read {world.n_users:,} users, {world.n_venues:,} venues, {world.interactions.nnz:,} user-venue pairs")
    ranker = LearnedRanker(settings.LUNA_RANKER).fit(world, progress=say, served_weights=served_weights)
    ranker.user_keys, ranker.venue_keys = data.user_keys, data.venue_keys
    artifact = ranker.to_bytes()
    trained_on = {
        "users": world.n_users,
        "venues": world.n_venues,
        "user_venue_pairs": int(world.interactions.nnz),
        "positive_interactions": int(world.positive.sum()),
        "edges": int(world.social.nnz) if world.social is not None else 0,
    }
    # The next number; two trainings finishing at once collide on the unique version (or on the one
    # active version) and the later one takes the number after.
    for attempt in range(VERSION_ATTEMPTS):
        try:
            with transaction.atomic():
                latest = RankerVersion.objects.aggregate(latest=Max("version"))["latest"] or 0
                version = RankerVersion.objects.create(
                    version=latest + 1,
                    ranker=ranker.name,
                    trained_on=trained_on,
                    parameters=ranker.config,
                    metrics=ranker.report["holdout"],
                    training_seconds=round(time.perf_counter() - started, 2),
                    artifact=artifact,
                    artifact_bytes=len(artifact),
                )
                if activate_anyway or (activate and ranker.report["holdout"]["gate"]["passed"]):
                    version = ranker_activate(version=version)
            break
        except IntegrityError:
            if attempt == VERSION_ATTEMPTS - 1:
                raise
    return version


@transaction.atomic
def ranker_activate(*, version: RankerVersion) -> RankerVersion:
    """Serve this version from now on (a rollback, for an older one); every process follows."""
    RankerVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
    RankerVersion.objects.filter(pk=version.pk).update(is_active=True, activated_at=timezone.now())
    version.refresh_from_db(fields=["is_active", "activated_at"])
    transaction.on_commit(candidates_queue_refresh)  # the users' lists ranked by the previous model
    # Every process reads the active version with its watermarks (recommendations.catalogue) and
    # swaps the model in without reloading its venues.
    return version


@transaction.atomic
def ranker_deactivate() -> None:
    """Serve the formula again."""
    RankerVersion.objects.filter(is_active=True).update(is_active=False)
    transaction.on_commit(candidates_queue_refresh)
