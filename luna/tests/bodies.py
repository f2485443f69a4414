"""Request bodies for the tests of what an endpoint refuses: a valid one with a field changed or left out."""

from __future__ import annotations


def body_with(valid: dict, **changes) -> dict:
    """`valid` with `changes` made; a field changed to `...` is left out (a body that lacks it)."""
    body = {**valid, **changes}
    return {key: value for key, value in body.items() if value is not ...}
