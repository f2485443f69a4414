"""The synthetic world of the admin's Data page as a Celery task, for when CELERY_BROKER_URL is set."""

from __future__ import annotations

from luna.celery import app
from world.data_jobs import synthetic_run


@app.task(name="world.run_synthetic_job")
def run_synthetic_job(job_id: int) -> None:
    # Runs once: a redelivered message finds the job claimed (world.data_jobs.synthetic_run).
    synthetic_run(job_id=job_id)
