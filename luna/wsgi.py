"""WSGI entry point (gunicorn luna.wsgi)."""

import io
import os
import wsgiref.util

from django.core.wsgi import get_wsgi_application

from luna.env import settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luna.settings")
settings_or_exit()
application = get_wsgi_application()

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
