"""Training the learned ranker on the database, storing it as a version, and choosing the active one."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from recommendations.engine.learned import LearnedRanker
from recommendations.history import database_world
from recommendations.models import RankerVersion

VERSION_ATTEMPTS = 5
NOTHING_TO_LEARN = "There is nothing to learn from yet: no user has liked or shown interest in a venue."


def ranker_train(*, progress: Callable[[str], None] | None = None, activate: bool = True) -> RankerVersion:
    """Fit the learned ranker on everything the database holds and store it as the next version.

    The fit holds out a slice of each user's interactions to fit its weights (imported data
    has no meaningful timestamps to split by); `evaluate --rankers learned` does the same.
    """
    say = progress or (lambda message: None)
    started = time.perf_counter()
    data = database_world()
    world = data.world
    if world.positive.nnz == 0 or not (world.positive.data > 0).any():
        raise ValidationError(NOTHING_TO_LEARN)
    say(f"read {world.n_users:,} users, {world.n_venues:,} venues, {world.interactions.nnz:,} user-venue pairs")
    ranker = LearnedRanker(settings.LUNA_RANKER).fit(world, progress=say)
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
                if activate:
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
    # Every process reads the active version with its watermarks (recommendations.catalogue) and
    # swaps the model in without reloading its venues.
    return version


@transaction.atomic
def ranker_deactivate() -> None:
    """Serve the formula again."""
    RankerVersion.objects.filter(is_active=True).update(is_active=False)
