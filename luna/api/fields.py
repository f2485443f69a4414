"""Serializer fields that accept only the JSON type the schema documents.

DRF's fields are lenient ("42" for a number, 1 for a string, "yes" for a boolean);
a client sending the wrong type has a bug, so it gets a 400 instead of a guess.
"""

from __future__ import annotations

from rest_framework import serializers


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class StrictFloatField(serializers.FloatField):
    def to_internal_value(self, data):
        if not _is_number(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if not _is_number(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDecimalField(serializers.DecimalField):
    def to_internal_value(self, data):
        if not _is_number(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictSlugField(serializers.SlugField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
