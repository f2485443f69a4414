"""Pruning old impressions on a schedule, for when CELERY_BROKER_URL is set (without a broker: cron runs
prune_impressions)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings

from experiments.retention import impressions_prune
from luna.celery import app

logger = logging.getLogger(__name__)


@app.task(name="experiments.prune_impressions")
def prune_impressions() -> int:
    """Delete impressions older than LUNA_IMPRESSIONS_KEEP_DAYS, in batches (Celery beat, daily)."""
    deleted = impressions_prune(older_than=timedelta(days=settings.LUNA_IMPRESSIONS_KEEP_DAYS))
    logger.info("Pruned %s impressions", deleted)
    return deleted
