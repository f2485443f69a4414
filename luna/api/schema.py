"""Shapes of the error bodies, for the OpenAPI schema of every endpoint.

Use `operation(...)` to declare one operation, e.g.
`operation("One plan", PlanSerializer, errors=(401, 403, 404))`, or `error_responses(...)`
inside `extend_schema(responses=...)`.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer("Error", {"detail": serializers.CharField()})

# 400 bodies carry one list of messages per field, plus `detail` / `non_field_errors` when not about one field.
ValidationErrorSerializer = inline_serializer(
    "ValidationError",
    {
        "detail": serializers.CharField(required=False),
        "non_field_errors": serializers.ListField(child=serializers.CharField(), required=False),
    },
)

_DESCRIPTIONS = {
    400: "Invalid input: one list of messages per field.",
    401: "Not signed in: send `Authorization: Token <key>`.",
    403: "Signed in, but not allowed to do this.",
    404: "No such object (or not visible to the caller).",
    409: "The object's current state does not allow this.",
    413: "The request body is too large.",
    415: "The request body is not JSON: send `Content-Type: application/json`.",
    429: "Too many requests; retry later.",
    503: "The database is unavailable; retry later.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {
        code: OpenApiResponse(
            response=ValidationErrorSerializer if code == 400 else ErrorSerializer, description=_DESCRIPTIONS[code]
        )
        for code in codes
    }


_UNSET = object()


def operation(
    summary: str,
    ok,
    *,
    errors: tuple[int, ...],
    status: int = 200,
    request=_UNSET,
    example=None,
    request_example=None,
    **extra,
):
    """`extend_schema` for one operation: its answer on success (`ok`, under `status`) and its error codes.

    `operation("One plan", PlanSerializer, errors=(401, 403, 404))`; anything else extend_schema
    takes (description, parameters, auth, operation_id) passes through. `example` is a realistic
    answer on success (one item for a list: the schema wraps it in a page), `request_example` a
    realistic body; Swagger UI shows and pre-fills them (luna/tests/test_schema.py checks they
    match the schema).
    """
    if request is not _UNSET:
        extra["request"] = request
    examples = []
    if request_example is not None:
        examples.append(OpenApiExample("Request", value=request_example, request_only=True))
    if example is not None:
        examples.append(OpenApiExample("Answer", value=example, response_only=True, status_codes=[str(status)]))
    if examples:
        extra["examples"] = examples
    return extend_schema(summary=summary, responses={status: ok, **error_responses(*errors)}, **extra)


# Response fields some callers do not get (left out, not null): by component name. Apps declare
# theirs with `answer_may_omit`; the schema then does not list them as required.
_OMITTABLE: dict[str, set[str]] = {}


def answer_may_omit(component: str, fields) -> None:
    """Say that answers of the schema component `component` leave `fields` out for some callers."""
    _OMITTABLE.setdefault(component, set()).update(fields)


def omittable_fields_are_not_required(result, generator, request, public):
    """A drf-spectacular postprocessing hook: see `answer_may_omit`."""
    schemas = result.get("components", {}).get("schemas", {})
    for component, fields in _OMITTABLE.items():
        schema = schemas.get(component)
        if schema and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in fields]
            if not schema["required"]:
                del schema["required"]
    return result


_NO_BODY = {
    "400": ("ValidationError", "A body was sent: this request takes none (`{}` counts as none)."),
    "415": ("Error", _DESCRIPTIONS[415]),
}


def bodyless_writes_refuse_a_body(result, generator, request, public):
    """A drf-spectacular postprocessing hook: a write without a request body answers 400 (or 415) to
    one (luna.api.viewsets.takes_no_body, and every DELETE), so its operation says so."""
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method in {"post", "patch", "delete"} and "requestBody" not in operation:
                for code, (component, description) in _NO_BODY.items():
                    operation["responses"].setdefault(
                        code,
                        {
                            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
                            "description": description,
                        },
                    )
                operation["responses"] = dict(sorted(operation["responses"].items()))
    return result
