"""WSGI entry point (gunicorn luna.wsgi)."""

import io
import os
import wsgiref.util

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luna.settings")
application = get_wsgi_application()

# Any path a client asks for with a token: without one it is answered 401 before anything is read.
WARM_PATH = "/reco/venues/00000000-0000-0000-0000-000000000000/"


def request_path_warm(path: str = WARM_PATH) -> int:
    """Answer one request without credentials, as a worker's first would be answered, and return its
    status (401). What Django and DRF build on a process's first request (the URL patterns compiled,
    the settings, classes and renderer a view reads) is then built in gunicorn's master before it
    forks, and shared by the workers instead of written into each one's own memory. It goes to the
    view the URL resolves to, past the middleware: nothing is logged or counted, and no host is
    needed."""
    from django.core.handlers.wsgi import WSGIRequest
    from django.urls import resolve

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "limit=10", "wsgi.input": io.BytesIO()}
    wsgiref.util.setup_testing_defaults(environ)
    match = resolve(path)
    response = match.func(WSGIRequest(environ), *match.args, **match.kwargs)
    response.render()
    return response.status_code
