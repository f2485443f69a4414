"""Write many rows of one model fast: PostgreSQL COPY, or batched multi-row INSERTs elsewhere.

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

INSERT_BATCH = 2_000


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
        self._batch: list[tuple] = []
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
        meta = self.model._meta
        quote = self._connection.ops.quote_name
        columns = ", ".join(quote(meta.get_field(name).column) for name in [*self.fields, *self._constants])
        self._cursor = self._connection.cursor()
        if self._use_copy:
            # A COPY of a million rows runs longer than the statement timeout meant for requests.
            self._cursor.execute("SET statement_timeout = 0")
            self._constant_row = tuple(self._constants.values())
            self._copy_context = self._cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN")
            self._copy = self._copy_context.__enter__()
        else:
            # Values as the database takes them (a UUID as its hex on SQLite), converted per field;
            # far cheaper than building a model instance per row for bulk_create.
            self._prepare = [meta.get_field(name).get_db_prep_save for name in self.fields]
            self._constant_row = tuple(
                meta.get_field(name).get_db_prep_save(value, connection=self._connection)
                for name, value in self._constants.items()
            )
            placeholders = ", ".join(["%s"] * (len(self.fields) + len(self._constants)))
            self._insert = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"
        return self

    def write(self, row: Sequence[Any]) -> None:
        if self._use_copy:
            self._copy.write_row((*row, *self._constant_row))
        else:
            connection = self._connection
            prepared = tuple(
                prepare(value, connection=connection) for prepare, value in zip(self._prepare, row, strict=True)
            )
            self._batch.append(prepared + self._constant_row)
            if len(self._batch) >= INSERT_BATCH:
                self._flush()
        self.written += 1

    def _flush(self) -> None:
        self._cursor.executemany(self._insert, self._batch)
        self._batch = []

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            if self._use_copy:
                self._copy_context.__exit__(exc_type, exc, traceback)
                if exc_type is None:
                    self._cursor.execute("RESET statement_timeout")  # back to the connection's own
            elif exc_type is None and self._batch:
                self._flush()
        finally:
            self._cursor.close()


def refresh_statistics(*model_classes: type[models.Model], using: str = "default") -> None:
    """After a bulk load, let PostgreSQL's planner see the new row counts now rather than at the next autovacuum."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in model_classes:
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")
