"""What a server does before it forks its workers, and what a forked process does after: in one place.

gunicorn (gunicorn.conf.py, with `preload_app`, GUNICORN_PRELOAD, on by default) imports the app in
its master and calls `master_ready` before the first fork, then `worker_ready` in each worker:

1. `recommendations_warm`: load the recommendation catalogue and the active model, fill the active
   model's table of the venues nearest each venue (its density's candidates; 0.24 s at 100,000
   venues) and rank once for one person, so that what a first ranking computes and keeps (the
   popularity part, sorted sparse indices) is computed in the master. The workers read the same
   memory pages (copy on write) instead of each loading its own, and serve their first request
   without a load;
2. `request_path_warm`: answer one request without credentials (a 401 straight from the view), so
   that what Django and DRF build lazily for a process's first request is built once, in the master
   (about 17 MiB a worker used to build into pages of its own);
3. close the database connections (none may be shared across a fork), mark the master's metrics dead
   (it serves nothing), and `gc.freeze()`: the collector never walks what the workers share, so it
   never writes to (hence copies) those pages; each worker freezes again after its own init, so that a
   full collection never walks the loaded app on a request (tens of milliseconds).

At 100,000 venues, 5 workers x 4 threads (docs/benchmarks.md): each worker's own pages 40-68 MiB
instead of 59-88 MiB, and about 20% more requests per second.

In every child process a fork makes (`os.register_at_fork`, registered on import, in the app's ready),
the locks and flags a parent's thread may have held are made anew: the catalogue cache's (its
background refresh) and the one of the venues-nearest tables (ranking.world.NearestVenues).
"""

from __future__ import annotations

import gc
import io
import logging
import os
import wsgiref.util

from ranking.signals.density import nearest_counted
from ranking.world import renew_nearest_lock
from recommendations.catalogue import Catalogue, catalogue_cache
from users.models import User

logger = logging.getLogger(__name__)


def master_ready(server) -> None:
    """gunicorn's master, after it imported the app and before its first fork (gunicorn's when_ready)."""
    from django.db import connections
    from prometheus_client import multiprocess

    catalogue = recommendations_warm()
    try:
        request_path_warm()
    except Exception:  # a worker then builds it on its first request, as without the warm-up
        server.log.exception("Answering a request ahead in the master failed")
    connections.close_all()  # no database connection may be shared across a fork
    if catalogue is not None:
        server.log.info("Recommendation catalogue loaded for every worker: %s venues", catalogue.size)
    multiprocess.mark_process_dead(os.getpid())  # the master serves nothing: its gauges are not a worker's
    gc.freeze()  # the collector never walks what the workers share, so it never writes to those pages


def worker_ready() -> None:
    """A worker, after it loaded the app (gunicorn's post_worker_init): move everything loaded so far
    out of the collector's reach: a full collection over it costs tens of milliseconds on a request."""
    gc.freeze()


def recommendations_warm() -> Catalogue | None:
    """Load the catalogue and the active model now and rank once for one person, so that what a first
    ranking computes and keeps (the popularity part, sorted sparse indices) is computed here: in
    gunicorn's master before it forks, the workers share all of it. None when the database cannot be
    read (each worker then loads on its first request). The caller closes the connections it opened
    before forking."""
    from recommendations.services import recommend_venues  # the app's ready imports this module: not yet

    catalogue = catalogue_cache.warm()
    if catalogue is None:
        return None
    try:
        if catalogue.model is not None and catalogue.size:
            # The venues nearest each, for the active model's density: filled as requests asked,
            # the table would be written to (so copied) in every worker. (An experiment arm's model
            # with another count still fills its own table as asked.)
            catalogue.venue_nearest.fill(nearest_counted(catalogue.model.ranker.reference.config, catalogue.size))
    except Exception:
        logger.exception("Finding the venues nearest each venue ahead failed; requests will ask as they go")
    try:
        someone = User.objects.filter(is_active=True, interactions__isnull=False).order_by("pk").first()
        if someone is not None:
            recommend_venues(someone, limit=10)
    except Exception:
        logger.exception("Ranking ahead for one person failed; the catalogue is loaded")
    return catalogue


# A path a client asks for with a token: without one it is answered 401 before anything is read.
WARM_PATH = "/reco/venues/00000000-0000-0000-0000-000000000000/"


def request_path_warm(path: str = WARM_PATH) -> int:
    """Give one request without credentials straight to the view its path resolves to, and return the
    status (401). What Django and DRF build lazily for a process's first request (the URL patterns
    compiled, the settings, classes and renderer a view reads) is then built in gunicorn's master
    before it forks, and shared by the workers instead of written into each one's own memory. The
    middleware does not run, so nothing is logged or counted, and no host is needed."""
    from django.core.handlers.wsgi import WSGIRequest
    from django.urls import resolve

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.input": io.BytesIO()}
    wsgiref.util.setup_testing_defaults(environ)
    match = resolve(path)
    response = match.func(WSGIRequest(environ), *match.args, **match.kwargs)
    response.render()
    return response.status_code


def after_fork_in_child() -> None:
    """A forked process has no thread of its parent's: what one of them may have held is made anew."""
    catalogue_cache.after_fork_in_child()
    renew_nearest_lock()


os.register_at_fork(after_in_child=after_fork_in_child)
