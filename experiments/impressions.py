"""Recording what recommendations showed, without costing the request.

A recommendation adds its rows to a per-process buffer; they are written in one bulk insert
when the request has finished (Django's request_finished signal, which fires after the
response has been sent), together with whatever else is waiting. A failed write is logged
and counted in /metrics (luna_impressions_failed_total); the recommendation was served anyway.
Outside a request (a management command, the shell) `impressions_flush()` writes them.

At most LUNA_IMPRESSIONS_PER_USER_PER_DAY rows are stored per user per UTC day: the flush adds each
user's rows to a counter of theirs for the day in the shared cache (luna.limits.window_count, the
counter every limit uses: exact on Redis and on one machine's file cache) and keeps only what is
still under the bound, the earliest answers and their top ranks first. Beyond it the user is still
served, unrecorded (counted in luna_impressions_over_daily_bound_total). The count costs the
request nothing: it happens after the response, with the insert.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable
from contextlib import nullcontext

from django.conf import settings
from django.core.signals import request_finished
from django.db import DatabaseError, connections, router, transaction
from django.utils import timezone

from experiments.models import Impression
from luna.limits import CacheUnavailable, window_count
from luna.metrics import IMPRESSIONS_FAILED, IMPRESSIONS_OVER_DAILY_BOUND, IMPRESSIONS_RECORDED

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_pending: list[Impression] = []

DAY_SECONDS = 86_400


def impressions_record(
    *,
    recommendation_id: uuid.UUID,
    user_id: uuid.UUID,
    venue_ids: Iterable[uuid.UUID],
    ranker: str,
    model_version: int | None,
    plan_id: uuid.UUID | None = None,
    experiment_id: int | None = None,
    arm: str = "",
) -> None:
    """Queue one answer's venues, ranked from 1, for the bulk write after the response (nothing when
    LUNA_RECORD_IMPRESSIONS is off)."""
    if not settings.LUNA_RECORD_IMPRESSIONS:
        return
    now = timezone.now()
    rows = [
        Impression(
            recommendation_id=recommendation_id,
            user_id=user_id,
            venue_id=venue_id,
            plan_id=plan_id,
            rank=rank,
            ranker=ranker,
            model_version=model_version,
            experiment_id=experiment_id,
            arm=arm,
            created_at=now,
        )
        for rank, venue_id in enumerate(venue_ids, start=1)
    ]
    with _lock:
        _pending.extend(rows)


def impressions_flush() -> int:
    """Write every queued impression in one insert; returns how many were written (0 after a failure)."""
    global _pending
    with _lock:
        rows, _pending = _pending, []
    rows = _within_daily_bound(rows)
    if not rows:
        return 0
    try:
        _insert(rows)
    except DatabaseError:
        IMPRESSIONS_FAILED.inc(len(rows))
        logger.exception("Recording %s recommendation impressions failed; they are lost", len(rows))
        return 0
    IMPRESSIONS_RECORDED.inc(len(rows))
    return len(rows)


def _within_daily_bound(rows: list[Impression]) -> list[Impression]:
    """The rows whose user is still under LUNA_IMPRESSIONS_PER_USER_PER_DAY for the day they were shown
    (see the module docstring), in their order."""
    bound = settings.LUNA_IMPRESSIONS_PER_USER_PER_DAY
    groups: dict[tuple, list[Impression]] = {}
    for row in rows:
        groups.setdefault((row.user_id, row.created_at.date()), []).append(row)
    kept = []
    for (user_id, day), theirs in groups.items():
        key = f"luna:impressions:{day:%Y%m%d}:{user_id}"
        try:
            # The key names the day; its window outlives the day by one so that a flush around midnight finds it.
            total = window_count(key, seconds=2 * DAY_SECONDS, amount=len(theirs))
        except CacheUnavailable:  # the cache is down: record them (a bound missed beats experiment data lost)
            logger.warning("Counting impressions per user failed; recorded without the daily bound", exc_info=True)
            kept += theirs
            continue
        allowed = max(0, bound - (total - len(theirs)))
        kept += theirs[:allowed]
        if allowed < len(theirs):
            IMPRESSIONS_OVER_DAILY_BOUND.inc(len(theirs) - allowed)
    return kept


def _insert(rows: list[Impression]) -> None:
    """The rows in multi-row INSERTs of their own: without the ORM's per-object work, the ids it would
    read back (nothing needs them) and its transaction around one statement, about half the cost."""
    connection = connections[router.db_for_write(Impression)]
    fields = [field for field in Impression._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # SQLite takes at most 999 parameters per statement; PostgreSQL has no such limit (None).
    per_statement = max(1, min(1000, (connection.features.max_query_params or 65535) // len(fields)))
    # One statement commits on its own; several are one transaction, so that a failure loses them all
    # (as it is counted) and never writes half.
    atomic = transaction.atomic(using=connection.alias) if len(rows) > per_statement else nullcontext()
    with atomic, connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            batch = rows[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {connection.ops.quote_name(Impression._meta.db_table)} ({columns}) "
                f"VALUES {', '.join([one_row] * len(batch))}",
                [field.get_db_prep_save(getattr(row, field.attname), connection) for row in batch for field in fields],
            )


def impressions_discard() -> None:
    """Forget what is queued (for tests: their rows are rolled back)."""
    with _lock:
        _pending.clear()


def _flush_after_request(sender, **kwargs) -> None:
    impressions_flush()


request_finished.connect(_flush_after_request, dispatch_uid="experiments.impressions")
