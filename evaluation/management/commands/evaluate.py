"""Measure rankers offline: P@k, R@k, NDCG@k, MAP@k and coverage on held-out venue visits."""

from __future__ import annotations

import json
import resource
import time
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from threadpoolctl import threadpool_info

from evaluation.api_evaluation import api_measure
from evaluation.checkins import CheckinError, load_checkins
from luna.charts import matplotlib_figure
from ranking import RANKERS
from ranking.groups import GroupEvaluation, form_groups, measure_groups
from ranking.learned import LearnedRanker
from ranking.metrics import Evaluation, measure
from ranking.rankers import FormulaRanker, Ranker
from recommendations.history import database_history

DEFAULT_RANKERS = ("formula", "learned", "popularity", "distance")
CURVE_DEPTH = 20


def blas_libraries() -> list[dict]:
    """The BLAS libraries this process has loaded, each with its version, the kernels it chose for this
    CPU and its threads. The factorizations' and the combiner's sums round as those kernels do, so the
    same split and seeds give the same figures on machines whose kernels match, and may differ in the
    fifth decimal where they do not."""
    return [
        {
            "library": info.get("internal_api", ""),
            "version": info.get("version") or "",
            "kernels": info.get("architecture") or "",
            "threads": info.get("num_threads"),
        }
        for info in threadpool_info()
        if info.get("user_api") == "blas"
    ]


def make_ranker(name: str) -> Ranker:
    """A ranker by the name `--rankers` and the JSON use, configured by the settings as the API's are."""
    if name == FormulaRanker.name:
        return FormulaRanker(settings.LUNA_RECO)
    if name == LearnedRanker.name:
        return LearnedRanker(settings.LUNA_RANKER)  # exactly what train_ranker fits
    return RANKERS[name]()


class Command(BaseCommand):
    help = (
        "Fit each ranker on a check-in split's train part (or the database's history) and measure it on the "
        "held-out part: P@k, R@k, NDCG@k, MAP@k, catalogue coverage, users evaluated, seconds."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", nargs="?", help="a check-in split folder (<Prefix>_train.txt, ...)")
        parser.add_argument("--on", choices=["test", "tune"], default="test", help="the held-out part (default test)")
        parser.add_argument("--k", type=int, default=10, help="list length (default 10)")
        parser.add_argument(
            "--rankers",
            default=",".join(DEFAULT_RANKERS),
            help=f"comma-separated, from: {', '.join(RANKERS)} (default: all of them)",
        )
        parser.add_argument(
            "--one-like-per-row",
            action="store_true",
            help="one like per train row (for stars, as in Yelp) instead of min(value, 5) likes (visit counts)",
        )
        parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON here")
        parser.add_argument("--plot", metavar="FILE.png", help="also draw P@k and R@k for k = 1..20 here")
        parser.add_argument(
            "--from-database", action="store_true", help="measure on the database's own interactions instead"
        )
        parser.add_argument(
            "--through-api",
            action="store_true",
            help="with a split imported by import_checkins: ask GET /reco/venues/{id}/ for every held-out user "
            "instead of ranking offline (the figure the app's users get)",
        )
        parser.add_argument(
            "--groups",
            type=int,
            metavar="N",
            help="also form N groups from the social graph (a user and 2-4 friends, all with held-out venues; "
            "fixed seed) and measure each ranker's group strategies against the organizer's own list",
        )
        parser.add_argument(
            "--holdout-days",
            type=float,
            help="with --from-database: hold out the positive interactions of the last N days",
        )

    def handle(self, *args, **options) -> None:
        names = [name.strip() for name in options["rankers"].split(",") if name.strip()]
        unknown = [name for name in names if name not in RANKERS]
        if unknown or not names:
            raise CommandError(f"--rankers: unknown {', '.join(unknown) or '(none given)'}; use {', '.join(RANKERS)}.")
        k = options["k"]
        if not 1 <= k <= 100:
            raise CommandError("--k must be between 1 and 100.")
        world, held_out, source = self._data(options)
        if options["through_api"]:
            if options["from_database"]:
                raise CommandError("--through-api measures an imported split; it does not go with --from-database.")
            source["title"] += ", through the API"

        groups = None
        if options["groups"] is not None:
            if options["groups"] < 1:
                raise CommandError("--groups must be at least 1.")
            if options["through_api"]:
                raise CommandError("--groups measures offline; it does not go with --through-api.")
            groups = form_groups(world, held_out, options["groups"])
            if not groups:
                raise CommandError("No groups can be formed: the split has no friends who both have held-out venues.")
        results: dict[str, Evaluation] = {}
        group_results: dict[str, dict[str, GroupEvaluation]] = {}
        for name in names:
            if options["through_api"]:
                try:
                    results[name] = api_measure(
                        name, world, held_out, k=k, curve_to=CURVE_DEPTH, progress=self._progress(name)
                    )
                except CheckinError as exc:
                    raise CommandError(str(exc)) from None
                continue
            started = time.perf_counter()
            ranker = make_ranker(name)
            ranker = ranker.fit(world, progress=self._said(name)) if name == "learned" else ranker.fit(world)
            fitted = time.perf_counter() - started
            result = measure(ranker, world, held_out, k=k, curve_to=CURVE_DEPTH, progress=self._progress(name))
            results[name] = replace(result, seconds=fitted + result.seconds)
            if groups is not None:
                group_results[name] = measure_groups(ranker, world, held_out, groups, k=k)
        blas = blas_libraries()
        self._table(results, k=k, source=source, blas=blas)
        if group_results:
            self._group_table(group_results, k=k)
        if options["json"]:
            body = {
                "k": k,
                "on": source["on"],
                "rankers": {name: r.as_json() for name, r in results.items()},
                "blas": blas,
            }
            if group_results:
                body["groups"] = {
                    name: {strategy: figures.as_json() for strategy, figures in by_strategy.items()}
                    for name, by_strategy in group_results.items()
                }
            Path(options["json"]).write_text(json.dumps(body, indent=2) + "\n")
        if options["plot"]:
            self._plot(results, Path(options["plot"]), title=source["title"])

    def _data(self, options):
        if options["from_database"]:
            if options["directory"]:
                raise CommandError("Give a split folder or --from-database, not both.")
            if options["holdout_days"] is None or options["holdout_days"] <= 0:
                raise CommandError("--from-database needs --holdout-days N (a positive number of days).")
            data = database_history(holdout_days=options["holdout_days"])
            world, held_out = data.world, data.held_out
            if held_out.nnz == 0:
                raise CommandError(
                    f"No positive interactions in the last {options['holdout_days']:g} days to hold out."
                )
            on = f"last {options['holdout_days']:g} days"
            return world, held_out, {"on": on, "title": f"this database, {on} held out"}
        if not options["directory"]:
            raise CommandError("Give a check-in split folder, or --from-database --holdout-days N.")
        try:
            split = load_checkins(options["directory"], one_like_per_row=options["one_like_per_row"])
        except CheckinError as exc:
            raise CommandError(str(exc)) from None
        held_out = split.held_out[options["on"]]
        if held_out.nnz == 0:
            raise CommandError(f"{split.prefix}_{options['on']}.txt is empty: nothing to evaluate on.")
        title = f"{split.prefix}, {options['on']} (history: train)"
        return split.world, held_out, {"on": options["on"], "title": title}

    def _said(self, name: str):
        def say(message: str) -> None:
            self.stderr.write(f"{name}: {message}")

        return say

    def _progress(self, name: str):
        """Users ranked so far, on stderr: on a terminal one line rewritten in place; elsewhere (a log, a pipe)
        a plain line at each tenth, so that the log does not get one long line joined by carriage returns."""
        terminal = self.stderr.isatty()
        tenths_shown = [-1]

        def show(done: int, total: int) -> None:
            line = f"{name}: {done:,}/{total:,} users"
            if terminal:
                self.stderr.write(f"\r{line}", ending="\n" if done >= total else "")
                self.stderr.flush()
                return
            tenth = done * 10 // max(total, 1)
            if tenth > tenths_shown[0]:
                tenths_shown[0] = tenth
                self.stderr.write(line)

        return show

    def _table(self, results: dict[str, Evaluation], *, k: int, source: dict, blas: list[dict]) -> None:
        self.stdout.write(f"Held out: {source['title']}")
        header = f"{'ranker':<12} {'P@' + str(k):>8} {'R@' + str(k):>8} {'NDCG@' + str(k):>8} {'MAP@' + str(k):>8}"
        self.stdout.write(f"{header} {'coverage':>9} {'users':>7} {'seconds':>8}")
        for name, r in results.items():
            self.stdout.write(
                f"{name:<12} {r.precision:8.4f} {r.recall:8.4f} {r.ndcg:8.4f} {r.map:8.4f} "
                f"{r.coverage:9.4f} {r.users:7d} {r.seconds:8.1f}"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(f"peak memory: {peak:,.0f} MiB")
        described = [
            f"{one['library']} {one['version']}, {one['kernels'] or 'unknown'} kernels, {one['threads']} threads"
            for one in blas
        ]
        self.stdout.write("BLAS: " + ("; ".join(described) or "none loaded"))

    def _group_table(self, results: dict[str, dict[str, GroupEvaluation]], *, k: int) -> None:
        first = next(iter(next(iter(results.values())).values()))
        self.stdout.write("")
        self.stdout.write(
            f"Groups ({first.groups:,}): hit rate@{k} (some member visits a listed venue), mean member "
            f"recall@{k}, share of groups where every member gets a hit"
        )
        self.stdout.write(f"{'ranker':<12} {'list':<16} {'hit rate':>9} {'recall':>8} {'all hit':>8}")
        for name, by_strategy in results.items():
            for strategy, figures in by_strategy.items():
                self.stdout.write(
                    f"{name:<12} {strategy:<16} {figures.hit_rate:9.4f} {figures.member_recall:8.4f} "
                    f"{figures.all_members_hit:8.4f}"
                )

    def _plot(self, results: dict[str, Evaluation], path: Path, *, title: str) -> None:
        with matplotlib_figure(1, 2, figsize=(11, 4.2)) as (figure, (left, right)):
            ks = range(1, CURVE_DEPTH + 1)
            for name, result in results.items():
                left.plot(ks, result.precision_curve, marker="o", markersize=3, label=name)
                right.plot(ks, result.recall_curve, marker="o", markersize=3, label=name)
            for axes, label in ((left, "P@k"), (right, "R@k")):
                axes.set_xlabel("k")
                axes.set_ylabel(label)
                axes.set_xticks(range(2, CURVE_DEPTH + 1, 2))
                axes.grid(alpha=0.3)
                axes.legend()
            figure.suptitle(title)
            figure.tight_layout()
            figure.savefig(path, dpi=110)
