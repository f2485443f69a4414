"""Service helpers every app shares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def model_update(
    *,
    instance: M,
    fields: Sequence[str],
    data: Mapping[str, Any],
    also_save: Iterable[str] = (),
    clean_exclude: Iterable[str] = (),
    validate_constraints: bool = True,
) -> tuple[M, bool]:
    """Apply `data` to the named `fields` of `instance`, validate it and save only what changed.

    `fields` are the ones the caller's service allows to change; a key of `data` outside
    them is a programming error. `also_save` names fields the caller set itself (a password
    through set_password, say). `updated_at` is saved along whenever anything is. Returns
    the instance and whether it was saved.
    """
    unexpected = set(data) - set(fields)
    if unexpected:
        raise ValueError(f"{type(instance).__name__} cannot change {', '.join(sorted(unexpected))} here.")
    changed = [field for field in fields if field in data and getattr(instance, field) != data[field]]
    for field in changed:
        setattr(instance, field, data[field])
    update_fields = [*changed, *also_save]
    if not update_fields:
        return instance, False
    instance.full_clean(exclude=list(clean_exclude), validate_constraints=validate_constraints)
    if any(field.name == "updated_at" for field in instance._meta.concrete_fields):
        update_fields.append("updated_at")
    instance.save(update_fields=update_fields)
    return instance, True
