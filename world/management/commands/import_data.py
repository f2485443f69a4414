"""Bulk-load users.csv, venues.csv, interactions.csv and edges.csv from a directory (see world.importer)."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from world.importer import FILE_NAMES, data_import


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
            line = f"{report.file}: loaded {report.loaded:,} of {report.rows:,} rows in {report.seconds:.1f} s"
            if report.bad_rows:
                line += f", skipped {_rows(report.bad_rows, 'bad row')}"
            self.stdout.write(self.style.SUCCESS(line) if not report.bad_rows else self.style.WARNING(line))
            self._write_errors(report)
        rejected = next((report for report in reports if report.rejected), None)
        if not rejected:
            self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.")
        else:
            later = [name for name in FILE_NAMES[FILE_NAMES.index(rejected.file) + 1 :] if (directory / name).is_file()]
            self._write_errors(rejected)
            message = f"{rejected.file} rejected, nothing loaded from it"
            if rejected.bad_rows:
                message += f" ({_rows(rejected.bad_rows, 'bad row')})"
            if later:
                message += f"; not attempted: {', '.join(later)}"
            raise CommandError(f"{message}. First error: {rejected.errors[0]}")

    def _write_errors(self, report) -> None:
        for error in report.errors:
            self.stderr.write(f"  {error}")
        if report.bad_rows > len(report.errors):
            self.stderr.write(f"  ... {_rows(report.bad_rows, 'bad row')} in all; only the first errors are listed")


def _rows(count: int, what: str) -> str:
    return f"{count:,} {what}{'' if count == 1 else 's'}"
