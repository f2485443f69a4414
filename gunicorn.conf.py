"""gunicorn settings for Luna (`gunicorn -c gunicorn.conf.py luna.wsgi`).

Every value can be overridden from the environment, e.g. `GUNICORN_WORKERS=8`.
In production run it behind nginx (deploy/nginx/luna.conf), which buffers slow
clients; the threaded workers keep one slow request (a lock wait, a slow
provider) from holding a whole process.
"""

import multiprocessing
import os
import tempfile

# One BLAS thread per process, set before the app imports numpy: every worker runs requests on
# several threads already, and each request's products are small, so BLAS threads of their own
# only fight the other workers for the cores (at 100,000 venues they halved the throughput).
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

# A bad setting in the environment stops gunicorn here with one line, before any worker starts.
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from luna.env import cannot_start, env_bool, env_number, env_str, settings_or_exit  # noqa: E402

settings_or_exit()
from django.conf import settings  # noqa: E402


def _read_gunicorn_settings() -> dict:
    # Read as strictly as Luna's own settings (luna.env): a bad value stops here with one line.
    return {
        "bind": env_str("GUNICORN_BIND", "127.0.0.1:8000"),
        "workers": env_number("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1, minimum=1),
        "worker_class": env_str("GUNICORN_WORKER_CLASS", "gthread"),
        "threads": env_number("GUNICORN_THREADS", 4, minimum=1),
        "timeout": env_number("GUNICORN_TIMEOUT", 30, minimum=0),  # 0: no timeout
        "graceful_timeout": env_number("GUNICORN_GRACEFUL_TIMEOUT", 30, minimum=0),
        "keepalive": env_number("GUNICORN_KEEPALIVE", 5, minimum=0),
        # Recycle workers now and then so a slow leak cannot grow without bound.
        "max_requests": env_number("GUNICORN_MAX_REQUESTS", 5000, minimum=0),
        "max_requests_jitter": env_number("GUNICORN_MAX_REQUESTS_JITTER", 500, minimum=0),
        "accesslog": env_str("GUNICORN_ACCESSLOG"),
        "loglevel": env_str("GUNICORN_LOGLEVEL", "info"),
        "preload_app": env_bool("GUNICORN_PRELOAD", True),
    }


try:
    _given = _read_gunicorn_settings()
except ImproperlyConfigured as error:
    cannot_start(error)

bind = _given["bind"]
workers = _given["workers"]
worker_class = _given["worker_class"]
threads = _given["threads"]
timeout = _given["timeout"]
graceful_timeout = _given["graceful_timeout"]
keepalive = _given["keepalive"]
max_requests = _given["max_requests"]
max_requests_jitter = _given["max_requests_jitter"]
# One line per request, not two: with LUNA_REQUEST_LOG on (production's default) Luna's own JSON line
# says what the access log would (method, path, status, duration, request id), so the access log is off.
accesslog = _given["accesslog"] or (None if settings.LUNA_REQUEST_LOG else "-")
errorlog = "-"
loglevel = _given["loglevel"]
# Load Django, the recommendation catalogue and the active model once, in the master, before it
# forks: every worker then reads the same memory pages (copy on write) instead of loading its own,
# and serves its first request without a load. GUNICORN_PRELOAD=0 (or off, false, no) loads them in each worker.
preload_app = _given["preload_app"]


def when_ready(server):
    # The master, after it imported the app and before its first fork.
    if server.cfg.preload_app:
        from recommendations.prefork import master_ready

        master_ready(server)


def pre_request(worker, req):
    # A load the admin's Data page runs in a thread of this worker (a CSV import; a synthetic world
    # without a broker) ends with the worker: requests served meanwhile do not count toward
    # GUNICORN_MAX_REQUESTS, so the worker is recycled once the load is over, not in its middle
    # (which rolled the load back and left it shown as running until the stale sweep).
    from world.data_jobs import data_jobs_in_this_process

    if data_jobs_in_this_process():
        worker.nr -= 1  # gunicorn adds it back after this hook


def post_worker_init(worker):
    from recommendations.prefork import worker_ready

    worker_ready()


# Each worker is a process with its own metrics: they write them to files in one folder, which
# /metrics adds up (luna/metrics.py). A folder of this server's own, emptied at start, unless given.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="luna-metrics-")


def on_starting(server):
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):  # what an earlier server left
        if name.endswith(".db"):
            os.remove(os.path.join(folder, name))


def worker_exit(server, worker):
    # A worker that stops cleanly (a restart, GUNICORN_MAX_REQUESTS, a deploy) writes the impressions
    # it still holds and attributes the outcomes waiting on them (experiments.impressions).
    from experiments.impressions import impressions_shutdown

    impressions_shutdown()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # its live gauges stop counting
