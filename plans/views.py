from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from luna.api.permissions import IsAuthenticated, IsSelfOrStaff, IsStaff
from luna.api.schema import operation
from luna.api.throttles import ScopedRateThrottle
from luna.api.viewsets import ViewSet, takes_no_body
from plans import examples, services
from plans.filters import BookingFilter, PlanFilter
from plans.models import Booking, Plan
from plans.permissions import CanViewBooking, CanViewPlan, IsPlanInvitee
from plans.selectors import booking_list_visible, plan_booking, plan_list_visible, plan_queryset
from plans.serializers import (
    BookingSerializer,
    PlanConfirmationSerializer,
    PlanCreateSerializer,
    PlanInviteSerializer,
    PlanRespondSerializer,
    PlanSerializer,
    PlanUpdateSerializer,
)

INVITATION_RULE = (
    "A member invites only people who have added them (a social edge from the invitee to the organizer): "
    "403 naming those who have not. Staff may invite anyone. A plan invites at most LUNA_PLAN_MAX_INVITEES "
    "people (20 by default) besides its organizer, staff's plans too: 400 beyond. Nothing is stored when refused."
)

ORGANIZER_OR_STAFF = IsSelfOrStaff(
    owner_field="organizer_id", message="Only the plan's organizer or staff can do this."
)


@extend_schema_view(
    list=operation(
        "Plans the caller organizes or is invited to (staff: all plans)",
        PlanSerializer(many=True),
        errors=(400, 401),
        example=examples.PLAN,
    ),
    retrieve=operation("One plan", PlanSerializer, errors=(401, 403, 404), example=examples.PLAN),
)
class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ViewSet):
    serializer_class = PlanSerializer
    filterset_class = PlanFilter
    permissions = {
        "retrieve": [IsAuthenticated(), CanViewPlan()],
        "booking": [IsAuthenticated(), CanViewPlan()],
        "participants": [ORGANIZER_OR_STAFF],
        "partial_update": [ORGANIZER_OR_STAFF],
        "confirm": [ORGANIZER_OR_STAFF],
        "cancel": [ORGANIZER_OR_STAFF],
        "respond": [IsAuthenticated(), IsPlanInvitee()],
        "*": [IsAuthenticated()],
    }

    def get_throttles(self):
        # Plans invite people, so one account may only make so many (as with interactions).
        return [ScopedRateThrottle()] if self.action == "create" else []

    @property
    def throttle_scope(self) -> str | None:
        return "plans" if self.action == "create" else None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Plan.objects.none()
        if self.action == "list":
            return plan_list_visible(user=self.request.user)
        # Every plan, so that somebody else's plan answers 403 rather than 404. Actions that
        # change the plan read it again under its lock, so they only need it for the permission.
        return plan_queryset() if self.action in {"retrieve", "booking"} else Plan.objects.all()

    @operation(
        "Make a plan and invite people",
        PlanSerializer,
        errors=(400, 401, 403, 429),
        status=201,
        request=PlanCreateSerializer,
        request_example=examples.NEW_PLAN,
        example=examples.PLAN,
        description=INVITATION_RULE + " Each user may make only so many plans an hour (429 beyond).",
    )
    def create(self, request):
        plan = services.plan_create(**self.validated(PlanCreateSerializer), invited_by=request.user)
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    @operation(
        "Move a pending plan to another venue or time (organizer or staff)",
        PlanSerializer,
        errors=(400, 401, 403, 404, 409),
        request=PlanUpdateSerializer,
        request_example=examples.PLAN_CHANGE,
        example=examples.PLAN_MOVED,
        description="`venue_id`, `start_time` or both (all or nothing). A new time follows the rules of a new "
        "plan's (in the future, within LUNA_PLAN_HORIZON_DAYS). Everyone but the organizer is asked again: "
        "their answers go back to `invited`, since they agreed to another place or time. The same venue or time "
        "again changes nothing. 409 once the plan is confirmed or cancelled. `GET /plans/{id}/venue-suggestions/` "
        "suggests venues for the group.",
    )
    def partial_update(self, request, pk=None):
        plan = self.get_object()
        plan = services.plan_update(plan=plan, **self.validated(PlanUpdateSerializer))
        return Response(PlanSerializer(plan).data)

    @operation(
        "Invite more people (organizer or staff; pending plans only)",
        PlanSerializer,
        errors=(400, 401, 403, 404, 409),
        request=PlanInviteSerializer,
        request_example=examples.INVITE,
        example=examples.PLAN_WITH_DANA,
        description=INVITATION_RULE,
    )
    @action(detail=True, methods=["post"])
    def participants(self, request, pk=None):
        plan = self.get_object()
        users = self.validated(PlanInviteSerializer)["users"]
        plan = services.plan_invite(plan=plan, users=users, invited_by=request.user)
        return Response(PlanSerializer(plan).data)

    @operation(
        "Accept or decline an invitation (the invited person, for themselves)",
        PlanSerializer,
        errors=(400, 401, 403, 404, 409),
        request=PlanRespondSerializer,
        request_example=examples.ACCEPT,
        example=examples.PLAN_ACCEPTED,
    )
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        plan = self.get_object()
        answer = self.validated(PlanRespondSerializer)["status"]
        plan = services.plan_respond(plan=plan, user=request.user, status=answer)
        return Response(PlanSerializer(plan).data)

    @operation(
        "Confirm the plan and book the venue (organizer or staff; idempotent)",
        PlanConfirmationSerializer,
        errors=(401, 403, 404, 409),
        description="Locks the plan, checks it can be confirmed and confirms it; the booking agent then books "
        "the venue. A provider failure or timeout leaves the plan confirmed and the booking `failed`. "
        "Confirming a confirmed plan returns the same booking. 409 when the plan is cancelled, its start "
        "time has passed, its venue is gone, or nobody besides the organizer has accepted.",
        request=None,
        example=examples.CONFIRMATION,
    )
    @action(detail=True, methods=["post"])
    @takes_no_body
    def confirm(self, request, pk=None):
        booking = services.plan_confirm(plan=self.get_object())
        return Response(PlanConfirmationSerializer(booking).data)

    @operation(
        "Cancel the plan and its booking (organizer or staff; idempotent)",
        PlanSerializer,
        errors=(401, 403, 404),
        request=None,
        example=examples.PLAN_CANCELLED,
    )
    @action(detail=True, methods=["post"])
    @takes_no_body
    def cancel(self, request, pk=None):
        plan = services.plan_cancel(plan=self.get_object())
        return Response(PlanSerializer(plan).data)

    @operation(
        "The plan's booking",
        BookingSerializer,
        errors=(401, 403, 404),
        description="404 until the plan has been confirmed.",
        example=examples.BOOKING,
    )
    @action(detail=True, methods=["get"])
    def booking(self, request, pk=None):
        booking = plan_booking(plan=self.get_object())
        if booking is None:
            raise Http404("This plan has no booking yet.")
        return Response(BookingSerializer(booking).data)


@extend_schema_view(
    list=operation(
        "Bookings of the plans the caller can see (staff: all)",
        BookingSerializer(many=True),
        errors=(400, 401),
        example=examples.BOOKING,
    ),
    retrieve=operation("One booking", BookingSerializer, errors=(401, 403, 404), example=examples.BOOKING),
)
class BookingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ViewSet):
    serializer_class = BookingSerializer
    filterset_class = BookingFilter
    permissions = {"retry": [IsStaff()], "*": [IsAuthenticated(), CanViewBooking()]}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Booking.objects.none()
        if self.action == "list":
            return booking_list_visible(user=self.request.user)
        return Booking.objects.select_related("plan")

    @operation("Retry a failed booking (staff)", BookingSerializer, errors=(401, 403, 404, 409), request=None)
    @action(detail=True, methods=["post"])
    @takes_no_body
    def retry(self, request, pk=None):
        booking = services.booking_retry(booking=self.get_object())
        return Response(BookingSerializer(booking).data)
