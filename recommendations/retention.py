"""Keeping the impressions table from growing without end: old rows go in small batches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from recommendations.models import Impression

PRUNE_BATCH = 5_000


def impressions_prune(
    *, older_than: timedelta, batch: int = PRUNE_BATCH, progress: Callable[[int], None] | None = None
) -> int:
    """Delete impressions (and the outcomes attributed to them) created before now - older_than.

    Each batch is its own short transaction over at most `batch` rows chosen by primary key, so no
    lock is held for long and new impressions keep being written meanwhile. Returns how many went.
    """
    cut = timezone.now() - older_than
    deleted = 0
    while True:
        ids = list(Impression.objects.filter(created_at__lt=cut).order_by("id").values_list("id", flat=True)[:batch])
        if not ids:
            return deleted
        with transaction.atomic():
            Impression.objects.filter(id__in=ids).delete()
        deleted += len(ids)
        if progress is not None:
            progress(deleted)
