"""What the world app remembers of its own: the files `import_data` has loaded."""

from __future__ import annotations

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
