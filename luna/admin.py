"""What every model admin of Luna shares."""

from __future__ import annotations

import csv

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.http import StreamingHttpResponse

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
    pass


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

    def lines():
        yield writer.writerow([field.attname for field in fields])
        for row in queryset.order_by(*(meta.ordering or ["pk"])).values_list(*(f.attname for f in fields)).iterator():
            yield writer.writerow(["" if value is None else value for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{meta.app_label}-{meta.model_name}.csv"'
    return response


# On every change list of the admin, whatever actions the model's admin adds.
admin.site.add_action(export_as_csv, "export_as_csv")
