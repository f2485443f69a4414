"""Import a check-in split's train part into the database (see evaluation.checkins for the mapping)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from evaluation.checkins import CheckinError, load_checkins
from world.checkin_import import checkins_import


class Command(BaseCommand):
    help = (
        "Load the train part of a check-in split (<Prefix>_train.txt and friends) as users, venues, like "
        "interactions and friend edges, the way `evaluate` maps it, so the API can be tried on a real world."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", help="the split's folder")
        parser.add_argument(
            "--one-like-per-row",
            action="store_true",
            help="one like per train row (for stars, as in Yelp) instead of min(value, 5) likes (visit counts)",
        )

    def handle(self, *args, directory: str, one_like_per_row: bool, **options) -> None:
        started = time.perf_counter()
        try:
            split = load_checkins(directory, one_like_per_row=one_like_per_row)
            self.stdout.write(f"Read {split.prefix}: {split.world.n_users:,} users, {split.world.n_venues:,} venues.")
            counts = checkins_import(split)
        except CheckinError as exc:
            raise CommandError(str(exc)) from None
        except IntegrityError as exc:
            raise CommandError(f"Nothing was imported: a row clashes with what is stored ({exc}).") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {counts.users:,} users, {counts.venues:,} venues, {counts.interactions:,} interactions "
                f"and {counts.edges:,} edges in {time.perf_counter() - started:.1f} s."
            )
        )
