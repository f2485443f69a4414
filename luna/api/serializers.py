"""Base serializers for every input of the API: unknown fields are refused, and model
fields map to the strict fields of luna.api.fields."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.settings import api_settings

from luna.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    StrictFloatField,
    StrictIntegerField,
    StrictSlugField,
)
from luna.api.query import BLANK, is_blank, number_error

NOT_WRITABLE = "Unknown or read-only field; it cannot be set here."


class _RefuseUnknownFields:
    """A field the client cannot set is a 400, not silently dropped: a PATCH of `id` or of an
    edge's `other_user_id` would otherwise answer 200 as if it had worked."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {field.field_name for field in self._writable_fields}
            unexpected = sorted(str(name) for name in data if name not in writable)
            if unexpected:
                raise serializers.ValidationError({name: [NOT_WRITABLE] for name in unexpected}, code="not_writable")
        return super().to_internal_value(data)


NO_BODY = "This request takes no body; nothing can be set with it."


def refuse_a_body(data) -> None:
    """The body of a write that takes none (`request.data`): an empty one passes; anything else is a 400
    naming each field sent (or the body, when it is not an object), as an unknown field is elsewhere."""
    if isinstance(data, Mapping) and not data:
        return
    names = sorted(str(name) for name in data) if isinstance(data, Mapping) else [api_settings.NON_FIELD_ERRORS_KEY]
    raise serializers.ValidationError({name: [NO_BODY] for name in names}, code="no_body")


class StrictSerializer(_RefuseUnknownFields, serializers.Serializer):
    """The base of every request body that is not a model's."""


class QueryParamsSerializer(serializers.Serializer):
    """The query parameters of one endpoint: `QueryParamsSerializer(data=request.query_params)`.

    luna.api.query's rule holds for every field: a parameter given empty (`?venue_id=`) is
    malformed, not absent (DRF reads form-style input that way for optional fields, so the query
    string is read as plain values here: a list for list fields, the last value otherwise), and
    a number is ASCII digits (DRF's number fields take `５`, ` 5` and `5.0`). Names it does not
    know are left to others (`format`, paging, filters).
    """

    def to_internal_value(self, data):
        if isinstance(data, QueryDict):
            data = {
                name: data.getlist(name) if isinstance(self.fields.get(name), serializers.ListField) else data[name]
                for name in data
            }
            errors = {}
            for name, value in data.items():
                field = self.fields.get(name)
                if field is not None and (error := _query_value_error(field, value)):
                    errors[name] = [error]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def _query_value_error(field: serializers.Field, value) -> str | None:
    if isinstance(field, serializers.ListField):
        return next(filter(None, (_query_value_error(field.child, item) for item in value)), None)
    if isinstance(field, (serializers.IntegerField, serializers.FloatField, serializers.DecimalField)):
        return number_error(value, whole=isinstance(field, serializers.IntegerField))
    return BLANK if is_blank(value) else None


class StrictModelSerializer(_RefuseUnknownFields, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.FloatField: StrictFloatField,
        models.DecimalField: StrictDecimalField,
        models.IntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.BooleanField: StrictBooleanField,
    }
