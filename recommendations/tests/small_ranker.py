"""A learned ranker small enough for tests that train one: few factors and iterations, small pools."""

from __future__ import annotations

from ranking.signals.pool import DEFAULT_SIGNALS


def small_ranker(*, seeds: int = 1, pool: int = 30, report_users: int = 100) -> dict:
    """A LUNA_RANKER setting."""
    return {
        "signals": {
            **DEFAULT_SIGNALS,
            "als": {"factors": 8, "regularization": 1.0, "alpha": 10.0, "iterations": 8, "seeds": seeds},
            "als_bm25": {"factors": 8, "regularization": 1.0, "alpha": 1.0, "iterations": 8, "seeds": seeds},
        },
        "pool": pool,
        "report_users": report_users,
    }
