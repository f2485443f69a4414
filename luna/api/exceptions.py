"""One place that maps errors raised anywhere to JSON responses."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from luna.errors import Conflict

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "The database is unavailable; try again shortly."


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = DATABASE_UNAVAILABLE
    default_code = "database_unavailable"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, TooManyFieldsSent):
        # Otherwise Django answers with an HTML page (a 500 with DEBUG on, whose page reads the query again).
        exc = exceptions.ValidationError({"detail": "Too many query parameters."}, code="too_many_parameters")
    elif isinstance(exc, Conflict):
        exc = ConflictError(exc.message, code=exc.code)
    elif isinstance(exc, (OperationalError, InterfaceError)):
        # The database went away: answer cleanly and let the next request reconnect.
        logger.warning("database unavailable: %s", exc)
        exc = ServiceUnavailable()
    elif isinstance(exc, DatabaseError):
        logger.exception("database error")
        return None
    return drf_exception_handler(exc, context)
