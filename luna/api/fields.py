"""Serializer fields that accept only the JSON type the schema documents.

DRF's fields are lenient ("42" for a number, 1 for a string, "yes" for a boolean);
a client sending the wrong type has a bug, so it gets a 400 instead of a guess.
"""

from __future__ import annotations

import uuid

from rest_framework import serializers


class _OnlyJSON:
    """Refuse input whose JSON type is not `json_types` before the field's own parsing sees it."""

    json_types: tuple[type, ...] = ()

    def to_internal_value(self, data):
        # bool is an int to Python, not a number to JSON.
        if not isinstance(data, self.json_types) or (isinstance(data, bool) and bool not in self.json_types):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(_OnlyJSON, serializers.FloatField):
    json_types = (int, float)


class RoundedFloatField(serializers.FloatField):
    """A float answered to `digits` decimals (6 by default): scores read 0.7, not 0.7000000000000001.
    Only the answer is rounded; everything inside keeps full precision."""

    def __init__(self, *, digits: int = 6, **kwargs) -> None:
        self.digits = digits
        super().__init__(**kwargs)

    def to_representation(self, value):
        return round(float(value), self.digits)


class DistanceField(RoundedFloatField):
    """Kilometres, answered to the metre (3 decimals)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(digits=3, **kwargs)


class StrictIntegerField(_OnlyJSON, serializers.IntegerField):
    json_types = (int, float)


class StrictDecimalField(_OnlyJSON, serializers.DecimalField):
    json_types = (int, float)


class StrictCharField(_OnlyJSON, serializers.CharField):
    json_types = (str,)


class StrictSlugField(_OnlyJSON, serializers.SlugField):
    json_types = (str,)


class StrictUUIDField(_OnlyJSON, serializers.UUIDField):
    json_types = (str,)


class StrictBooleanField(_OnlyJSON, serializers.BooleanField):
    json_types = (bool,)


class ObjectIdField(serializers.PrimaryKeyRelatedField):
    """An object named by its UUID in a request body, resolved to the object once.

    Only a JSON string is an id: a UUID sent as a number (`2206…527`) would otherwise be
    turned into the same UUID by the model field while every check written against the
    string missed it. Any spelling Python's `uuid.UUID` reads (upper case, no dashes,
    braces, `urn:uuid:`) names the same object; whoever checks access then compares objects.
    `many=True` reads a list with one query.
    """

    default_error_messages = {
        "incorrect_type": "Give the id as a UUID string, not {data_type}.",
        "invalid": "{value!r} is not a valid UUID.",
        "does_not_exist": "No such {noun}: {pk_value}",
    }
    noun = "object"

    @classmethod
    def many_init(cls, *args, **kwargs):
        list_kwargs = {key: kwargs.pop(key) for key in ("allow_empty", "max_length", "help_text") if key in kwargs}
        for key in ("required", "default", "source"):
            if key in kwargs:
                list_kwargs[key] = kwargs.pop(key)
        return ObjectIdListField(child_relation=cls(*args, **kwargs), **list_kwargs)

    def parse(self, data) -> uuid.UUID:
        if not isinstance(data, str):
            self.fail("incorrect_type", data_type=_json_type(data))
        try:
            return uuid.UUID(data)
        except ValueError:
            self.fail("invalid", value=data[:100])

    def to_internal_value(self, data):
        key = self.parse(data)
        found = self.get_queryset().filter(pk=key).first()
        if found is None:
            self.fail("does_not_exist", noun=self.noun, pk_value=key)
        return found


class ObjectIdListField(serializers.ManyRelatedField):
    """A JSON list of ids (see ObjectIdField): one query for all of them, duplicates dropped, order kept."""

    default_error_messages = {"max_length": "Give at most {max_length} ids."}

    def __init__(self, *args, max_length: int | None = None, **kwargs) -> None:
        self.max_length = max_length
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) or not isinstance(data, list):
            self.fail("not_a_list", input_type=_json_type(data))
        if not self.allow_empty and not data:
            self.fail("empty")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        child = self.child_relation
        errors, keys = [], []
        for item in data:
            try:
                keys.append(child.parse(item))
            except serializers.ValidationError as exc:
                errors.extend(exc.detail)
        if errors:
            raise serializers.ValidationError(errors)
        keys = list(dict.fromkeys(keys))
        found = {obj.pk: obj for obj in child.get_queryset().filter(pk__in=keys)}
        unknown = [key for key in keys if key not in found]
        if unknown:
            raise serializers.ValidationError(
                [child.error_messages["does_not_exist"].format(noun=child.noun, pk_value=key) for key in unknown],
                code="does_not_exist",
            )
        return [found[key] for key in keys]


def _json_type(data) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return "null" if data is None else names.get(type(data), type(data).__name__)
