"""The shared cache in tests of what is counted there: the rates, the local Redis, and a Redis that is down."""

from __future__ import annotations

import socket
import uuid

from django.test import override_settings

REDIS = "django.core.cache.backends.redis.RedisCache"

# A Redis nobody listens on (port 1): every cache call fails at once, as when the server is down.
cache_down = override_settings(CACHES={"default": {"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:1/0"}})


def redis_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def local_redis(db: int) -> dict:
    """CACHES for the local Redis's database `db`, under a key prefix no other test shares."""
    return {
        "default": {
            "BACKEND": REDIS,
            "LOCATION": f"redis://127.0.0.1:6379/{db}",
            "KEY_PREFIX": f"luna-test-{uuid.uuid4().hex}",
        }
    }


def with_rates(settings, **rates: str | None) -> None:
    """Set these throttle scopes' rates (`interactions="3/minute"`) for one test; the others stay."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }
