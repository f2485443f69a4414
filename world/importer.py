"""Bulk import of users, venues, interactions and social edges from CSV files.

`manage.py import_data DIR` is a thin layer over `data_import`.

Every row is checked with the rules the models (and so the API) enforce: the
model fields' own to_python, choices and validators (users.validators for
handles, ages and coordinates), plus the rules that span cells or rows: home
both-or-neither, handles unique regardless of case (against stored users and
earlier rows), referenced ids exist (users: active ones), no self-edge, no
duplicate edge. Checks run in memory: stored ids, handles and edges are read
once per file, never per row. Rows are streamed to the database (COPY on PostgreSQL) inside one
transaction per file; a rejected file rolls back as a whole.

Import only adds rows: a row whose id (or edge) is already stored is an error
naming its line, never an update.
"""

from __future__ import annotations

import csv
import hashlib
import math
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models, transaction
from django.db.models.functions import Lower

from social.models import SocialEdge
from users.models import User
from users.validators import normalize_handle
from venues.models import Interaction, Venue
from world.bulk import RowWriter, refresh_statistics
from world.models import ImportedFile

MAX_REPORTED_ERRORS = 100
PROGRESS_EVERY = 100_000

Progress = Callable[[str, int], None]
Rows = Iterator[tuple[int, dict[str, str]]]  # (line number, cells by column)


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}" if self.line else self.file  # line 0: the file as a whole
        return f"{where}, field '{self.field}': {self.message}" if self.field else f"{where}: {self.message}"


@dataclass
class FileReport:
    file: str
    rows: int = 0
    loaded: int = 0
    bad_rows: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first MAX_REPORTED_ERRORS
    header_invalid: bool = False
    rejected: bool = False
    seconds: float = 0.0

    def add_error(self, error: RowError) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)

    def summary(self, *, dry_run: bool = False) -> str:
        """What became of the file, as `import_data` prints it and the admin's Data page shows it."""
        if self.rejected:
            line = f"{self.file} rejected, nothing loaded from it"
            return f"{line} ({_count(self.bad_rows, 'bad row')})" if self.bad_rows else line
        verb = "would load" if dry_run else "loaded"
        line = f"{self.file}: {verb} {self.loaded:,} of {self.rows:,} rows in {self.seconds:.1f} s"
        return f"{line}, skipped {_count(self.bad_rows, 'bad row')}" if self.bad_rows else line

    def more_errors(self) -> str:
        """The line that follows the listed errors when there were more bad rows ('' when not)."""
        if self.bad_rows > len(self.errors):
            return f"... {_count(self.bad_rows, 'bad row')} in all; only the first errors are listed"
        return ""


def _count(count: int, what: str) -> str:
    return f"{count:,} {what}{'' if count == 1 else 's'}"


class _RowInvalid(Exception):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors


class _Rejected(Exception):
    """Raised inside a file's transaction to roll it back."""


# --- Cells ---------------------------------------------------------------------------


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


class _FieldCell:
    """Turns one CSV cell into a value for a model field, with that field's own rules."""

    def __init__(self, model: type[models.Model], name: str, *, lower: bool = False) -> None:
        self.field = model._meta.get_field(name)
        self.lower = lower
        self.validators = list(self.field.validators)
        if isinstance(self.field, models.CharField | models.TextField):
            # As the API's serializer fields do; PostgreSQL cannot store NUL in text either.
            self.validators.append(ProhibitNullCharactersValidator())
        self.choices = {str(value) for value, _ in self.field.flatchoices} if self.field.choices else None
        self.numeric = isinstance(self.field, models.FloatField | models.DecimalField)

    def clean(self, raw: str) -> Any:
        if raw == "":
            if self.field.null:
                return None
            if self.field.has_default():
                return self.field.get_default()
            raise ValidationError("This field is required.")
        if self.lower:
            raw = raw.lower()
        value = self.field.to_python(raw)
        if self.numeric and not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)):
            raise ValidationError("Must be a finite number.")
        if self.choices is not None and value not in self.choices:
            raise ValidationError(f"'{raw}' is not one of: {', '.join(sorted(self.choices))}.")
        for validator in self.validators:
            validator(value)
        return value


def _parse_uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ValidationError(f"'{raw}' is not a valid UUID.") from None


class _Reference:
    """Resolves ids of stored rows: one query up front, then dictionary lookups."""

    def __init__(self, model: type[models.Model], noun: str) -> None:
        self.noun = noun
        self.ids = {str(pk): pk for pk in model.objects.values_list("pk", flat=True).iterator(chunk_size=50_000)}

    def clean(self, raw: str) -> uuid.UUID:
        found = self.ids.get(raw)
        if found is not None:
            return found
        if raw == "":
            raise ValidationError("This field is required.")
        found = self.ids.get(str(_parse_uuid(raw)))
        if found is None:
            raise ValidationError(f"No {self.noun} with id {raw}.")
        return found


class _UserReference(_Reference):
    """Users as the API accepts them: a closed (inactive) account gains no interactions or edges."""

    def __init__(self) -> None:
        super().__init__(User, "user")
        self.closed = set(User.objects.filter(is_active=False).values_list("pk", flat=True))

    def clean(self, raw: str) -> uuid.UUID:
        found = super().clean(raw)
        if found in self.closed:
            raise ValidationError(f"The user {found} has closed their account.")
        return found


# --- Files ---------------------------------------------------------------------------


class _FileSpec:
    """One CSV file: its columns, how a row becomes a tuple for RowWriter, and cross-row rules."""

    name: str
    model: type[models.Model]
    required_columns: tuple[str, ...]
    optional_columns: tuple[str, ...] = ()
    fields: tuple[str, ...]

    def prepare(self) -> None:
        """Read what the checks need from the database (once per file)."""

    cleaners: dict[str, Callable[[str], Any]]

    def row(self, values: dict[str, str]) -> tuple:
        """The row's values for RowWriter, in `fields` order; a bad cell or rule raises _RowInvalid."""
        cleaned = self.cells(values)
        self.check(cleaned)
        return tuple(cleaned[name] for name in self.fields)

    def check(self, cleaned: dict[str, Any]) -> None:
        """Rules across cells and rows (pairs, uniqueness); the cells are each valid already."""

    def cells(self, values: dict[str, str]) -> dict[str, Any]:
        cleaned, errors = {}, []
        for column, clean in self.cleaners.items():
            try:
                cleaned[column] = clean(values.get(column, ""))
            except ValidationError as error:
                errors.append((column, _messages(error)))
        if errors:
            raise _RowInvalid(errors)
        return cleaned


class _NewIds:
    """Ids of a file's new rows: generated when blank, never one already stored or used earlier."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.taken: set[uuid.UUID] = set()

    def prepare(self) -> None:
        self.taken = set(self.model.objects.values_list("pk", flat=True).iterator(chunk_size=50_000))
        self.stored = set(self.taken)

    def clean(self, raw: str) -> uuid.UUID:
        if raw == "":
            return uuid.uuid4()
        value = _parse_uuid(raw)
        if value in self.taken:
            where = "is already stored (import never updates rows)" if value in self.stored else "appears twice"
            raise ValidationError(f"{self.model._meta.verbose_name.capitalize()} id {raw} {where}.")
        return value


class _UsersFile(_FileSpec):
    name = "users.csv"
    model = User
    required_columns = ("handle", "name", "home_lat", "home_lng", "age")
    optional_columns = ("id",)
    fields = ("id", "handle", "name", "home_lat", "home_lng", "age", "password")

    def __init__(self) -> None:
        self.ids = _NewIds(User)
        self.cleaners = {
            "id": self.ids.clean,
            "handle": _FieldCell(User, "handle").clean,
            "name": _FieldCell(User, "name").clean,
            "home_lat": _FieldCell(User, "home_lat").clean,
            "home_lng": _FieldCell(User, "home_lng").clean,
            "age": _FieldCell(User, "age").clean,
        }

    def prepare(self) -> None:
        self.ids.prepare()
        self.handles = set(User.objects.annotate(lower=Lower("handle")).values_list("lower", flat=True))

    def check(self, cleaned: dict[str, Any]) -> None:
        if (cleaned["home_lat"] is None) != (cleaned["home_lng"] is None):
            missing = "home_lng" if cleaned["home_lng"] is None else "home_lat"
            raise _RowInvalid([(missing, "home_lat and home_lng must be given together, or both left empty.")])
        handle = normalize_handle(cleaned["handle"])
        if handle in self.handles:
            raise _RowInvalid([("handle", f"The handle '{cleaned['handle']}' is already taken (case-insensitively).")])
        self.handles.add(handle)
        cleaned["handle"] = handle  # stored as every other way in stores it
        self.ids.taken.add(cleaned["id"])
        # An unusable password, as signup without a password gives; nothing is hashed.
        cleaned["password"] = make_password(None)


class _VenuesFile(_FileSpec):
    name = "venues.csv"
    model = Venue
    required_columns = ("name", "description", "category", "lat", "lng", "price_level", "rating")
    optional_columns = ("id",)
    fields = ("id", "name", "description", "category", "lat", "lng", "price_level", "rating")

    def __init__(self) -> None:
        self.ids = _NewIds(Venue)
        self.cleaners = {"id": self.ids.clean}
        for name in self.fields[1:]:
            # Categories are lower-case slugs: "Bar" is stored as "bar".
            self.cleaners[name] = _FieldCell(Venue, name, lower=name == "category").clean

    def prepare(self) -> None:
        self.ids.prepare()

    def check(self, cleaned: dict[str, Any]) -> None:
        self.ids.taken.add(cleaned["id"])


class _InteractionsFile(_FileSpec):
    name = "interactions.csv"
    model = Interaction
    required_columns = ("user_id", "venue_id", "interaction_type", "dwell_time_seconds")
    fields = ("user_id", "venue_id", "interaction_type", "dwell_time_seconds")

    def prepare(self) -> None:
        self.cleaners = {
            "user_id": _UserReference().clean,
            "venue_id": _Reference(Venue, "venue").clean,
            "interaction_type": _FieldCell(Interaction, "interaction_type").clean,
            "dwell_time_seconds": _FieldCell(Interaction, "dwell_time_seconds").clean,
        }


class _EdgesFile(_FileSpec):
    name = "edges.csv"
    model = SocialEdge
    required_columns = ("user_id", "other_user_id", "relationship_type", "strength")
    fields = ("user_id", "other_user_id", "relationship_type", "strength")

    def prepare(self) -> None:
        users = _UserReference()
        self.cleaners = {
            "user_id": users.clean,
            "other_user_id": users.clean,
            "relationship_type": _FieldCell(SocialEdge, "relationship_type").clean,
            "strength": _FieldCell(SocialEdge, "strength").clean,
        }
        self.stored = set(SocialEdge.objects.values_list("user_id", "other_user_id").iterator(chunk_size=50_000))
        self.pairs = set(self.stored)

    def check(self, cleaned: dict[str, Any]) -> None:
        pair = (cleaned["user_id"], cleaned["other_user_id"])
        if pair[0] == pair[1]:
            raise _RowInvalid([("other_user_id", "A user cannot have an edge to themselves.")])
        if pair in self.pairs:
            where = "is already stored" if pair in self.stored else "appears earlier in the file"
            raise _RowInvalid([("other_user_id", f"The edge {pair[0]} -> {pair[1]} {where}.")])
        self.pairs.add(pair)


# Dependency order: interactions and edges refer to users and venues.
FILE_SPECS: tuple[type[_FileSpec], ...] = (_UsersFile, _VenuesFile, _InteractionsFile, _EdgesFile)
FILE_NAMES = tuple(spec.name for spec in FILE_SPECS)


# --- Import ----------------------------------------------------------------------------


def _first_line_not_utf8(path: Path) -> int:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 1


def _rows(path: Path, spec: _FileSpec, report: FileReport) -> Rows:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            yield from _checked_rows(reader, spec, report)
        except UnicodeDecodeError:
            # Text is decoded a buffer at a time; find the offending line only when there is one.
            line = _first_line_not_utf8(path)
            report.add_error(RowError(spec.name, line, "", "not UTF-8 text; the file cannot be read."))
            report.header_invalid = True
        except csv.Error as error:
            report.add_error(RowError(spec.name, reader.line_num, "", f"not valid CSV ({error})."))
            report.header_invalid = True


def _checked_rows(reader: Any, spec: _FileSpec, report: FileReport) -> Rows:
    header = [column.strip() for column in next(reader, [])]
    missing = [column for column in spec.required_columns if column not in header]
    known = set(spec.required_columns) | set(spec.optional_columns)
    unknown = [column for column in header if column not in known]
    duplicated = sorted({column for column in header if header.count(column) > 1})
    if not header or missing or unknown or duplicated:
        problems = []
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column(s) {', '.join(unknown)}")
        if duplicated:
            problems.append(f"repeated column(s) {', '.join(duplicated)}")
        expected = ",".join((*spec.optional_columns, *spec.required_columns))
        message = f"bad header ({'; '.join(problems) or 'empty file'}); expected {expected}."
        report.add_error(RowError(spec.name, 1, "", message))
        report.header_invalid = True
        return
    width = len(header)
    for cells in reader:
        if not cells:
            continue  # a blank line
        if len(cells) != width:
            report.rows += 1
            report.bad_rows += 1
            message = f"{len(cells)} cells, but the header has {width}."
            report.add_error(RowError(spec.name, reader.line_num, "", message))
            continue
        yield reader.line_num, dict(zip(header, (cell.strip() for cell in cells), strict=True))


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _import_file(path: Path, spec: _FileSpec, *, skip_invalid: bool, again: bool, progress: Progress) -> FileReport:
    report = FileReport(spec.name)
    started = time.monotonic()
    checksum = _checksum(path)
    earlier = ImportedFile.objects.filter(name=spec.name, sha256=checksum).first()
    if earlier is not None and not again:
        message = (
            f"this very file was imported on {earlier.imported_at:%Y-%m-%d %H:%M} ({earlier.rows_loaded:,} rows); "
            "importing it again would store its rows twice. Pass --again to import it once more on purpose."
        )
        report.add_error(RowError(spec.name, 0, "", message))
        report.rejected = True
        return report
    try:
        with transaction.atomic():
            spec.prepare()
            with RowWriter(spec.model, spec.fields) as writer:
                for line, values in _rows(path, spec, report):
                    report.rows += 1
                    try:
                        row = spec.row(values)
                    except _RowInvalid as invalid:
                        report.bad_rows += 1
                        for column, message in invalid.errors:
                            report.add_error(RowError(spec.name, line, column, message))
                        continue
                    if skip_invalid or not report.bad_rows:
                        writer.write(row)
                    if report.rows % PROGRESS_EVERY == 0:
                        progress(spec.name, report.rows)
                if report.header_invalid or (report.bad_rows and not skip_invalid):
                    raise _Rejected
            report.loaded = writer.written
            ImportedFile.objects.create(name=spec.name, sha256=checksum, rows_loaded=report.loaded)
            refresh_statistics(spec.model)
    except _Rejected:
        report.rejected = True
        report.loaded = 0
    report.seconds = time.monotonic() - started
    return report


class _DryRun(Exception):
    """Raised at the end of a dry run to roll back everything it wrote."""

    def __init__(self, reports: list[FileReport]) -> None:
        self.reports = reports


def data_import(
    *,
    directory: Path,
    skip_invalid: bool = False,
    again: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> list[FileReport]:
    """Import the CSV files present in `directory`, in dependency order, one transaction per file.

    Stops after the first rejected file (files before it stay loaded); with
    `skip_invalid` bad rows are left out and reported instead. A file identical to one
    imported before is rejected unless `again`. A dry run does all of it, each file seeing
    the rows of the files before it, inside one transaction that is then rolled back: the
    reports say what would be loaded, and nothing is.
    """
    if dry_run:
        try:
            with transaction.atomic():
                raise _DryRun(_import_files(directory, skip_invalid=skip_invalid, again=again, progress=progress))
        except _DryRun as done:
            return done.reports
    return _import_files(directory, skip_invalid=skip_invalid, again=again, progress=progress)


def files_not_attempted(directory: Path, reports: list[FileReport]) -> list[str]:
    """The files present in `directory` that an import stopped before (after a rejected file)."""
    rejected = next((report for report in reports if report.rejected), None)
    if rejected is None:
        return []
    later = FILE_NAMES[FILE_NAMES.index(rejected.file) + 1 :]
    return [name for name in later if (directory / name).is_file()]


def _import_files(directory: Path, *, skip_invalid: bool, again: bool, progress: Progress | None) -> list[FileReport]:
    reports = []
    for spec_class in FILE_SPECS:
        path = directory / spec_class.name
        if not path.is_file():
            continue
        report = _import_file(
            path, spec_class(), skip_invalid=skip_invalid, again=again, progress=progress or (lambda *_: None)
        )
        reports.append(report)
        if report.rejected:
            break
    return reports
