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

from luna.errors import Conflict, RateLimited, Unavailable

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "The database is unavailable; try again shortly."
DATABASE_BUSY = "The database is busy with this data; try again shortly."
DATABASE_NOT_MIGRATED = "The database lacks tables or columns Luna needs: run `python manage.py migrate`."
# Seconds a client should wait after a 503 before trying again.
RETRY_AFTER_SECONDS = 2

# SQLSTATE codes (PostgreSQL) of a lock wait or a statement that ran past its timeout.
_TIMED_OUT = {"55P03", "57014"}
# SQLSTATE codes (PostgreSQL) and SQLite's messages of a table or a column that is not there:
# migrations that were not run (all of them, or some).
_UNDEFINED = {"42P01", "42703"}
_SQLITE_UNDEFINED = ("no such table", "no such column")


class ServiceUnavailable(exceptions.APIException):
    status_code, default_detail, default_code = 503, DATABASE_UNAVAILABLE, "database_unavailable"


class DatabaseBusy(ServiceUnavailable):
    default_detail, default_code = DATABASE_BUSY, "database_busy"


class RequestTooLarge(exceptions.APIException):
    status_code, default_detail, default_code = 413, "The request body is too large.", "request_too_large"


class ConflictError(exceptions.APIException):
    status_code, default_detail, default_code = 409, "The request conflicts with the current state.", "conflict"


def database_problem(exc: DatabaseError) -> str:
    """What a database error means for the client: "not_migrated", "busy" or "unavailable" (else "error")."""
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    message = str(exc)
    if sqlstate in _UNDEFINED or message.startswith(_SQLITE_UNDEFINED) or " has no column named " in message:
        return "not_migrated"
    if sqlstate in _TIMED_OUT or message.startswith("database is locked"):
        return "busy"
    if isinstance(exc, (OperationalError, InterfaceError)):
        return "unavailable"
    return "error"


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
    elif isinstance(exc, RateLimited):
        # The message already says how long to wait; DRF's Throttled(wait=...) would say it again.
        retry_after = exc.retry_after
        exc = exceptions.Throttled(detail=exc.message)
        exc.wait = retry_after
    elif isinstance(exc, Unavailable):
        exc = ServiceUnavailable(exc.message, code=exc.code)
    elif isinstance(exc, DatabaseError):
        problem = database_problem(exc)
        if problem == "not_migrated":
            # A configuration error, not an outage: retrying will not help, migrating will.
            logger.error("database not migrated: %s", exc)
            return Response({"detail": DATABASE_NOT_MIGRATED}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
        if problem == "error":
            logger.exception("database error")
            return None
        # The database went away, or a lock or statement timed out: answer cleanly and let
        # the next request reconnect or find the row free.
        logger.warning("database %s: %s", problem, exc)
        exc = DatabaseBusy() if problem == "busy" else ServiceUnavailable()
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
