"""manage.py prune_impressions --older-than 90d: delete old impressions in batches."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from experiments.retention import PRUNE_BATCH, impressions_prune

UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def duration(text: str) -> timedelta:
    match = re.fullmatch(r"\s*(\d+)\s*([dhm])\s*", text)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(text)
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = (
        "Delete recommendation impressions (and the outcomes attributed to them) older than a duration, "
        "in batches of short transactions. The periodic task does the same daily when a broker is configured."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--older-than",
            default=f"{settings.LUNA_IMPRESSIONS_KEEP_DAYS}d",
            help="A whole number of days, hours or minutes: 90d, 12h, 30m (default: LUNA_IMPRESSIONS_KEEP_DAYS).",
        )
        parser.add_argument("--batch", type=int, default=PRUNE_BATCH, help="rows per transaction")

    def handle(self, *args, **options) -> None:
        try:
            older_than = duration(options["older_than"])
        except ValueError:
            raise CommandError(
                f"--older-than {options['older_than']!r} is not a duration like 90d, 12h or 30m (above 0)."
            ) from None
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        started = time.perf_counter()
        deleted = impressions_prune(
            older_than=older_than,
            batch=options["batch"],
            progress=lambda count: self.stderr.write(f"  {count:,} deleted"),
        )
        self.stdout.write(
            f"Deleted {deleted:,} impressions older than {options['older_than']} "
            f"in {time.perf_counter() - started:.1f} s."
        )
