"""Keeping the impressions table from growing without end: old rows go in small batches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from experiments.models import Impression, Outcome

PRUNE_BATCH = 5_000


def impressions_prune(
    *, older_than: timedelta, batch: int = PRUNE_BATCH, progress: Callable[[int], None] | None = None
) -> int:
    """Delete impressions (and the outcomes attributed to them) created before now - older_than.

    Each batch is its own short transaction over at most `batch` rows chosen by primary key, so no
    lock is held for long and new impressions keep being written meanwhile. Returns how many went.
    """
    cut = timezone.now() - older_than
    table = connection.ops.quote_name(Impression._meta.db_table)
    deleted, after = 0, 0
    while True:
        # From the last batch's end on: what came before is gone (no walk past its dead rows).
        old = Impression.objects.filter(created_at__lt=cut, id__gt=after).order_by("id").values_list("id", flat=True)
        last = old[batch - 1 : batch].first() or old.order_by("-id").first()
        if last is None:
            return deleted
        with transaction.atomic():
            # Their outcomes first (one DELETE), then the impressions by id range: one statement each,
            # without loading the rows into Python as a cascading QuerySet.delete() would.
            Outcome.objects.filter(
                impression_id__gt=after, impression_id__lte=last, impression__created_at__lt=cut
            ).delete()
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {table} WHERE id > %s AND id <= %s AND created_at < %s",
                    [after, last, connection.ops.adapt_datetimefield_value(cut)],
                )
                deleted += cursor.rowcount
        after = last
        if progress is not None:
            progress(deleted)
