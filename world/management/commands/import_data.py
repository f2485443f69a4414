"""Bulk-load users.csv, venues.csv, interactions.csv and edges.csv from a directory (see world.importer)."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from world.importer import FILE_NAMES, data_import, files_not_attempted


class Command(BaseCommand):
    help = (
        f"Load whichever of {', '.join(FILE_NAMES)} DIR holds, in that order, one transaction per file. "
        "A file with any bad row is rejected whole unless --skip-invalid is given. Rows whose id is "
        "already stored are errors: import only adds rows. A file imported before (same content) is "
        "refused unless --again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", type=Path, help="directory holding the CSV files (with header rows)")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="load the good rows of each file and report the bad ones"
        )
        parser.add_argument(
            "--again",
            action="store_true",
            help="import a file even if this very file (same content) was imported before; without it such a file "
            "is refused, since interactions have no id and would be stored twice",
        )

    def handle(self, *args, directory: Path, skip_invalid: bool, again: bool, **options) -> None:
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory.")
        if not any((directory / name).is_file() for name in FILE_NAMES):
            raise CommandError(f"{directory} holds none of {', '.join(FILE_NAMES)}.")
        started = time.monotonic()

        def progress(name: str, rows: int) -> None:
            self.stdout.write(f"  {name}: {rows:,} rows read  {time.monotonic() - started:6.1f} s")

        reports = data_import(directory=directory, skip_invalid=skip_invalid, again=again, progress=progress)
        for report in reports:
            if report.rejected:
                continue
            line = report.summary()
            self.stdout.write(self.style.SUCCESS(line) if not report.bad_rows else self.style.WARNING(line))
            self._write_errors(report)
        rejected = next((report for report in reports if report.rejected), None)
        if not rejected:
            self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.")
        else:
            later = files_not_attempted(directory, reports)
            self._write_errors(rejected)
            message = rejected.summary()
            if later:
                message += f"; not attempted: {', '.join(later)}"
            raise CommandError(f"{message}. First error: {rejected.errors[0]}")

    def _write_errors(self, report) -> None:
        for error in report.errors:
            self.stderr.write(f"  {error}")
        if report.more_errors():
            self.stderr.write(f"  {report.more_errors()}")
