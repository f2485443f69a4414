"""Benchmark the recommendation endpoints in-process, through the API layer, on a synthetic world."""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from rest_framework.test import APIRequestFactory, force_authenticate
from threadpoolctl import threadpool_limits

from experiments.impressions import impressions_flush
from plans.models import Plan, PlanParticipant
from recommendations.catalogue import catalogue_cache
from recommendations.services import SERVED_RANKERS
from recommendations.views import PeopleRecommendationViewSet, PlanVenueSuggestionViewSet, VenueRecommendationViewSet
from social.models import SocialEdge
from users.models import User
from venues.models import Interaction, Venue

SAMPLED_USERS = 500


def _group_sizes(value: str) -> list[int]:
    """--group-size: one size or several, comma-separated, each at least 1."""
    try:
        sizes = [int(part) for part in value.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a size or a list of sizes such as 2,5,10,20") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("every group size must be at least 1")
    return sizes


def _memory_kib(field: str) -> int:
    """A field of /proc/self/status in KiB (VmRSS: now, VmHWM: peak), or 0 where there is no /proc."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Command(BaseCommand):
    help = (
        "Time GET /reco/venues/{id}/, GET /reco/people/{id}/?venue_id= and GET /plans/{id}/venue-suggestions/ "
        "in-process (DRF request -> rendered JSON) on a synthetic world built by `seed`, reused when its counts "
        "already match. "
        "Prints p50/p95/p99 in ms, queries per call, peak memory and the size of the venue catalogue."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--users", type=int, default=1_000)
        parser.add_argument("--venues", type=int, default=1_000)
        parser.add_argument("--interactions", type=int, default=20_000)
        parser.add_argument("--degree", type=int, default=20, help="friends per user")
        parser.add_argument("--random-seed", type=int, default=42)
        parser.add_argument("--calls", type=int, default=500, help="timed calls per endpoint")
        parser.add_argument("--warmup", type=int, default=30, help="untimed calls per endpoint first")
        parser.add_argument("--limit", type=int, default=10, help="the limit query parameter")
        parser.add_argument(
            "--gc-freeze",
            action="store_true",
            help="after warming up, move every live object out of the garbage collector's reach (gc.freeze()), "
            "as a server would do once its workers have loaded the app",
        )
        parser.add_argument(
            "--ranker",
            choices=SERVED_RANKERS,
            help="the ?ranker= of the venue and group calls (default: none, so the active trained model answers, "
            "or the formula without one; `manage.py train_ranker` trains one)",
        )
        parser.add_argument(
            "--group-size",
            type=_group_sizes,
            default=[10],
            help="members of the plan whose group suggestions are timed (the organizer and N-1 sampled users who "
            "accepted; the plan is removed afterwards); several, e.g. 2,5,10,20, time a plan of each size in "
            "turn, call after call, so that the machine's drift hits them alike, with the CPU time per call",
        )
        parser.add_argument(
            "--reseed",
            action="store_true",
            help="replace the database's world (seed --reset) when its counts differ from the requested ones",
        )

    def handle(self, *args, **options) -> None:
        if options["calls"] < 1 or options["warmup"] < 0:
            raise CommandError("--calls must be at least 1 and --warmup at least 0.")
        self._ensure_world(options)
        # One BLAS thread, as gunicorn.conf.py serves (a group of 10 took 118 ms with the default
        # threads against 66 ms with one); OPENBLAS_NUM_THREADS, when set, decides instead.
        threads = os.environ.get("OPENBLAS_NUM_THREADS") or "1"
        if not threads.isdigit() or int(threads) < 1:
            raise CommandError(f"OPENBLAS_NUM_THREADS={threads!r} is not a number of threads.")
        threads = int(threads)
        # A few people (one organizer for every group call) ask hundreds of times: the per-user limits
        # are lifted for the run, so that every call is served and recorded (their cache round trips stay).
        rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "recommendations": "1000000/minute"}
        lifted = override_settings(
            REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates},
            LUNA_IMPRESSIONS_PER_USER_PER_DAY=10**9,
        )
        with threadpool_limits(threads, "blas"), lifted:
            self.stdout.write(f"BLAS threads per process: {threads}")
            self._run(options)

    def _run(self, options: dict) -> None:
        rng = random.Random(options["random_seed"])
        user_ids = list(
            User.objects.filter(is_staff=False, is_active=True, home_lat__isnull=False)
            .order_by("id")
            .values_list("id", flat=True)[: SAMPLED_USERS * 4]
        )
        users = list(User.objects.filter(id__in=rng.sample(user_ids, min(SAMPLED_USERS, len(user_ids)))))
        venue_ids = list(Venue.objects.exclude(category="").order_by("id").values_list("id", flat=True)[:5_000])
        if not users or not venue_ids:
            raise CommandError("The world has no users with a home or no venues with a category.")
        friends = SocialEdge.objects.filter(user__in=users[:50]).count() / min(len(users), 50)

        database = settings.DATABASES["default"]
        self.stdout.write(
            f"database: {connection.vendor} {database['NAME']}; world: {User.objects.count():,} users, "
            f"{Venue.objects.count():,} venues, {Interaction.objects.count():,} interactions, "
            f"{SocialEdge.objects.count():,} edges ({friends:.1f} friends per sampled user)"
        )
        if settings.DEBUG:
            self.stdout.write("DEBUG is on, so every query is also logged; run with DEBUG=0 for production figures.")
        self.stdout.write(f"load average before: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")

        catalogue_cache.invalidate()
        started = time.perf_counter()
        state = catalogue_cache.current()
        bound = settings.LUNA_RECO["CACHE_STALENESS_SECONDS"]
        background = settings.LUNA_RECO.get("REFRESH_IN_BACKGROUND", True)
        self.stdout.write(
            f"catalogue load, cold: {(time.perf_counter() - started) * 1000:.0f} ms (repeated every "
            f"{bound / 2 if background else bound:g} s{', in the background' if background else ''}); "
            f"catalogue size: {state.nbytes() / 2**20:.1f} MiB for {state.size:,} venues"
        )

        if state.model is not None:
            model = f"trained model v{state.model.version}: {state.model.nbytes() / 2**20:.1f} MiB in memory"
        else:
            model = "no trained model is active (manage.py train_ranker trains one)"
        served = options["ranker"] or ("learned" if state.model is not None else "formula")
        self.stdout.write(f"venue calls ranked by: {served}; {model}")

        factory = APIRequestFactory()
        venue_view = VenueRecommendationViewSet.as_view({"get": "retrieve"})
        people_view = PeopleRecommendationViewSet.as_view({"get": "retrieve"})
        limit = options["limit"]

        def venue_call(index: int) -> None:
            user = users[index % len(users)]
            params = {"limit": limit} if options["ranker"] is None else {"limit": limit, "ranker": options["ranker"]}
            self._call(factory, venue_view, f"/reco/venues/{user.pk}/", params, user)

        def people_call(index: int) -> None:
            user = users[index % len(users)]
            venue_id = venue_ids[(index * 7919) % len(venue_ids)]
            params = {"venue_id": str(venue_id), "limit": limit}
            self._call(factory, people_view, f"/reco/people/{user.pk}/", params, user)

        loads_before = catalogue_cache.full_loads
        self._bench("GET /reco/venues/{id}/", venue_call, options)
        self._recording_cost(venue_call, options)
        self._bench("GET /reco/people/{id}/?venue_id=", people_call, options)
        sizes = options["group_size"]
        if max(sizes) > len(users):
            raise CommandError(f"--group-size: the world has only {len(users)} sampled users to make a group of.")
        plans = [self._group_plan(users[:size], venue_ids[0]) for size in sizes]
        group_view = PlanVenueSuggestionViewSet.as_view({"get": "list"})

        def group_call(plan: Plan) -> Callable[[int], None]:
            def call(index: int) -> None:
                params = {"limit": limit}
                if options["ranker"] is not None:
                    params["ranker"] = options["ranker"]
                request = factory.get(f"/plans/{plan.pk}/venue-suggestions/", params)
                force_authenticate(request, user=plan.organizer)
                response = group_view(request, plan_id=str(plan.pk))
                response.render()
                if response.status_code != 200:
                    raise CommandError(f"venue-suggestions answered {response.status_code}: {response.content[:200]!r}")

            return call

        try:
            if len(sizes) == 1:
                self._bench(f"GET /plans/{{id}}/venue-suggestions/ ({sizes[0]})", group_call(plans[0]), options)
            else:
                self._bench_in_turn(
                    {
                        f"GET /plans/{{id}}/venue-suggestions/ ({size})": group_call(plan)
                        for size, plan in zip(sizes, plans, strict=True)
                    },
                    options,
                )
        finally:
            for plan in plans:
                plan.delete()

        state = catalogue_cache.current()
        self.stdout.write(
            f"full catalogue loads during the timed run: {catalogue_cache.full_loads - loads_before}; "
            f"catalogue size after the run: {state.nbytes() / 2**20:.1f} MiB; "
            f"process memory: peak RSS {_memory_kib('VmHWM') / 1024:.0f} MiB "
            f"(ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB), "
            f"RSS now {_memory_kib('VmRSS') / 1024:.0f} MiB"
        )
        self.stdout.write(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")

    def _call(self, factory: APIRequestFactory, view: Callable, url: str, params: dict, user: User) -> None:
        request = factory.get(url, params)
        force_authenticate(request, user=user)
        response = view(request, user_id=str(user.pk))
        response.render()
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}: {response.content[:200]!r}")

    def _bench(self, label: str, call: Callable[[int], None], options: dict) -> float:
        """Time `call`, print the figures; the p50 in ms."""
        for index in range(options["warmup"]):
            call(index)
        if options["gc_freeze"]:
            gc.collect()
            gc.freeze()
        full_before = gc.get_stats()[2]["collections"]
        with CaptureQueriesContext(connection) as captured:
            call(options["warmup"])
        timings = np.empty(options["calls"], dtype=np.float64)
        writes = []
        for index in range(options["calls"]):
            started = time.perf_counter_ns()
            call(options["warmup"] + 1 + index)
            timings[index] = (time.perf_counter_ns() - started) / 1e6
            # What the answer showed is written once the response has gone (request_finished, which
            # these in-process calls do not send): timed apart, as it is not the client's wait.
            started = time.perf_counter_ns()
            if impressions_flush():
                writes.append((time.perf_counter_ns() - started) / 1e6)
        full_collections = gc.get_stats()[2]["collections"] - full_before
        p50, p95, p99 = np.percentile(timings, [50, 95, 99])
        self.stdout.write(
            f"{label:<34} calls {options['calls']:>5}  p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  "
            f"p99 {p99:7.2f} ms  max {timings.max():7.2f} ms  queries/call {len(captured)}  "
            f"full gc collections {full_collections}"
        )
        if writes:
            self.stdout.write(
                f"{'':<34} after each response, recording what was shown: p50 {np.percentile(writes, 50):.2f} ms "
                f"p95 {np.percentile(writes, 95):.2f} ms (one insert)"
            )
        return float(p50)

    def _bench_in_turn(self, calls: dict[str, Callable[[int], None]], options: dict) -> None:
        """Time several calls one after the other, round after round (each round in another order), and
        print each one's wall-clock and CPU-time percentiles: on a shared machine, a slow spell slows
        them all alike, and the CPU time is what a call costs the server whoever else runs."""
        labels = list(calls)
        for index in range(options["warmup"]):
            for label in labels:
                calls[label](index)
        queries = {}
        for label in labels:
            with CaptureQueriesContext(connection) as captured:
                calls[label](options["warmup"])
            queries[label] = len(captured)
        if options["gc_freeze"]:
            gc.collect()
            gc.freeze()
        wall = {label: [] for label in labels}
        cpu = {label: [] for label in labels}
        for index in range(options["calls"]):
            shift = index % len(labels)
            for label in labels[shift:] + labels[:shift]:
                started_wall, started_cpu = time.perf_counter_ns(), time.thread_time_ns()
                calls[label](options["warmup"] + 1 + index)
                cpu[label].append((time.thread_time_ns() - started_cpu) / 1e6)
                wall[label].append((time.perf_counter_ns() - started_wall) / 1e6)
                impressions_flush()  # after the response, as a server writes it; not timed
        for label in labels:
            p50, p95 = np.percentile(wall[label], [50, 95])
            cpu50, cpu95 = np.percentile(cpu[label], [50, 95])
            self.stdout.write(
                f"{label:<34} calls {options['calls']:>5}  p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  "
                f"CPU p50 {cpu50:7.2f} ms  p95 {cpu95:7.2f} ms  queries/call {queries[label]}"
            )

    def _recording_cost(self, call: Callable[[int], None], options: dict) -> None:
        """What recording impressions adds to a venue call: the same calls with recording on and off,
        alternating (so the machine's drift hits both alike), and the insert after each response."""
        timings = {True: [], False: []}
        for index in range(options["calls"]):
            for recording in (True, False) if index % 2 else (False, True):
                settings.LUNA_RECORD_IMPRESSIONS = recording
                started = time.perf_counter_ns()
                call(index)
                timings[recording].append((time.perf_counter_ns() - started) / 1e6)
                impressions_flush()
        settings.LUNA_RECORD_IMPRESSIONS = True
        on, off = (float(np.percentile(timings[flag], 50)) for flag in (True, False))
        self.stdout.write(
            f"{'':<34} recording on the request's path, {options['calls']} calls each way alternating: "
            f"p50 {on:.2f} ms recorded, {off:.2f} ms not: {on - off:+.2f} ms"
        )

    def _group_plan(self, members: list[User], venue_id) -> Plan:
        """A pending plan of these users (the first organizes, the others accepted: the group), for the group
        scenario. Made directly, as staff's data: the sampled users have no edges to the organizer."""
        organizer, *others = members
        plan = Plan.objects.create(
            organizer=organizer, venue_id=venue_id, start_time=timezone.now() + timedelta(days=1)
        )
        PlanParticipant.objects.bulk_create(
            [PlanParticipant(plan=plan, user=organizer, status=PlanParticipant.Status.ACCEPTED)]
            + [PlanParticipant(plan=plan, user=user, status=PlanParticipant.Status.ACCEPTED) for user in others]
        )
        return Plan.objects.select_related("organizer").get(pk=plan.pk)

    def _ensure_world(self, options: dict) -> None:
        wanted = (options["users"], options["venues"], options["interactions"])
        found = (
            User.objects.filter(is_staff=False).count(),
            Venue.objects.count(),
            Interaction.objects.count(),
        )
        if found == wanted:
            self.stdout.write("Reusing the world already in the database (same counts).")
            return
        empty = found == (0, 0, 0)
        if not empty and not options["reseed"]:
            raise CommandError(
                f"The database holds {found[0]:,} users, {found[1]:,} venues and {found[2]:,} interactions, "
                f"not the requested {wanted[0]:,} / {wanted[1]:,} / {wanted[2]:,}. "
                "Use another database (DATABASE_URL) or pass --reseed to replace its world."
            )
        command = [
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            "seed",
            f"--users={options['users']}",
            f"--venues={options['venues']}",
            f"--interactions={options['interactions']}",
            f"--degree={options['degree']}",
            f"--random-seed={options['random_seed']}",
        ]
        if not empty:
            command.append("--reset")
        self.stdout.write("Seeding: manage.py " + " ".join(command[2:]))
        # A separate process, so seeding's memory does not count in this process's peak.
        if subprocess.run(command, check=False).returncode != 0:
            raise CommandError("seed failed; see its output above.")
        if connection.vendor == "postgresql":
            # Statistics and visibility maps, as autovacuum would leave them after a while, so the
            # query plans (index-only scans included) are the ones a settled database uses.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
