"""Load the demo world, or generate a synthetic world at scale (see world.demo and world.synthetic)."""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from luna.errors import Conflict
from world.demo import demo_world_load, world_counts, world_require_empty, world_reset
from world.synthetic import (
    SYNTHETIC_DEFAULTS,
    SyntheticWorldSpec,
    progress_text,
    synthetic_spec,
    synthetic_world_generate,
)


class Command(BaseCommand):
    help = (
        "Load the demo world, or with --users/--venues/--interactions/--degree generate a synthetic world "
        "around New York. The demo world is loaded only into an empty world (otherwise nothing changes); "
        "a synthetic world is refused over existing data unless --reset is given. Staff accounts are kept."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--users", type=int, help=f"synthetic: users (default {SYNTHETIC_DEFAULTS['users']})")
        parser.add_argument("--venues", type=int, help=f"synthetic: venues (default {SYNTHETIC_DEFAULTS['venues']})")
        parser.add_argument(
            "--interactions", type=int, help=f"synthetic: interactions (default {SYNTHETIC_DEFAULTS['interactions']})"
        )
        parser.add_argument(
            "--degree",
            type=int,
            help="synthetic: outgoing social edges per user (default 20, or users - 1 when fewer)",
        )
        parser.add_argument(
            "--random-seed", type=int, help="synthetic: the generator's seed; the same seed gives the same world"
        )
        parser.add_argument(
            "--reset", action="store_true", help="first delete every Luna row except staff accounts (prints counts)"
        )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        try:
            spec = self._synthetic_spec(options)
            # One transaction: if loading fails after --reset, the old world is still there.
            with transaction.atomic():
                if options["reset"]:
                    self._reset()
                if spec:
                    self._synthetic(spec)
                else:
                    self._demo()
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        except Conflict as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.")

    def _synthetic_spec(self, options: dict) -> SyntheticWorldSpec | None:
        values = {name: options[name] for name in SYNTHETIC_DEFAULTS if options[name] is not None}
        if not values.keys() - {"random_seed"}:
            if values:
                raise CommandError("--random-seed applies to a synthetic world: add --users/--venues/--interactions.")
            return None
        return synthetic_spec(**values)

    def _reset(self) -> None:
        counts = world_counts()
        self.stdout.write("--reset deletes (staff accounts are kept):")
        for label, count in counts.items():
            self.stdout.write(f"  {label:<20} {count:>12,}")
        world_reset()
        self.stdout.write("Deleted.")

    def _demo(self) -> None:
        result = demo_world_load()
        if not result.loaded:
            self.stdout.write(self.style.WARNING(result.message))
            return
        self.stdout.write(self.style.SUCCESS(result.message))
        self._write_counts(result.counts)

    def _synthetic(self, spec: SyntheticWorldSpec) -> None:
        world_require_empty()  # before saying it is generating anything
        self.stdout.write(
            f"Generating a synthetic world (random seed {spec.random_seed}): {spec.users:,} users, "
            f"{spec.venues:,} venues, {spec.interactions:,} interactions, {spec.degree} edges per user."
        )
        started = time.monotonic()

        def progress(label: str, done: int, total: int) -> None:
            elapsed = time.monotonic() - started
            self.stdout.write(f"  {progress_text(label, done, total)}  {elapsed:6.1f} s")

        counts = synthetic_world_generate(spec=spec, progress=progress)
        self.stdout.write(self.style.SUCCESS("Generated the synthetic world:"))
        self._write_counts(counts)
        # Foreign keys are checked at commit time, which takes a while for millions of rows.
        self.stdout.write("Committing (the database checks every reference now)...")

    def _write_counts(self, counts: dict[str, int]) -> None:
        for label, count in counts.items():
            self.stdout.write(f"  {label:<20} {count:>12,}")
