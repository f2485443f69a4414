"""gunicorn settings for Luna (`gunicorn -c gunicorn.conf.py luna.wsgi`).

Every value can be overridden from the environment, e.g. `GUNICORN_WORKERS=8`.
In production run it behind nginx (deploy/nginx/luna.conf), which buffers slow
clients; the threaded workers keep one slow request (a lock wait, a slow
provider) from holding a whole process.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")


def post_worker_init(worker):
    # Move everything loaded so far (Django, the app) out of the collector's
    # reach: a full collection over it costs tens of milliseconds on a request.
    gc.freeze()
