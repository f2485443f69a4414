"""Prometheus metrics: what `/metrics` serves (staff, or the bearer token LUNA_METRICS_TOKEN).

Every app records into these; luna owns them so that nothing imports the wrong way. Under
gunicorn each worker is a process of its own: gunicorn.conf.py points PROMETHEUS_MULTIPROC_DIR
at a fresh folder before the workers start, so `/metrics` adds up every worker, whichever
one answers. A single process (runserver, tests) uses the default in-memory registry.
"""

from __future__ import annotations

import os
import re

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest as _generate


def multiprocess_folder_ready() -> None:
    """Make PROMETHEUS_MULTIPROC_DIR, when set, a folder the metrics below can be written to: created
    when missing; when it cannot be, start-up stops with one line naming the variable and the path
    (prometheus_client would otherwise fail on the first metric, in every command, with a traceback)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        problem = f"cannot be created ({error.strerror})"
    else:
        if os.access(folder, os.W_OK | os.X_OK):
            return
        problem = "is a folder this process may not write to"
    raise SystemExit(
        f"PROMETHEUS_MULTIPROC_DIR={folder!r} {problem}: point it at a folder this process may write to, or unset it."
    )


multiprocess_folder_ready()

# Latency buckets in seconds, from a cached request to a slow group suggestion.
BUCKETS = (0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0)

REQUEST_SECONDS = Histogram(
    "luna_request_seconds",
    "Time to answer a request, by method, URL route and status class.",
    ["method", "route", "status"],
    buckets=BUCKETS,
)
RECOMMENDATION_SECONDS = Histogram(
    "luna_recommendation_seconds",
    "Time to rank a recommendation (the service, not the HTTP around it), by kind and ranker.",
    ["kind", "ranker"],
    buckets=BUCKETS,
)
RECOMMENDATION_RESULTS = Counter(
    "luna_recommendation_results", "Rows returned by recommendations, by kind and ranker.", ["kind", "ranker"]
)
RECOMMENDATION_EMPTY = Counter(
    "luna_recommendation_empty", "Recommendations that returned nothing, by kind and ranker.", ["kind", "ranker"]
)
IMPRESSIONS_RECORDED = Counter("luna_impressions_recorded", "Recommended venues recorded as shown.")
IMPRESSIONS_FAILED = Counter(
    "luna_impressions_failed", "Recommended venues whose recording failed (the recommendation was served)."
)
IMPRESSIONS_BATCH_ROWS = Histogram(
    "luna_impressions_batch_rows",
    "Rows per write of recorded impressions: a process's buffer, at most LUNA_IMPRESSIONS_BATCH_ROWS while writes "
    "keep up.",
    buckets=(1, 10, 30, 100, 300, 1000, 3000, 10000),
)
IMPRESSIONS_OVER_DAILY_BOUND = Counter(
    "luna_impressions_over_daily_bound",
    "Recommended venues not recorded: their user had LUNA_IMPRESSIONS_PER_USER_PER_DAY stored that day.",
)
CANDIDATE_LISTS = Counter(
    "luna_candidate_lists",
    "Venue recommendations by what the kept candidate list did: hit (answered), built (none fit: ranked, kept and "
    "answered), live (the filters went past it), failed (the store could not be read or written: ranked live).",
    ["outcome"],
)
BOOKINGS = Counter("luna_bookings", "Booking agent runs by the status they ended in.", ["outcome"])
CATALOGUE_LOADS = Counter("luna_catalogue_loads", "Full loads of the recommendation catalogue.")
POPULARITY_RECOUNTS = Counter(
    "luna_popularity_recounts", "Popularity counted again over every interaction (the others read the result)."
)
DATA_LOADS = Counter(
    "luna_data_loads",
    "Loads from the admin's Data page by action (demo, synthetic, import, import_dry_run) and outcome "
    "(started, done, refused, failed).",
    ["action", "outcome"],
)
CACHE_FAILURES = Counter(
    "luna_cache_failures",
    "Calls to the shared cache that failed and were let through (a limiter not counting, a fallback served), "
    "by what made the call.",
    ["use"],
)
MODEL_VERSION = Gauge(
    "luna_ranker_model_version",
    "The trained model version a process serves (0: the formula).",
    multiprocess_mode="livemax",
)


_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")

# HTTP's methods (RFC 9110, and PATCH): any other a client makes up is counted as "other", never as a
# series of its own.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


def method_label(method: str | None) -> str:
    return method if method in KNOWN_METHODS else "other"


def route_label(match) -> str:
    """The URL pattern a request matched, readably: `reco/venues/{user_id}/` (never the path itself,
    whose ids would make a series per user)."""
    if match is None:
        return "unmatched"
    route = match.route or match.view_name or "unnamed"
    route = _GROUP.sub(lambda group: "{" + group.group(1) + "}", route)
    return route.replace("^", "").replace("$", "").replace("/?", "/").replace("\\.", ".")


def exposition() -> tuple[bytes, str]:
    """(body, content type) of every metric, summed over the server's processes."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return _generate(registry), CONTENT_TYPE_LATEST
    return _generate(REGISTRY), CONTENT_TYPE_LATEST
