"""Fit the learned venue ranker on the database; serve it when it beats the served ranker on held-out users."""

from __future__ import annotations

import resource
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from recommendations.training import ranker_train, verdict


class Command(BaseCommand):
    help = (
        "Fit the learned ranker on every interaction, social edge and venue in the database (holding out a "
        "slice of each user's interactions to fit its weights), store it as a new model version and serve it "
        "when it beats the served ranker on the held-out interactions of users its weights never saw."
    )

    def add_arguments(self, parser) -> None:
        choice = parser.add_mutually_exclusive_group()
        choice.add_argument(
            "--no-activate", action="store_true", help="store the new version but keep serving the current one"
        )
        choice.add_argument(
            "--activate-anyway",
            action="store_true",
            help="serve the new version even if it does not beat the served ranker on the validation users",
        )

    def handle(self, *args, no_activate: bool, activate_anyway: bool, **options) -> None:
        started = time.perf_counter()

        def say(message: str) -> None:
            self.stdout.write(f"[{time.perf_counter() - started:6.1f} s] {message}")

        try:
            version = ranker_train(progress=say, activate=not no_activate, activate_anyway=activate_anyway)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        metrics = version.metrics
        self.stdout.write("On the held-out interactions of the validation users:")
        self.stdout.write(f"  {'ranker':<10} {'P@10':>7} {'R@10':>7} {'NDCG@10':>8} {'users':>6}")
        for name, figures in metrics.items():
            if name == "gate":
                continue
            self.stdout.write(
                f"  {name:<10} {figures['precision']:7.4f} {figures['recall']:7.4f} {figures['ndcg']:8.4f} "
                f"{figures['users']:6d}"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            f"Trained in {version.training_seconds:.1f} s on {version.trained_on['users']:,} users, "
            f"{version.trained_on['venues']:,} venues, {version.trained_on['positive_interactions']:,} positive "
            f"interactions; {version.artifact_bytes / 2**20:.1f} MiB; peak memory {peak:,.0f} MiB."
        )
        line = verdict(version)
        self.stdout.write(self.style.SUCCESS(line) if version.is_active else self.style.WARNING(line))
