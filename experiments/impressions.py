"""Recording what recommendations showed, off the request path, in batches.

A recommendation appends its rows to a per-process buffer (microseconds, under a lock) and answers.
A daemon thread of the process, the flusher (started with the first row; a forked child, such as a
gunicorn worker, starts its own), writes the whole buffer in one bulk insert as soon as it holds
LUNA_IMPRESSIONS_BATCH_ROWS rows (1,000) or its oldest row has waited LUNA_IMPRESSIONS_FLUSH_SECONDS
(1 s), whichever comes first: under load one insert carries many answers, and a quiet process still
writes within the second. No request waits for a write. A failed write is logged and counted in
/metrics (luna_impressions_failed_total); the recommendations were served anyway.
LUNA_IMPRESSIONS_FLUSH_SECONDS=0 takes the thread away: each request writes the buffer when it has
finished (Django's request_finished, after the response) — the tests' mode, whose rows live in the
test's own transaction, which no other connection can see. Outside a request (a management command,
the shell) `impressions_flush()` writes everything waiting, in either mode.

Shutdown and crashes. A clean exit writes everything: gunicorn's worker_exit hook (gunicorn.conf.py),
and atexit for any other process, call `impressions_shutdown()`, which waits for a write in progress,
writes the rest and runs the attributions waiting on them (below). A process killed without its exit
(SIGKILL, the OOM killer, gunicorn's kill of a worker past its timeout) loses its buffer: the answers
of its last LUNA_IMPRESSIONS_FLUSH_SECONDS, at most LUNA_IMPRESSIONS_BATCH_ROWS rows (more only when a
write is slower than that: what arrives meanwhile waits for the next one) — plus the outcomes of its
last ~2 s waiting to be attributed again (below). Nothing else: every other row is in the database.

Attribution (experiments.attribution.outcome_attribute) must find an impression within seconds
of its answer. An interaction looks in the database; when the venue it names was shown by this process
and is still in its buffer (`impressions_pending`), it has the flusher write the buffer first, in a
transaction of its own (`impressions_write_now`, waited for up to 2 s); when it finds nothing,
the answer may be in another process's buffer, so it is looked for once more after the transaction
commits, once every process has written what it holds (`impressions_after_written`: in the flusher,
LUNA_IMPRESSIONS_FLUSH_SECONDS + 1 s later).

At most LUNA_IMPRESSIONS_PER_USER_PER_DAY rows are stored per user per UTC day: each write adds each
user's rows to a counter of theirs for the day in the shared cache (luna.limits.window_count, the
counter every limit uses: exact on Redis and on one machine's file cache) and keeps only what is
still under the bound, the earliest answers and their top ranks first (the buffer keeps the order they
were shown in). Beyond it the user is still served, unrecorded (counted in
luna_impressions_over_daily_bound_total). The count costs the request nothing: the write makes it.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import nullcontext

from django.conf import settings
from django.core.signals import request_finished
from django.db import DatabaseError, close_old_connections, connections, router, transaction
from django.utils import timezone

from experiments.models import Impression
from luna.limits import CacheUnavailable, window_count
from luna.metrics import IMPRESSIONS_BATCH_ROWS, IMPRESSIONS_FAILED, IMPRESSIONS_OVER_DAILY_BOUND, IMPRESSIONS_RECORDED

logger = logging.getLogger(__name__)

DAY_SECONDS = 86_400
# What a write may take beyond LUNA_IMPRESSIONS_FLUSH_SECONDS before what every process held is in the
# database: an insert of a batch takes milliseconds; this is for a slow one.
WRITE_GRACE_SECONDS = 1.0

_lock = threading.Lock()  # the buffer, the attributions waiting and the flusher
_wake = threading.Condition(_lock)  # the flusher sleeps on it until a write is due
_written = threading.Condition(_lock)  # impressions_write_now waits on it for the flusher's write
_asked = 0  # writes asked of the flusher by impressions_write_now, counted
_done = 0  # of those, how many the flusher's writes have served
_writing = threading.Lock()  # one write at a time: an exit waits for the flusher's write in progress
_pending: list[Impression] = []
_oldest = 0.0  # time.monotonic() when the oldest row of _pending was added
_waiting: list[tuple[float, Callable[[], object]]] = []  # (when due, callback): impressions_after_written
_flusher: threading.Thread | None = None


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
    """Queue one answer's venues, ranked from 1, for a bulk write off the request path (nothing when
    LUNA_RECORD_IMPRESSIONS is off)."""
    global _oldest
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
    if not rows:
        return
    in_background = settings.LUNA_IMPRESSIONS_FLUSH_SECONDS > 0
    batch = settings.LUNA_IMPRESSIONS_BATCH_ROWS
    with _lock:
        first = not _pending
        if first:
            _oldest = time.monotonic()
        _pending.extend(rows)
        if in_background:
            _flusher_started()
            if first or len(_pending) >= batch:  # a first row sets the flusher's clock; a full batch is due
                _wake.notify()


def impressions_pending(*, user_id: uuid.UUID, venue_id: uuid.UUID) -> bool:
    """Whether this process showed the venue to the user in an answer it has not written yet."""
    with _lock:
        return any(row.venue_id == venue_id and row.user_id == user_id for row in _pending)


def impressions_write_now(timeout: float = 2.0) -> bool:
    """Have everything this process holds written now, in a transaction of its own: by the flusher on its
    connection (the caller's transaction, an interaction's, neither waits for nor fails with the write),
    waited for at most `timeout` seconds; without the flusher, here. Whether it was written in time."""
    global _asked
    connection = connections[router.db_for_write(Impression)]
    if (
        settings.LUNA_IMPRESSIONS_FLUSH_SECONDS <= 0
        or threading.current_thread() is _flusher  # a callback of the flusher's own
        # SQLite has one writer at a time, the caller's transaction when it has written: write in it.
        or (connection.vendor == "sqlite" and connection.in_atomic_block)
    ):
        _flush(in_savepoint=connection.in_atomic_block)  # a failure leaves the caller's transaction usable
        return True
    with _lock:
        _asked += 1
        mine = _asked
        _flusher_started()
        _wake.notify()
        return _written.wait_for(lambda: _done >= mine, timeout)


def impressions_after_written(callback: Callable[[], object]) -> bool:
    """Call `callback` once the current transaction has committed and every process has written the
    impressions it holds now (LUNA_IMPRESSIONS_FLUSH_SECONDS and a grace later, in this process's
    flusher; at its clean exit, after those seconds). Returns whether it will: without the flusher
    (LUNA_IMPRESSIONS_FLUSH_SECONDS=0) every request's rows are written as it ends, nothing to wait for."""
    seconds = settings.LUNA_IMPRESSIONS_FLUSH_SECONDS
    if seconds <= 0:
        return False

    def wait() -> None:
        with _lock:
            _waiting.append((time.monotonic() + seconds + WRITE_GRACE_SECONDS, callback))
            _flusher_started()
            _wake.notify()

    transaction.on_commit(wait)
    return True


def impressions_flush() -> int:
    """Write every queued impression in one insert; returns how many were written (0 after a failure)."""
    return _flush()


def _flush(*, in_savepoint: bool = False) -> int:
    global _pending
    with _writing:
        with _lock:
            rows, _pending = _pending, []
        if not rows:
            return 0
        rows = _within_daily_bound(rows)
        if not rows:
            return 0
        try:
            _insert(rows, in_savepoint=in_savepoint)
        except DatabaseError:
            IMPRESSIONS_FAILED.inc(len(rows))
            logger.exception("Recording %s recommendation impressions failed; they are lost", len(rows))
            return 0
    IMPRESSIONS_RECORDED.inc(len(rows))
    IMPRESSIONS_BATCH_ROWS.observe(len(rows))
    return len(rows)


def impressions_shutdown() -> None:
    """Write everything queued and run the callbacks waiting on the writes: what a clean exit does
    (gunicorn's worker_exit, atexit). The callbacks wait until every process has written its rows."""
    impressions_flush()
    with _lock:
        waiting = _waiting[:]
        _waiting.clear()
    if waiting:
        time.sleep(max(0.0, max(due for due, _ in waiting) - time.monotonic()))
        _run(callback for _, callback in waiting)
        impressions_flush()


def impressions_discard() -> None:
    """Forget what is queued and waiting (for tests: their rows are rolled back)."""
    with _lock:
        _pending.clear()
        _waiting.clear()


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


def _insert(rows: list[Impression], *, in_savepoint: bool = False) -> None:
    """The rows in multi-row INSERTs of their own: without the ORM's per-object work, the ids it would
    read back (nothing needs them) and its transaction around one statement, about half the cost."""
    connection = connections[router.db_for_write(Impression)]
    fields = [field for field in Impression._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # SQLite takes at most 999 parameters per statement; PostgreSQL has no such limit (None).
    per_statement = max(1, min(1000, (connection.features.max_query_params or 65535) // len(fields)))
    # One statement commits on its own; several are one transaction, so that a failure loses them all
    # (as it is counted) and never writes half. `in_savepoint`: inside a caller's transaction, whose
    # work a failure must not spoil.
    atomic = transaction.atomic(using=connection.alias) if len(rows) > per_statement or in_savepoint else nullcontext()
    with atomic, connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            batch = rows[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {connection.ops.quote_name(Impression._meta.db_table)} ({columns}) "
                f"VALUES {', '.join([one_row] * len(batch))}",
                [field.get_db_prep_save(getattr(row, field.attname), connection) for row in batch for field in fields],
            )


# --- the flusher ------------------------------------------------------------------------------------


def _flusher_started() -> None:
    """Start this process's flusher unless it runs (called holding _lock)."""
    global _flusher
    if _flusher is None or not _flusher.is_alive():
        _flusher = threading.Thread(target=_flusher_run, name="impressions-flusher", daemon=True)
        _flusher.start()


def _due_in(now: float) -> float | None:
    """Seconds until the flusher has something to do (0 or less: now; None: nothing queued). Holding _lock."""
    if settings.LUNA_IMPRESSIONS_FLUSH_SECONDS <= 0:
        return None  # each request writes its own rows (a test switched the flusher off): nothing to do
    if _asked > _done:
        return 0.0
    due = []
    if _pending:
        if len(_pending) >= settings.LUNA_IMPRESSIONS_BATCH_ROWS:
            return 0.0
        due.append(_oldest + settings.LUNA_IMPRESSIONS_FLUSH_SECONDS - now)
    if _waiting:
        due.append(min(when for when, _ in _waiting) - now)
    return min(due) if due else None


def _flusher_run() -> None:
    global _done
    while True:
        with _lock:
            idle = _due_in(time.monotonic()) is None
        if idle:
            connections.close_all()  # this thread's: a quiet process holds no connection for nothing
        with _lock:
            while (seconds := _due_in(time.monotonic())) is None or seconds > 0:
                _wake.wait(seconds)
            asked = _asked
            now = time.monotonic()
            due = [callback for when, callback in _waiting if when <= now]
            _waiting[:] = [(when, callback) for when, callback in _waiting if when > now]
        try:
            close_old_connections()  # a connection of its own, kept CONN_MAX_AGE like a request's
            impressions_flush()
        except Exception:  # the thread must go on: the next batch may well be written
            logger.exception("Writing recommendation impressions failed")
        with _lock:
            _done = max(_done, asked)
            _written.notify_all()
        _run(due)
        close_old_connections()


def _run(callbacks: Iterable[Callable[[], object]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:
            logger.exception("A callback waiting on the impressions' write failed")


def _forget_after_fork() -> None:
    """A forked child (a gunicorn worker) starts with an empty buffer and no flusher: what the parent
    queued is the parent's to write, and its threads and their locks did not come along."""
    global _lock, _wake, _written, _asked, _done, _writing, _pending, _waiting, _flusher
    _lock = threading.Lock()
    _wake = threading.Condition(_lock)
    _written = threading.Condition(_lock)
    _asked = _done = 0
    _writing = threading.Lock()
    _pending, _waiting, _flusher = [], [], None


def _flush_after_request(sender, **kwargs) -> None:
    if settings.LUNA_IMPRESSIONS_FLUSH_SECONDS <= 0:
        impressions_flush()


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(impressions_shutdown)
request_finished.connect(_flush_after_request, dispatch_uid="experiments.impressions")
