"""The base of every Luna viewset, so that each one is wired the same way.

- Lookups: a malformed id and an unknown one are the same 404, "No <kind> with this id.".
- Methods: GET, POST, PATCH, DELETE (no PUT: a partial update is the only update).
- Permissions: `permissions` maps an action to the permission instances it needs,
  `"*"` to those of every other action (default: signed in). A method no action
  answers (PUT, TRACE) checks none, so the client gets the 405 it deserves.
- Bodies: `validated(SerializerClass)` checks one (or the query string, passed as `data`) against a
  serializer. A write that takes none (every DELETE, and a handler marked `@takes_no_body`)
  refuses a non-empty one with a 400 naming what was sent, as other writes refuse a
  field they do not know; `{}` and no body at all are no body.
- Updates (PartialUpdateMixin, for the viewsets that have PATCH): `update_serializer_class`
  validates the body against the object, `perform_partial_update(instance, data)`
  calls the service, and the answer is `serializer_class`'s view of what it returned.
"""

from __future__ import annotations

import functools

from django.http import Http404
from rest_framework import generics, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from luna.api.serializers import refuse_a_body


def takes_no_body(handler):
    """Mark a handler (an action, or an APIView method) that takes no body: one sent is a 400, not ignored."""

    @functools.wraps(handler)
    def checked(view, request, *args, **kwargs):
        refuse_a_body(request.data)
        return handler(view, request, *args, **kwargs)

    return checked


def not_found(model) -> str:
    """What a 404 for an id says, whether the id is malformed, unknown or not the caller's to see."""
    return f"No {model._meta.verbose_name} with this id."


def get_object_or_404(queryset, **lookup):
    """DRF's get_object_or_404, with the one message of every lookup (`not_found`)."""
    try:
        return generics.get_object_or_404(queryset, **lookup)
    except Http404:
        raise NotFound(not_found(queryset.model)) from None


class ViewSet(viewsets.GenericViewSet):
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    permissions: dict[str, list[BasePermission]] = {"*": [IsAuthenticated()]}

    def get_permissions(self) -> list[BasePermission]:
        if self.action is None:
            return []
        return list(self.permissions.get(self.action, self.permissions.get("*", [IsAuthenticated()])))

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            raise NotFound(not_found(self.get_queryset().model)) from None

    def validated(self, serializer_class, data=None) -> dict:
        """`data` (by default the request's body) as `serializer_class` validates it, with the request in
        its context: a 400 naming the fields when it is invalid."""
        serializer = serializer_class(
            data=self.request.data if data is None else data, context={"request": self.request}
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        if request.method == "DELETE" and self.action is not None:  # a DELETE nothing answers stays a 405
            refuse_a_body(request.data)


class PartialUpdateMixin:
    update_serializer_class = None

    def validated_update(self, instance) -> dict:
        serializer = self.update_serializer_class(
            instance, data=self.request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def perform_partial_update(self, instance, data: dict):
        raise NotImplementedError

    def partial_update(self, request, *args, **kwargs) -> Response:
        instance = self.get_object()
        updated = self.perform_partial_update(instance, self.validated_update(instance))
        return Response(self.get_serializer(updated).data)
