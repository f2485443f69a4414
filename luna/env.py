"""Reading settings from the environment, strictly: a value that cannot be what its setting needs
stops start-up with the variable's name, instead of being guessed.

settings.py reads every variable through these; django-environ only parses the database
and cache URLs.
"""

from __future__ import annotations

import math
import os
import re
import sys
from typing import NoReturn

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# Django's cache settings outside OPTIONS (django-environ writes them in lower case for RedisCache).
_CACHE_SETTINGS = {"TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION"}


def env_str(name: str, default: str = "") -> str:
    """A string; unset or blank gives the default."""
    raw = os.environ.get(name, "").strip()
    return raw or default


def env_bool(name: str, default: bool) -> bool:
    """A boolean from the environment; anything unrecognised stops start-up."""
    raw = env_str(name)
    if not raw:
        return default
    value = raw.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off.")


def env_number(name: str, default: float, cast: type = int, minimum: float | None = None) -> float:
    """A number from the environment; a malformed or out-of-range value stops start-up."""
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = cast(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a valid {cast.__name__}.") from None
    if not math.isfinite(value):
        raise ImproperlyConfigured(f"{name}={raw!r} must be a finite number.")
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_rate(name: str, default: str) -> str:
    """A throttle rate such as "30/hour"; anything DRF could not parse stops start-up."""
    raw = env_str(name, default)
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", raw):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a rate; use e.g. 30/minute, 100/hour or 1000/day.")
    return raw


def env_list(name: str, default: list[str]) -> list[str]:
    """Comma-separated values; blank items are dropped."""
    raw = env_str(name)
    if not raw:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str = "") -> str:
    """A URL such as redis://host:6379/0; one without a scheme stops start-up."""
    raw = env_str(name, default)
    if raw and "://" not in raw:
        raise ImproperlyConfigured(f"{name}={raw!r}: use a URL such as redis://127.0.0.1:6379/0.")
    return raw


def env_database(name: str, default: str) -> dict:
    """Django's DATABASES entry for the URL in `name` (postgres://..., sqlite:///...)."""
    return environ.Env.db_url_config(env_url(name, default))


def env_cache(name: str) -> dict | None:
    """Django's CACHES entry for the URL in `name` (redis://...?key_prefix=...), None when unset."""
    url = env_url(name)
    if not url:
        return None
    config = environ.Env.cache_url_config(url)
    for key in [key for key in config if key.upper() in _CACHE_SETTINGS and key != key.upper()]:
        config[key.upper()] = config.pop(key)
    return config


def settings_or_exit() -> None:
    """Load Django's settings, or stop with the one line that says which variable is wrong (exit status 2).

    Every entry point (manage.py, luna.wsgi, gunicorn.conf.py) calls this first, so a bad variable
    is its message, not the message at the end of a traceback through Django's start-up.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luna.settings")
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - reading one setting reads them all
    except ImproperlyConfigured as error:
        cannot_start(error)


def cannot_start(error: ImproperlyConfigured) -> NoReturn:
    """Stop start-up with the one line that says which variable is wrong (exit status 2)."""
    print(f"Luna cannot start: {error}", file=sys.stderr)
    raise SystemExit(2) from None
