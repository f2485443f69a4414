"""What the world app remembers of its own: the files `import_data` loaded, the loads of the admin's Data page."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportedFile(models.Model):
    """One CSV file `import_data` loaded, by its content: the same file again is refused unless asked for.

    Interactions carry no id, so importing an interactions.csv twice would store every row twice;
    its checksum is how the second time is recognised.
    """

    name = models.CharField(max_length=50)
    sha256 = models.CharField(max_length=64)
    rows_loaded = models.PositiveIntegerField()
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at"]
        indexes = [models.Index(fields=["name", "sha256"], name="imported_file_content_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.rows_loaded:,} rows, {self.imported_at:%Y-%m-%d %H:%M})"


class DataJob(models.Model):
    """One load from the admin's Data page: the demo world, a synthetic world, or a CSV import.

    At most one runs at a time, whatever process starts it: a partial unique index admits one
    `running` row, so a second start fails its INSERT instead of racing a check. A synthetic world
    runs off the request (on a Celery worker, or a thread of the web process); its live progress is
    in the shared cache (world.data_jobs), since on SQLite the generating transaction holds the
    only write lock until it commits.
    """

    class Kind(models.TextChoices):
        DEMO = "demo", "demo world"
        SYNTHETIC = "synthetic", "synthetic world"
        IMPORT = "import", "CSV import"

    class Status(models.TextChoices):
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    parameters = models.JSONField(default=dict, blank=True)  # what was asked: the synthetic spec, replace, files
    stage = models.CharField(max_length=100, blank=True)  # "queued", then the step `seed` prints
    done = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)  # rows per table (per file) once done
    result = models.JSONField(default=dict, blank=True)  # an import's report per file: counts, first errors
    message = models.TextField(blank=True)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        default_permissions = ()
        permissions = [("load_data", "Can load data")]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="running"), name="data_job_one_running"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.status}, {self.created_at:%Y-%m-%d %H:%M})"
