"""Request bodies for the tests of what an endpoint refuses: a valid one with a field changed or left out."""

from __future__ import annotations


def body_with(valid: dict, **changes) -> dict:
    """`valid` with `changes` made; a field changed to `...` is left out (a body that lacks it)."""
    body = {**valid, **changes}
    return {key: value for key, value in body.items() if value is not ...}


def bad_coordinates(lat: str, lng: str) -> list[tuple[str, dict, str]]:
    """(case id, the change, the field the 400 names) for the coordinates refused wherever a body holds a
    place (luna.geo's validators): beyond either range by a hair, text, and a number sent as text."""
    return [
        ("lat-over-90", {lat: 90.01}, lat),
        ("lat-under-minus-90", {lat: -90.01}, lat),
        ("lng-over-180", {lng: 180.01}, lng),
        ("lng-under-minus-180", {lng: -180.01}, lng),
        ("lat-string", {lat: "north"}, lat),
        ("lat-numeric-string", {lat: "40.7"}, lat),
    ]
