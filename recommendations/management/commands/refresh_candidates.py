"""manage.py refresh_candidates: rank again the candidate lists that are due, oldest first."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recommendations.candidates import candidates_refresh_due, enabled
from recommendations.models import CandidateList


class Command(BaseCommand):
    help = (
        "Rank again the users' candidate lists that are past half of LUNA_CANDIDATES_MAX_AGE, or were ranked "
        "over other venues or by another model than the active one, oldest first, in batches. Celery beat "
        "does the same every quarter of the bound when a broker is configured; without one, run this from cron."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--batch", type=int, default=settings.LUNA_CANDIDATES_BATCH, help="users per batch (LUNA_CANDIDATES_BATCH)"
        )

    def handle(self, *args, **options) -> None:
        batch = options["batch"]
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        if not enabled():
            self.stdout.write("No candidate lists are kept (LUNA_CANDIDATES or LUNA_CANDIDATES_MAX_AGE is 0).")
            return
        started = time.perf_counter()
        users = 0
        # Each list once at most: a list kept meanwhile is younger than any that is due.
        for _ in range(CandidateList.objects.count() // batch + 1):
            refreshed = candidates_refresh_due(batch)
            users += refreshed
            if refreshed < batch:
                break
            self.stderr.write(f"  {users:,} users")
        self.stdout.write(
            f"Ranked again the candidate lists of {users:,} users in {time.perf_counter() - started:.1f} s."
        )
