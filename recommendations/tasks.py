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
