from __future__ import annotations

from django.contrib import admin, messages

from luna.admin import ModelAdmin
from luna.errors import Conflict
from plans.models import Booking, Plan, PlanParticipant
from plans.services import booking_retry, plan_cancel, plan_confirm


def booking_outcome(booking: Booking, prefix: str) -> tuple[str, int]:
    """The admin message after the booking agent ran, and its level (success only when booked)."""
    level = messages.SUCCESS if booking.status == Booking.Status.BOOKED else messages.WARNING
    detail = booking.external_ref or booking.last_error or "waiting for the booking agent"
    return f"{prefix} {booking.status} ({detail}).", level


def run_booking_action(model_admin, request, objects, *, act, refused: str, done) -> None:
    """Run `act` on each object (a service returning a Booking) and say how each went.

    A Conflict is that object's warning ("<object>: <refused>. <why>"); otherwise the booking's
    outcome follows `done(object)`.
    """
    for obj in objects:
        try:
            booking = act(obj)
        except Conflict as exc:
            model_admin.message_user(request, f"{obj}: {refused}. {exc.message}", messages.WARNING)
            continue
        model_admin.message_user(request, *booking_outcome(booking, done(obj)))


def is_settled(plan: Plan | None) -> bool:
    """Confirmed and cancelled plans are read-only: changes go through cancel and a new plan."""
    return plan is not None and plan.status != Plan.Status.PENDING


class PlanParticipantInline(admin.TabularInline):
    model = PlanParticipant
    verbose_name_plural = "Participants"
    extra = 0
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return not is_settled(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not is_settled(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not is_settled(obj) and super().has_delete_permission(request, obj)


class BookingInline(admin.StackedInline):
    model = Booking
    verbose_name_plural = "Booking"
    extra = 0
    can_delete = False
    readonly_fields = (
        "provider",
        "external_ref",
        "status",
        "attempts",
        "last_error",
        "claimed_at",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        # A plan gets its booking when it is confirmed (plans.services.booking_open); never by hand.
        return False


@admin.register(Plan)
class PlanAdmin(ModelAdmin):
    list_display = ("id", "organizer", "venue", "start_time", "status", "created_at")
    list_filter = ("status", "venue__category")
    search_fields = ("organizer__handle", "organizer__name", "venue__name")
    autocomplete_fields = ("organizer", "venue")
    list_select_related = ("organizer", "venue")
    # Status changes go through the services (the actions below), so the booking agent sees them.
    readonly_fields = ("id", "status", "created_at", "updated_at")
    date_hierarchy = "start_time"
    inlines = (PlanParticipantInline, BookingInline)
    actions = ("confirm_plans", "cancel_plans")

    def get_readonly_fields(self, request, obj=None):
        if is_settled(obj):
            # A booked plan moved to another day or venue would leave the booking behind.
            return ("id", "organizer", "venue", "start_time", "status", "created_at", "updated_at")
        return self.readonly_fields

    @admin.action(description="Confirm selected plans and book their venues")
    def confirm_plans(self, request, queryset) -> None:
        run_booking_action(
            self,
            request,
            queryset,
            act=lambda plan: plan_confirm(plan=plan),
            refused="not confirmed",
            done=lambda plan: f"{plan}: confirmed; booking",
        )

    @admin.action(description="Cancel selected plans and their bookings")
    def cancel_plans(self, request, queryset) -> None:
        for plan in queryset:
            plan = plan_cancel(plan=plan)
            booking = getattr(plan, "booking", None)
            outcome = f"; booking {booking.status}" if booking else ""
            self.message_user(request, f"{plan}: cancelled{outcome}.", messages.SUCCESS)


@admin.register(PlanParticipant)
class PlanParticipantAdmin(ModelAdmin):
    list_display = ("id", "plan", "user", "status", "updated_at")
    list_filter = ("status",)
    search_fields = ("user__handle", "user__name", "plan__venue__name")
    autocomplete_fields = ("plan", "user")
    list_select_related = ("plan__organizer", "plan__venue", "user")
    readonly_fields = ("created_at", "updated_at")

    def has_change_permission(self, request, obj=None) -> bool:
        return not (obj is not None and is_settled(obj.plan)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not (obj is not None and is_settled(obj.plan)) and super().has_delete_permission(request, obj)


@admin.register(Booking)
class BookingAdmin(ModelAdmin):
    list_display = ("id", "plan", "status", "provider", "external_ref", "attempts", "updated_at")
    list_filter = ("status", "provider")
    search_fields = ("external_ref", "plan__venue__name", "plan__organizer__handle")
    list_select_related = ("plan__organizer", "plan__venue")
    # Only the booking agent changes bookings (a hand-set status would never reach the provider);
    # staff retry them with the action below, or cancel the plan.
    readonly_fields = (
        "id",
        "plan",
        "status",
        "provider",
        "external_ref",
        "attempts",
        "last_error",
        "claimed_at",
        "created_at",
        "updated_at",
    )
    actions = ("retry_bookings",)

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Retry selected failed bookings")
    def retry_bookings(self, request, queryset) -> None:
        run_booking_action(
            self,
            request,
            queryset.select_related("plan"),
            act=lambda booking: booking_retry(booking=booking),
            refused="not retried",
            done=lambda booking: f"Booking for {booking.plan}:",
        )
