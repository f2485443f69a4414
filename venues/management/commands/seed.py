"""Load the demo world, or generate a synthetic world at scale (see venues.world)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from luna.errors import Conflict
from venues.world import (
    SyntheticWorldSpec,
    demo_world_load,
    synthetic_world_generate,
    world_counts,
    world_reset,
)

SYNTHETIC_DEFAULTS = {"users": 1_000, "venues": 1_000, "interactions": 20_000, "degree": 20, "random_seed": 42}


class Command(BaseCommand):
    help = (
        "Load the demo world (running it again changes nothing), or with --users/--venues/--interactions/"
        "--degree generate a synthetic world around New York. Both need an empty world unless --reset is given."
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
        synthetic = any(options[name] is not None for name in ("users", "venues", "interactions", "degree"))
        if options["random_seed"] is not None and not synthetic:
            raise CommandError("--random-seed applies to a synthetic world: add --users/--venues/--interactions.")
        started = time.monotonic()
        try:
            # One transaction: if loading fails after --reset, the old world is still there.
            with transaction.atomic():
                if options["reset"]:
                    self._reset()
                if synthetic:
                    self._synthetic(options)
                else:
                    self._demo()
        except Conflict as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.")

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
            self.stdout.write(
                f"The demo world is already present ({result.demo_users_found} of its users found); "
                "nothing changed. Use --reset to load it afresh."
            )
            return
        self.stdout.write(self.style.SUCCESS("Loaded the demo world; its plans start 1 to 7 days from now:"))
        self._write_counts(result.counts)

    def _synthetic(self, options: dict) -> None:
        values = {name: options[name] for name in SYNTHETIC_DEFAULTS if options[name] is not None}
        if "degree" not in values:
            values["degree"] = min(SYNTHETIC_DEFAULTS["degree"], max(values.get("users", 1_000) - 1, 0))
        spec = SyntheticWorldSpec(**{**SYNTHETIC_DEFAULTS, **values})
        self.stdout.write(
            f"Generating a synthetic world (random seed {spec.random_seed}): {spec.users:,} users, "
            f"{spec.venues:,} venues, {spec.interactions:,} interactions, {spec.degree} edges per user."
        )
        started = time.monotonic()

        def progress(label: str, done: int, total: int) -> None:
            percent = 100 if total == 0 else 100 * done // total
            elapsed = time.monotonic() - started
            self.stdout.write(f"  {label:<14} {done:>12,} / {total:,} ({percent}%)  {elapsed:6.1f} s")

        counts = synthetic_world_generate(spec=spec, progress=progress)
        self.stdout.write(self.style.SUCCESS("Generated the synthetic world:"))
        self._write_counts(counts)

    def _write_counts(self, counts: dict[str, int]) -> None:
        for label, count in counts.items():
            self.stdout.write(f"  {label:<20} {count:>12,}")
