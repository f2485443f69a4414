"""What every model admin of Luna shares."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.http import StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

# Never in an export: secrets and blobs.
NOT_EXPORTED = {"password"}


class _BoundedChangeList(ChangeList):
    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as exc:
            # The date drill-down of the last year datetime can hold (9999) has no end date
            # to filter by; the admin shows the whole list instead of an error page.
            raise IncorrectLookupParameters(exc) from exc


class SafeChangeListMixin:
    """A change list that no stored value or query string can turn into a 500."""

    def get_changelist(self, request, **kwargs):
        return _BoundedChangeList


class ModelAdmin(SafeChangeListMixin, admin.ModelAdmin):
    def button_url(self, name: str, view):
        """The URL of a change page's button that does something: `<object id>/<name>/`, POST only, named
        `<app>_<model>_<name>` (dashes as underscores) for `reverse("admin:...")`."""
        meta = self.model._meta
        return path(
            f"<path:object_id>/{name}/",
            self.admin_site.admin_view(require_POST(view)),
            name=f"{meta.app_label}_{meta.model_name}_{name.replace('-', '_')}",
        )


# What makes a spreadsheet read a cell as a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A value as an export cell that no spreadsheet runs: text starting like a formula gets a leading
    `'` (a venue named `=HYPERLINK(...)` stays text). Numbers are left as they are: a negative one is
    a number, not a formula."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def json_cell(value: object) -> str:
    """A JSON field's value as an export cell: JSON text (`{"users": 29}`), which json.loads reads back.
    No formula guard: JSON text starts with `{`, `[`, `"`, a digit, `t`, `f`, `n` or, for a negative
    number, `-`, which a spreadsheet reads as that number."""
    return json.dumps(value, ensure_ascii=False)


class _Line:
    """What csv.writer writes to, handing each line back to the response that streams it."""

    def write(self, line: str) -> str:
        return line


@admin.action(description="Export selected %(verbose_name_plural)s as CSV", permissions=["view"])
def export_as_csv(modeladmin, request, queryset):
    """Every column of the selected rows (with "select all", of every row the filters and search
    leave), ids for references, streamed: the rows are never all in memory."""
    meta = queryset.model._meta
    fields = [
        field
        for field in meta.concrete_fields
        if field.name not in NOT_EXPORTED and not isinstance(field, models.BinaryField)
    ]
    writer = csv.writer(_Line())
    cells = [json_cell if isinstance(field, models.JSONField) else csv_cell for field in fields]

    def lines():
        yield writer.writerow([field.attname for field in fields])
        for row in (
            queryset.order_by(*(meta.ordering or ["pk"]))
            .values_list(*(f.attname for f in fields))
            .iterator(chunk_size=2000)
        ):
            yield writer.writerow([cell(value) for cell, value in zip(cells, row, strict=True)])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{meta.app_label}-{meta.model_name}.csv"'
    return response


# On every change list of the admin, whatever actions the model's admin adds.
admin.site.add_action(export_as_csv, "export_as_csv")


def related_table(headers: list[str], rows: list[tuple], *, empty: str):
    """A small read-only table for an admin page (cells are escaped; a cell may be format_html output)."""
    if not rows:
        return empty
    head = format_html_join("", "<th>{}</th>", ((header,) for header in headers))
    body = format_html_join(
        "", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows)
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


def list_time(field: str, description: str | None = None):
    """A date-time column of a change list, sortable by `field`: `2026-12-07 14:13` in the admin's time
    zone, half the width of Django's `Dec. 7, 2026, 2:13 p.m.` (lists must fit a 1366-px screen)."""

    @admin.display(description=description or field.replace("_", " "), ordering=field)
    def column(obj) -> str:
        value = getattr(obj, field)
        return "-" if value is None else f"{timezone.localtime(value):%Y-%m-%d %H:%M}"

    column.__name__ = field  # the column's CSS class, as for the field itself
    return column


def list_text(field: str, description: str | None = None, *, chars: int = 60):
    """A long text column of a change list, cut to `chars` with the whole text as its tooltip."""

    @admin.display(description=description or field.replace("_", " "), ordering=field)
    def column(obj):
        value = getattr(obj, field) or ""
        short = Truncator(value).chars(chars)
        return format_html('<span title="{}">{}</span>', value, short) if short != value else value or "-"

    column.__name__ = field
    return column


def figures_table(value: object):
    """Any JSON value as a small read-only table for an admin page: a dict's keys as row headings,
    nested dicts as indented rows under their key, lists of plain values joined; whatever the keys are."""
    if not isinstance(value, dict):
        return _figure_text(value)
    if not value:
        return "-"
    rows = []

    def add(mapping: dict, depth: int) -> None:
        for key, item in mapping.items():
            indent = f"padding-left: {0.5 + 1.5 * depth}em"
            if isinstance(item, dict) and item:
                rows.append(format_html('<tr><th colspan="2" style="{}">{}</th></tr>', indent, key))
                add(item, depth + 1)
            else:
                rows.append(format_html('<tr><th style="{}">{}</th><td>{}</td></tr>', indent, key, _figure_text(item)))

    add(value, 0)
    body = format_html_join("", "{}", ((row,) for row in rows))
    return format_html('<table class="figures"><tbody>{}</tbody></table>', body)


def _figure_text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.4g}"
    if isinstance(value, list):
        if all(not isinstance(item, (dict, list)) for item in value):
            return ", ".join(_figure_text(item) for item in value) or "-"
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False) if value else "-"
    return str(value)


def admin_link(obj, text=None):
    """A link to the object's admin page."""
    meta = obj._meta
    return format_html(
        '<a href="{}">{}</a>', reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]), text or obj
    )


def add_panels(model, panels: type, names: tuple[str, ...], *, title: str) -> None:
    """Add read-only panels (the methods `names` of the mixin `panels`, each taking the object) to the
    admin page of `model`, from an app its own app may not import: the registered admin is replaced by
    a subclass that also shows them (in a fieldset `title` where the admin declares fieldsets)."""
    current = type(admin.site.get_model_admin(model))

    class Extended(panels, current):
        def get_readonly_fields(self, request, obj=None):
            return (*super().get_readonly_fields(request, obj), *names)

        def get_fieldsets(self, request, obj=None):
            fieldsets = list(super().get_fieldsets(request, obj))
            shown = {name for _, options in fieldsets for name in options.get("fields", ())}
            missing = tuple(name for name in names if name not in shown)
            return [*fieldsets, (title, {"fields": missing})] if missing and obj is not None else fieldsets

    Extended.__name__ = Extended.__qualname__ = f"{current.__name__}With{panels.__name__}"
    admin.site.unregister(model)
    admin.site.register(model, Extended)
