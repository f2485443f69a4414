"""Retraining on a schedule, for when CELERY_BROKER_URL is set (without a broker: cron runs train_ranker)."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError

from luna.celery import app
from recommendations.training import ranker_train, verdict

logger = logging.getLogger(__name__)


@app.task(name="recommendations.retrain_ranker")
def retrain_ranker() -> int | None:
    """Train a new model version, served when it passes the gate (Celery beat, every LUNA_RETRAIN_SECONDS);
    None when there is too little to learn from."""
    try:
        version = ranker_train()
    except ValidationError as exc:
        logger.info("Not retraining the ranker: %s", " ".join(exc.messages))
        return None
    logger.info("Ranker version %s trained in %.1f s. %s", version.version, version.training_seconds, verdict(version))
    return version.version


@app.task(name="recommendations.refresh_user_candidates")
def refresh_user_candidates(user_ids: list[str]) -> int:
    """Rank these users' candidate lists again (after their own write committed); how many were kept."""
    import uuid

    from recommendations.candidates import candidates_refresh, catalogue_up_to_date

    return candidates_refresh((uuid.UUID(user_id) for user_id in user_ids), catalogue=catalogue_up_to_date())


@app.task(name="recommendations.refresh_candidates")
def refresh_candidates() -> int:
    """Queue the candidate lists that are due to be ranked again, oldest first, LUNA_CANDIDATES_BATCH users
    per task, so that every worker takes a share (Celery beat, every quarter of LUNA_CANDIDATES_MAX_AGE;
    and after a new model version); how many users were queued."""
    from django.conf import settings

    from recommendations.candidates import candidates_due, catalogue_up_to_date

    batch = settings.LUNA_CANDIDATES_BATCH
    user_ids = candidates_due(batch * MAX_QUEUED_BATCHES, catalogue_up_to_date())
    for start in range(0, len(user_ids), batch):
        refresh_user_candidates.delay([str(user_id) for user_id in user_ids[start : start + batch]])
    return len(user_ids)


# At most this many batches are queued per run: the next run queues what is still due.
MAX_QUEUED_BATCHES = 50
