"""The loads the admin's Data page starts: the demo world, a synthetic world, a CSV import.

The page is a second front door to what `seed` and `import_data` do: these functions call the same
services (world.demo, world.synthetic, world.importer) and show the same messages. What they add is
what a shared web service needs around them:

- one load at a time, whoever starts it: each load is a DataJob row, and a partial unique index
  admits a single `running` one (the INSERT of a second fails; nothing checks and then acts);
- a synthetic world runs off the request, on a Celery worker when CELERY_BROKER_URL is set (a
  thread of the web process when the broker does not take it, or without one), with its progress
  in the shared cache, where every worker's page can read it;
- a load whose process died (a restart kills a thread) does not block the next one for ever: a
  running job with no sign of life for LUNA_DATA_JOB_STALE_SECONDS is marked failed;
- each load that changed data is written to the admin's history (LogEntry), and counted in /metrics.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from luna.errors import Conflict
from luna.limits import CACHE_ERRORS
from luna.metrics import CACHE_FAILURES, DATA_LOADS
from users.models import User
from world.demo import counts_text, demo_world_load, world_reset
from world.importer import data_import, files_not_attempted
from world.models import DataJob
from world.synthetic import SyntheticWorldSpec, progress_text, synthetic_spec, synthetic_world_generate

logger = logging.getLogger(__name__)

QUEUED = "queued"
PROGRESS_KEY = "world:data-job:{}"
PROGRESS_SECONDS = 24 * 3600


# --- One load at a time --------------------------------------------------------------------


def data_jobs_fail_stale(*, now: datetime | None = None) -> int:
    """Mark failed the running jobs that showed no sign of life (a row update or a progress step)
    for LUNA_DATA_JOB_STALE_SECONDS: the process running them stopped. Returns how many."""
    now = now or timezone.now()
    limit = timedelta(seconds=settings.LUNA_DATA_JOB_STALE_SECONDS)
    failed = 0
    for job in DataJob.objects.filter(status=DataJob.Status.RUNNING, updated_at__lt=now - limit):
        progress = _progress_read(job.pk)
        seen = parse_datetime(progress["at"]) if progress and progress.get("at") else None
        if seen is not None and now - seen < limit:
            continue
        # The job may finish as we look: only a row still running is marked.
        failed += DataJob.objects.filter(pk=job.pk, status=DataJob.Status.RUNNING).update(
            status=DataJob.Status.FAILED,
            error=(
                f"No progress for {settings.LUNA_DATA_JOB_STALE_SECONDS:,} s: the process running it stopped "
                "(a restart or a crash). Whatever it had written was rolled back; start it again."
            ),
            finished_at=now,
            updated_at=now,
        )
    return failed


def _running() -> DataJob | None:
    return DataJob.objects.filter(status=DataJob.Status.RUNNING).select_related("started_by").first()


def data_job_running() -> DataJob | None:
    """The load running now, if any (after marking stale ones failed)."""
    data_jobs_fail_stale()
    return _running()


def data_job_refusal(job: DataJob) -> str:
    """Why another load cannot start while `job` runs."""
    who = job.started_by.handle if job.started_by else "someone"
    return (
        f"A {job.get_kind_display()} load started by {who} at {timezone.localtime(job.created_at):%H:%M:%S} "
        "is still running; wait for it to finish."
    )


def data_job_claim(*, kind: str, user: User, parameters: dict, stage: str = "") -> DataJob:
    """Record a load as running, or raise Conflict when another one is."""
    running = data_job_running()
    if running is not None:  # the common case, said without trying (SQLite would wait on a write lock)
        raise Conflict(data_job_refusal(running))
    try:
        with transaction.atomic():
            return DataJob.objects.create(kind=kind, parameters=parameters, stage=stage, started_by=user)
    except IntegrityError:
        # Another process claimed it between our look and our INSERT: the unique index said no.
        running = _running()
        raise Conflict(data_job_refusal(running) if running else "Another load is starting; try again.") from None


def _finish(
    job: DataJob, *, counts: dict[str, int], message: str, logged: str | None, result: dict | None = None
) -> None:
    now = timezone.now()
    # Marked done even if a stale sweep marked it failed meanwhile: its rows are committed.
    DataJob.objects.filter(pk=job.pk).update(
        status=DataJob.Status.DONE,
        counts=counts,
        message=message,
        result=result or {},
        stage="",
        finished_at=now,
        updated_at=now,
    )
    if logged and job.started_by_id is not None:
        LogEntry.objects.create(
            user_id=job.started_by_id,
            content_type=ContentType.objects.get_for_model(DataJob),
            object_id=str(job.pk),
            object_repr=str(logged)[:200],
            action_flag=ADDITION,
            change_message=message,
        )


def _fail(job_id: int, error: str) -> None:
    now = timezone.now()
    DataJob.objects.filter(pk=job_id).update(status=DataJob.Status.FAILED, error=error, finished_at=now, updated_at=now)


def _describe(counts: dict[str, int]) -> str:
    return counts_text(counts) or "nothing"


def _error_message(error: Exception) -> str:
    if isinstance(error, Conflict):
        return error.message
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return f"{type(error).__name__}: {error}"


# --- Progress, in the shared cache -----------------------------------------------------------


def data_job_progress(job_id: int, label: str, done: int, total: int) -> None:
    """One step of a running load, where every web worker can read it."""
    entry = {"stage": label, "done": done, "total": total, "at": timezone.now().isoformat()}
    try:
        cache.set(PROGRESS_KEY.format(job_id), entry, PROGRESS_SECONDS)
    except CACHE_ERRORS as exc:
        # The load goes on; the page shows its last known step.
        logger.warning("cache unavailable, data job %s progress not shown: %s", job_id, exc)
        CACHE_FAILURES.labels(use="data_progress").inc()


def _progress_read(job_id: int) -> dict | None:
    try:
        return cache.get(PROGRESS_KEY.format(job_id))
    except CACHE_ERRORS as exc:
        logger.warning("cache unavailable, data job %s progress not read: %s", job_id, exc)
        CACHE_FAILURES.labels(use="data_progress").inc()
        return None


def data_job_status(job: DataJob) -> dict:
    """What the Data page shows of a load (and its status URL answers)."""
    stage, done, total = job.stage, job.done, job.total
    if job.status == DataJob.Status.RUNNING:
        progress = _progress_read(job.pk)
        if progress:
            stage, done, total = progress["stage"], progress["done"], progress["total"]
    end = job.finished_at or timezone.now()
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "stage": stage,
        "done": done,
        "total": total,
        "percent": _percent(job.kind, stage, done, total),
        "progress": _progress_line(job.kind, stage, done, total),
        "result": job.result,
        "counts": job.counts,
        "message": job.message,
        "error": job.error,
        "parameters": job.parameters,
        "started_by": job.started_by.handle if job.started_by else None,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "seconds": round((end - job.created_at).total_seconds(), 1),
    }


def _percent(kind: str, stage: str, done: int, total: int) -> int | None:
    if kind == DataJob.Kind.IMPORT:
        return None  # rows read of a file of unknown length
    if not stage or stage in {QUEUED, "starting"}:
        return 0
    return 100 if total == 0 else 100 * done // total


def _progress_line(kind: str, stage: str, done: int, total: int) -> str:
    if not stage or stage in {QUEUED, "starting"}:
        return stage
    if kind == DataJob.Kind.IMPORT:
        return f"{stage}: {done:,} rows read"  # the importer knows no total until the file ends
    return progress_text(stage, done, total).strip()


# --- The demo world --------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOutcome:
    loaded: bool
    message: str
    counts: dict[str, int]
    deleted: dict[str, int]


def demo_load(*, user: User, replace: bool) -> DemoOutcome:
    """`seed` (with `replace`: `seed --reset`) for the page: reset and load in one transaction."""
    job = data_job_claim(kind=DataJob.Kind.DEMO, user=user, parameters={"replace": replace})
    try:
        with transaction.atomic():
            deleted = world_reset() if replace else {}
            result = demo_world_load()
    except Exception as exc:
        _fail(job.pk, _error_message(exc))
        DATA_LOADS.labels(action="demo", outcome="failed").inc()
        raise
    if not result.loaded:
        _finish(job, counts=result.counts, message=result.message, logged=None)
        DATA_LOADS.labels(action="demo", outcome="refused").inc()
        return DemoOutcome(False, result.message, result.counts, {})
    message = result.message
    if deleted:
        message = f"Deleted {_describe(deleted)}. {message}"
    _finish(job, counts=result.counts, message=f"{message} Now: {_describe(result.counts)}.", logged="Demo world")
    DATA_LOADS.labels(action="demo", outcome="done").inc()
    return DemoOutcome(True, message, result.counts, deleted)


# --- A synthetic world, off the request ----------------------------------------------------------


def synthetic_start(*, user: User, spec: SyntheticWorldSpec, replace: bool) -> DataJob:
    """Queue the generation of `spec` (after emptying the world when `replace`); it runs once this
    transaction commits, on a Celery worker or a thread of this process."""
    parameters = {"spec": asdict(spec), "replace": replace}
    job = data_job_claim(kind=DataJob.Kind.SYNTHETIC, user=user, parameters=parameters, stage=QUEUED)
    DATA_LOADS.labels(action="synthetic", outcome="started").inc()
    transaction.on_commit(lambda: _dispatch(job.pk))
    return job


def _dispatch(job_id: int) -> None:
    """A synthetic world on a Celery worker when a broker is set (any worker will do: it needs only
    the database), else in a thread of this process."""
    if settings.CELERY_BROKER_URL:
        from world.tasks import run_synthetic_job  # only imports Celery when it is used

        try:
            run_synthetic_job.delay(job_id)
            return
        except Exception as exc:  # kombu raises several kinds for a broker that is down or refuses
            logger.error("data job %s runs in this process: the task queue did not take it (%s)", job_id, exc)
    _start_thread(job_id)


THREAD_PREFIX = "data-job-"


def _start_thread(job_id: int) -> None:
    threading.Thread(target=_run_in_thread, args=(job_id,), name=f"{THREAD_PREFIX}{job_id}", daemon=True).start()


def data_jobs_in_this_process() -> int:
    """How many loads run in threads of this process (they end with it: see gunicorn.conf.py)."""
    return sum(thread.name.startswith(THREAD_PREFIX) for thread in threading.enumerate())


def _run_in_thread(job_id: int) -> None:
    try:
        data_job_run(job_id=job_id)
    finally:
        connection.close()  # this thread's own connection


def data_job_run(*, job_id: int) -> None:
    """Run a queued job, whichever kind it is."""
    kind = DataJob.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    if kind == DataJob.Kind.SYNTHETIC:
        synthetic_run(job_id=job_id)
    elif kind == DataJob.Kind.IMPORT:
        csv_import_run(job_id=job_id)


def _claim_queued(job_id: int) -> bool:
    # Runs once: a second runner (a redelivered task) finds the job started already.
    claimed = DataJob.objects.filter(pk=job_id, status=DataJob.Status.RUNNING, stage=QUEUED).update(
        stage="starting", updated_at=timezone.now()
    )
    return claimed == 1


def synthetic_run(*, job_id: int) -> None:
    """Generate the queued synthetic world of job `job_id`, once: a second runner (a redelivered
    task) finds it claimed and returns."""
    if not _claim_queued(job_id):
        return
    job = DataJob.objects.get(pk=job_id)
    spec = synthetic_spec(**job.parameters["spec"])
    replace = job.parameters.get("replace", False)

    def progress(label: str, done: int, total: int) -> None:
        data_job_progress(job_id, label, done, total)

    try:
        # One transaction, as `seed --reset`: if the generation fails, the old world is still there.
        with transaction.atomic():
            deleted = world_reset() if replace else {}
            counts = synthetic_world_generate(spec=spec, progress=progress)
    except Exception as exc:
        if not isinstance(exc, Conflict | ValidationError):
            logger.exception("data job %s failed", job_id)
        _fail(job_id, _error_message(exc))
        DATA_LOADS.labels(action="synthetic", outcome="failed").inc()
        return
    message = f"Generated the synthetic world (random seed {spec.random_seed}): {_describe(counts)}."
    if deleted:
        message = f"Deleted {_describe(deleted)}. {message}"
    _finish(job, counts=counts, message=message, logged=f"Synthetic world (random seed {spec.random_seed})")
    DATA_LOADS.labels(action="synthetic", outcome="done").inc()


# --- CSV files ---------------------------------------------------------------------------------


SHOWN_ERRORS = 20


def csv_import_start(*, user: User, folder: Path, dry_run: bool, again: bool = False) -> DataJob:
    """Queue `import_data` over the files of `folder` (an upload folder, see upload_folder_new); a
    dry run checks everything and writes nothing. It runs in a thread of this process once this
    transaction commits: the files are on this machine's disk, where a Celery worker may not be."""
    names = sorted(path.name for path in folder.glob("*.csv"))
    parameters = {"folder": folder.name, "files": names, "dry_run": dry_run, "again": again}
    job = data_job_claim(kind=DataJob.Kind.IMPORT, user=user, parameters=parameters, stage=QUEUED)
    DATA_LOADS.labels(action="import_dry_run" if dry_run else "import", outcome="started").inc()
    transaction.on_commit(lambda: _start_thread(job.pk))
    return job


def csv_import_run(*, job_id: int) -> None:
    if not _claim_queued(job_id):
        return
    job = DataJob.objects.get(pk=job_id)
    dry_run, again = job.parameters["dry_run"], job.parameters.get("again", False)
    folder = upload_folder(job.parameters["folder"])
    action = "import_dry_run" if dry_run else "import"

    def progress(name: str, rows: int) -> None:
        data_job_progress(job_id, name, rows, 0)

    try:
        reports = data_import(directory=folder, again=again, dry_run=dry_run, progress=progress)
    except Exception as exc:
        logger.exception("data job %s failed", job_id)
        _fail(job_id, _error_message(exc))
        DATA_LOADS.labels(action=action, outcome="failed").inc()
        shutil.rmtree(folder, ignore_errors=True)
        return
    rejected = any(report.rejected for report in reports)
    result = {
        "dry_run": dry_run,
        "again": again,
        "files": [
            {
                "file": report.file,
                "rows": report.rows,
                "loaded": report.loaded,
                "bad_rows": report.bad_rows,
                "rejected": report.rejected,
                "summary": report.summary(dry_run=dry_run),
                "errors": [str(error) for error in report.errors[:SHOWN_ERRORS]],
            }
            for report in reports
        ],
        "not_attempted": files_not_attempted(folder, reports),
        "rejected": rejected,
        # A clean dry run's files stay for its confirmation; every other run is over with them.
        "staged": folder.name if dry_run and not rejected else "",
    }
    if not result["staged"]:
        shutil.rmtree(folder, ignore_errors=True)
    counts = {report.file: report.loaded for report in reports if not report.rejected}
    message = " ".join(f"{report.summary(dry_run=dry_run)}." for report in reports)
    loaded = [name for name, rows in counts.items() if rows]
    logged = None if dry_run or not loaded else "CSV import: " + ", ".join(loaded)
    _finish(job, counts=counts, message=message, logged=logged, result=result)
    DATA_LOADS.labels(action=action, outcome="refused" if rejected else "done").inc()


UPLOAD_KEPT_SECONDS = 24 * 3600


def upload_folder(token: str) -> Path:
    """The folder of an upload by its name (32 hex digits); ValueError for anything else."""
    if not (len(token) == 32 and all(char in "0123456789abcdef" for char in token)):
        raise ValueError("not an upload folder's name")
    return Path(settings.LUNA_DATA_UPLOAD_DIR) / token


def upload_folder_new() -> Path:
    """A fresh folder for one upload's files (kept between a dry run and its confirmation); folders
    of uploads older than a day, never confirmed, are removed on the way."""
    root = Path(settings.LUNA_DATA_UPLOAD_DIR)
    root.mkdir(parents=True, exist_ok=True)
    for old in root.iterdir():
        try:
            if old.is_dir() and time.time() - old.stat().st_mtime > UPLOAD_KEPT_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue  # another process removed it first
    folder = root / uuid.uuid4().hex
    folder.mkdir(mode=0o700)
    return folder
