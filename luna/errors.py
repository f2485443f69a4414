"""Errors that services raise without knowing about HTTP.

Services raise these (and Django's ValidationError / PermissionDenied);
`luna.api.exceptions.exception_handler` turns them into JSON responses.
"""

from __future__ import annotations


class Conflict(Exception):
    """The request is well formed but clashes with the current state (HTTP 409)."""

    def __init__(self, message: str, *, code: str = "conflict") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class RateLimited(Exception):
    """Too many attempts; the caller may try again after `retry_after` seconds (HTTP 429)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class Unavailable(Exception):
    """Something the request depends on is down; the caller may try again shortly (HTTP 503)."""

    def __init__(self, message: str, *, code: str = "unavailable") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
