"""Base serializer for the API: model fields map to the strict fields of luna.api.fields."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from rest_framework import serializers

from luna.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    StrictFloatField,
    StrictIntegerField,
    StrictSlugField,
)

NOT_WRITABLE = "Unknown or read-only field; it cannot be set here."


class StrictModelSerializer(serializers.ModelSerializer):
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

    def to_internal_value(self, data):
        # A field the client cannot set is a 400, not silently dropped: a PATCH of `id` or of an
        # edge's `other_user_id` would otherwise answer 200 as if it had worked.
        if isinstance(data, Mapping):
            writable = {field.field_name for field in self._writable_fields}
            unexpected = sorted(str(name) for name in data if name not in writable)
            if unexpected:
                raise serializers.ValidationError({name: [NOT_WRITABLE] for name in unexpected}, code="not_writable")
        return super().to_internal_value(data)
