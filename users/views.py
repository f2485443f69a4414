from __future__ import annotations

from django.contrib.auth import update_session_auth_hash
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_view
from rest_framework import mixins, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from luna.api.filters import MAX_SEARCH_WORDS, SearchFilter
from luna.api.schema import operation
from luna.api.throttles import ScopedRateThrottle
from luna.api.viewsets import PartialUpdateMixin, ViewSet, takes_no_body
from users import examples, services
from users.permissions import MayChangeAccount
from users.selectors import user_list
from users.serializers import (
    TokenRequestSerializer,
    TokenSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdatedSerializer,
    UserUpdateSerializer,
)

USER_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The user's id.")


DEACTIVATION = (
    "Closes the account: it is deactivated, not deleted, so plans, bookings and interactions that name the "
    "user keep their history. A deactivated user cannot sign in (the token is revoked and every session "
    "ends, so reopening the account later revives neither), is hidden from "
    "non-staff listings and lookups, and is never recommended. Staff can reactivate with "
    '`PATCH {"is_active": true}`.'
)


@extend_schema_view(
    create=operation(
        "Sign up",
        UserSerializer,
        errors=(400, 401, 415, 429),
        status=201,
        description="Open signup. A password is required (400 without one); staff creating an account for "
        'someone else may send `"password": null`, and that account cannot sign in until a password is set. '
        'A taken handle (in any spelling) is a 400 with `handle: ["Handle already taken."]`.',
        request=UserCreateSerializer,
        auth=[],
        request_example=examples.SIGNUP,
        example=examples.ALICE,
    ),
    list=operation(
        "List users",
        UserSerializer(many=True),
        errors=(400, 401),
        parameters=[
            OpenApiParameter(
                "search",
                OpenApiTypes.STR,
                description=f"Words matched in handle and name (at most {MAX_SEARCH_WORDS}).",
            )
        ],
        example=examples.BOB_SEEN_BY_ALICE,
    ),
    retrieve=operation(
        "One user", UserSerializer, errors=(401, 404), parameters=[USER_ID], example=examples.BOB_SEEN_BY_ALICE
    ),
    partial_update=operation(
        "Change a profile (that user or staff)",
        UserUpdatedSerializer,
        errors=(400, 401, 403, 404, 415),
        description="Changing your own password needs `current_password`; it ends every other sign-in "
        "(tokens and sessions made before it) and the answer carries your new `token`. A password changed "
        "by staff ends all of that user's sign-ins. Only staff may open or close an account (`is_active`); "
        "only a superuser may grant or remove staff rights (`is_staff`), change a staff account's password "
        "or status, or change a superuser's account at all (403 otherwise).",
        parameters=[USER_ID],
        request=UserUpdateSerializer,
        request_example=examples.PROFILE_CHANGE,
        example={**examples.ALICE, **examples.PROFILE_CHANGE, "name": "Alice C."},
    ),
    destroy=operation(
        "Close an account (that user or staff)",
        OpenApiResponse(description="Deactivated."),
        errors=(401, 403, 404),
        status=204,
        description=DEACTIVATION,
        parameters=[USER_ID],
    ),
)
class UserViewSet(
    PartialUpdateMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    ViewSet,
):
    """Accounts. Signup is open; anyone signed in reads a profile; changing or closing one is for
    that user or staff (users.permissions.may_change_account)."""

    serializer_class = UserSerializer
    update_serializer_class = UserUpdateSerializer
    permissions = {
        "create": [AllowAny()],
        "partial_update": [IsAuthenticated(), MayChangeAccount()],
        "destroy": [IsAuthenticated(), MayChangeAccount()],
        "*": [IsAuthenticated()],
    }
    filter_backends = [SearchFilter]
    search_fields = ["handle", "name"]
    throttle_scope = "signup"
    throttle_fails_closed = True  # unlimited signups while the cache is down would be worse than none

    def get_queryset(self):
        return user_list(viewer=self.request.user)

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.action == "create" else []

    def create(self, request, *args, **kwargs) -> Response:
        user = services.user_create(**self.validated(UserCreateSerializer))
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "viewer": self.request.user}

    def partial_update(self, request, *args, **kwargs) -> Response:
        user = self.get_object()
        user, key = services.user_update(actor=request.user, user=user, **self.validated_update(user))
        body = self.get_serializer(user).data
        if key is not None:
            body["token"] = key
            if isinstance(request.successful_authenticator, SessionAuthentication):
                update_session_auth_hash(request, user)  # this session stays signed in; the others end
        return Response(body)

    def perform_destroy(self, instance) -> None:
        services.user_deactivate(user=instance)

    @operation("The signed-in user", UserSerializer, errors=(401,), example=examples.ALICE)
    @action(detail=False, methods=["get"], url_path="me", filter_backends=[])
    def me(self, request) -> Response:
        return Response(self.get_serializer(request.user).data)


class AuthTokenView(APIView):
    """Exchange handle + password for an API token, or revoke the caller's token."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    throttle_fails_closed = True  # uncounted password guesses while the cache is down: refuse instead

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_throttles(self):
        # Signing out checks no password, and revoking a stolen key must work however often and in an outage.
        return super().get_throttles() if self.request.method == "POST" else []

    @operation(
        "Get an API token",
        TokenSerializer,
        errors=(400, 401, 415, 429),
        description="Send the token back as `Authorization: Token <key>`. Every sign-in issues a new key, shown "
        "only in this answer (Luna keeps only its SHA-256); a user's newest 10 keys work. Wrong credentials are a "
        "400 that does not say whether the handle or the password was wrong. Ten failed sign-ins for one handle "
        "lock it for the rest of a 15-minute window (429 with `Retry-After`); while the limits cannot be counted "
        "(the shared cache is down) the answer is 503 with `Retry-After`.",
        request=TokenRequestSerializer,
        auth=[],
        request_example=examples.SIGN_IN,
        example=examples.TOKEN,
    )
    def post(self, request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, key = services.auth_token_issue(request=request, **serializer.validated_data)
        return Response(TokenSerializer({"key": key, "user": user}).data)

    @operation(
        "Revoke the caller's tokens (every key of theirs)",
        OpenApiResponse(description="Revoked."),
        errors=(401,),
        status=204,
        request=None,
    )
    @takes_no_body
    def delete(self, request) -> Response:
        services.auth_token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
