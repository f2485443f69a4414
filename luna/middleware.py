"""Request-level guards and logging that every endpoint shares."""

from __future__ import annotations

import io
import logging
import re
import time
import uuid

from django.conf import settings
from django.http import JsonResponse
from gunicorn.http.errors import ParseException

from luna.api.views import not_found, wants_page
from luna.metrics import REQUEST_SECONDS, method_label, route_label

request_logger = logging.getLogger("luna.request")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class BodySizeLimitMiddleware:
    """Refuse bodies over LUNA_MAX_REQUEST_BYTES with 413 before anything reads them.

    A chunked body (`Transfer-Encoding: chunked`, no Content-Length) is read here, up to
    the limit, and handed on as if its length had been sent: Django reads a body by its
    Content-Length only, so the view would otherwise see none and answer a write that
    never happened with 200. A server that cannot say where such a body ends (one that
    does not set `wsgi.input_terminated`) gets a 411 instead, and chunks that do not parse a 400.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.LUNA_MAX_REQUEST_BYTES
        # Upload views (LUNA_UPLOAD_PATHS) stream files to disk and refuse bodies over their own limit.
        upload = request.path_info in settings.LUNA_UPLOAD_PATHS
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            if upload:  # read here it would be held in memory: uploads say their length
                return JsonResponse({"detail": "Send the upload with a Content-Length header."}, status=411)
            return self._read_chunked(request, limit) or self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Content-Length must be a number of bytes."}, status=400)
        if length > limit and not upload:
            return JsonResponse({"detail": f"Request body is {length} bytes; the limit is {limit} bytes."}, status=413)
        return self.get_response(request)

    def _read_chunked(self, request, limit: int) -> JsonResponse | None:
        if not request.META.get("wsgi.input_terminated"):
            return JsonResponse({"detail": "Send the body with a Content-Length header."}, status=411)
        try:
            body = request.META["wsgi.input"].read(limit + 1)
        except (ParseException, OSError):
            # The client's chunks do not parse (a size that is not hexadecimal, a chunk without its
            # end), or it went away mid-body: nginx refuses those itself, gunicorn alone raises here.
            return JsonResponse({"detail": "The chunked request body is malformed."}, status=400)
        if len(body) > limit:
            return JsonResponse({"detail": f"Request body is over the limit of {limit} bytes."}, status=413)
        request.META["CONTENT_LENGTH"] = str(len(body))
        request._stream = io.BytesIO(body)
        return None


class JsonErrorPageMiddleware:
    """A 404 or 405 page in HTML reaches only a browser (luna.api.views.wants_page).

    With DEBUG on, Django answers an unknown path with its debug page (every URL pattern
    listed) without calling handler404; an API client gets handler404's JSON instead. A view
    refusing a method (require_POST, a 405 with an empty body and no handler to set) answers
    such a client with DRF's words in JSON, its Allow header kept. A page DRF rendered (the
    browsable API, for a browser) stays as it is.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code in (404, 405)
            and response.get("Content-Type", "").startswith("text/html")
            and not hasattr(response, "accepted_renderer")  # DRF's browsable API, chosen by the client
            and not wants_page(request)
        ):
            if response.status_code == 404:
                return not_found(request)
            refused = JsonResponse({"detail": f'Method "{request.method}" not allowed.'}, status=405)
            if response.has_header("Allow"):
                refused["Allow"] = response["Allow"]
            return refused
        return response


class RequestLogMiddleware:
    """One structured log line per request, tagged with a request id.

    The id comes from the client's X-Request-ID when it is a sane token (so a
    proxy's id follows the request through), otherwise a new one; either way it
    is echoed back in the response's X-Request-ID.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        duration_ms = seconds * 1000
        response["X-Request-ID"] = request_id
        REQUEST_SECONDS.labels(
            method=method_label(request.method),
            route=route_label(getattr(request, "resolver_match", None)),
            status=f"{response.status_code // 100}xx",
        ).observe(seconds)
        if settings.LUNA_REQUEST_LOG:
            request_logger.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(duration_ms, 2),
                },
            )
        return response
