"""What every model admin of Luna shares."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList


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
