"""Write many rows of one model fast: PostgreSQL COPY, or bulk_create elsewhere.

Used by the synthetic world generator and the CSV importer. Rows are plain
tuples of already validated values in the order of `fields` (attnames, so
foreign keys are given as `user_id`); every other concrete field gets its
model default, and auto_now / auto_now_add fields the moment the writer opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, models
from django.utils import timezone

BULK_CREATE_BATCH = 2_000


class RowWriter:
    """Context manager: `with RowWriter(Model, ["a", "b"]) as writer: writer.write((1, 2))`."""

    def __init__(self, model: type[models.Model], fields: Sequence[str], *, using: str = "default") -> None:
        self.model = model
        self.fields = list(fields)
        self.using = using
        self.written = 0
        self._connection = connections[using]
        self._use_copy = self._connection.vendor == "postgresql"
        self._constants = self._constant_values()
        self._batch: list[models.Model] = []
        self._cursor = None
        self._copy_context = None
        self._copy = None

    def _constant_values(self) -> dict[str, Any]:
        now = timezone.now()
        given = set(self.fields)
        constants: dict[str, Any] = {}
        for field in self.model._meta.concrete_fields:
            if field.attname in given or isinstance(field, models.AutoField):
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                constants[field.attname] = now
            else:
                constants[field.attname] = field.get_default()
        return constants

    def __enter__(self) -> RowWriter:
        if self._use_copy:
            columns = [self.model._meta.get_field(name).column for name in self.fields]
            columns += [self.model._meta.get_field(name).column for name in self._constants]
            quote = self._connection.ops.quote_name
            statement = "COPY {} ({}) FROM STDIN".format(
                quote(self.model._meta.db_table), ", ".join(quote(column) for column in columns)
            )
            self._constant_row = tuple(self._constants.values())
            self._cursor = self._connection.cursor()
            self._copy_context = self._cursor.copy(statement)
            self._copy = self._copy_context.__enter__()
        return self

    def write(self, row: Sequence[Any]) -> None:
        if self._use_copy:
            self._copy.write_row((*row, *self._constant_row))
        else:
            self._batch.append(self.model(**dict(zip(self.fields, row, strict=True)), **self._constants))
            if len(self._batch) >= BULK_CREATE_BATCH:
                self._flush()
        self.written += 1

    def _flush(self) -> None:
        self.model.objects.using(self.using).bulk_create(self._batch, batch_size=BULK_CREATE_BATCH)
        self._batch = []

    def __exit__(self, exc_type, exc, traceback) -> None:
        if self._use_copy:
            try:
                self._copy_context.__exit__(exc_type, exc, traceback)
            finally:
                self._cursor.close()
        elif exc_type is None and self._batch:
            self._flush()


def refresh_statistics(*model_classes: type[models.Model], using: str = "default") -> None:
    """After a bulk load, let PostgreSQL's planner see the new row counts now rather than at the next autovacuum."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in model_classes:
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")
