"""manage.py experiment_report NAME: each arm's figures with 95% intervals, the lift and a verdict."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from experiments.models import Experiment
from experiments.report import arm_figures, cumulative_click_through, plot_png, verdict


class Command(BaseCommand):
    help = (
        "Report an experiment: per arm users, impressions, click-through (per user, the share of their impressions "
        "followed by an interest or a like, averaged over users) and plans per 1,000 impressions (the same way) "
        "with 95% intervals, the lift against the control, a verdict (Welch's t-test over users, Bonferroni across "
        "arms, none before every arm has --min-users users), and a plot of the cumulative click-through per arm "
        "(PNG in --out)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="the experiment's name")
        parser.add_argument("--out", default=".", help="folder for NAME.png and NAME.json (default: here)")
        parser.add_argument(
            "--min-users",
            type=int,
            default=None,
            help="per arm, before any verdict (default LUNA_EXPERIMENT_MIN_USERS)",
        )

    def handle(self, *args, **options) -> None:
        experiment = Experiment.objects.filter(name=options["name"]).first()
        if experiment is None:
            known = ", ".join(Experiment.objects.values_list("name", flat=True)[:20]) or "none yet"
            raise CommandError(f"No experiment named {options['name']!r} (experiments: {known}).")
        min_users = settings.LUNA_EXPERIMENT_MIN_USERS if options["min_users"] is None else options["min_users"]
        if min_users < 2:
            raise CommandError("--min-users must be at least 2 (a t-test needs two users an arm).")
        out = Path(options["out"])
        if not out.is_dir():
            raise CommandError(f"--out {out} is not a folder.")
        arms = arm_figures(experiment)
        summary = verdict(arms, min_users=min_users)
        window = f"started {experiment.started_at:%Y-%m-%d %H:%M}" if experiment.started_at else "never started"
        if experiment.stopped_at:
            window += f", stopped {experiment.stopped_at:%Y-%m-%d %H:%M}"
        self.stdout.write(f"Experiment {experiment.name} ({experiment.status}, {window})")
        self.stdout.write(
            f"{'arm':<14}{'ranker':<14}{'users':>8}{'impressions':>13}{'click-through (95% CI)':>30}"
            f"{'plans/1000 (95% CI)':>26}{'lift':>9}{'p':>9}"
        )
        for arm in arms:
            ranker = arm.ranker + (f" v{arm.model_version}" if arm.model_version else "")
            lift = "control" if arm.is_control else arm.lift_text
            p_value = "" if arm.is_control else arm.p_text
            self.stdout.write(
                f"{arm.name:<14}{ranker:<14}{arm.users:>8,}{arm.impressions:>13,}"
                f"{arm.click_through_text:>30}{arm.plans_text:>26}{lift:>9}{p_value:>9}"
            )
        self.stdout.write(f"verdict: {summary}")
        series = cumulative_click_through(experiment)
        picture = out / f"{experiment.name}.png"
        picture.write_bytes(plot_png(series, f"{experiment.name}: cumulative click-through"))
        (out / f"{experiment.name}.json").write_text(
            json.dumps(
                {
                    "experiment": experiment.name,
                    "status": experiment.status,
                    "verdict": summary,
                    "arms": [
                        {**vars(arm), "click_through_ci": list(arm.click_through_ci),
                         "plans_per_1000_ci": list(arm.plans_per_1000_ci)}
                        for arm in arms
                    ],
                },
                indent=2,
            )
            + "\n"
        )  # fmt: skip
        self.stdout.write(f"plot: {picture}; figures: {out / (experiment.name + '.json')}")
