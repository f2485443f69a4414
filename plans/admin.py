from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from luna.admin import ModelAdmin, add_panels, admin_link, list_text, list_time, related_table
from luna.errors import Conflict
from plans.models import Booking, Plan, PlanParticipant
from plans.services import (
    booking_retry,
    invitees_within_cap,
    plan_cancel,
    plan_confirm,
    plan_create,
    plan_start_time_check,
    plan_update,
)
from users.models import User
from venues.models import Venue


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


# Confirming, from the list's action and from the plan page's button alike.
CONFIRM = {
    "act": lambda plan: plan_confirm(plan=plan),
    "refused": "not confirmed",
    "done": lambda plan: f"{plan}: confirmed; booking",
}


def is_settled(plan: Plan | None) -> bool:
    """Confirmed and cancelled plans are read-only: changes go through cancel and a new plan."""
    return plan is not None and plan.status != Plan.Status.PENDING


class PlanForm(forms.ModelForm):
    """The plan page's form, with the API's rules: a plan has a venue, and a new plan or a new time
    is in the future within the horizon (plan_start_time_check, which plan_create and plan_reschedule
    apply again)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "venue" in self.fields:
            self.fields["venue"].required = True

    def clean(self) -> dict:
        cleaned = super().clean()
        new_time = self.instance._state.adding or "start_time" in self.changed_data
        if new_time and cleaned.get("start_time") is not None:
            try:
                plan_start_time_check(start_time=cleaned["start_time"])
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


def invited_besides_organizer(forms, organizer_id) -> int:
    """How many people the participant forms that stay (not deleted, a user chosen) invite besides the organizer."""
    users = [form.cleaned_data.get("user") for form in forms if not form.cleaned_data.get("DELETE")]
    return sum(1 for user in users if user is not None and user.pk != organizer_id)


# Accepting shares a member's home and likes with the plan's group, so it is theirs to do
# (POST /plans/{id}/respond/): staff invite, and a participant's row is never handed to someone else.
ANSWERED_BY_THE_PARTICIPANT = ("status",)
HANDED_OVER = "A participant's row stays theirs: delete it and add the other person (invited) instead."


class PlanParticipantFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        # Staff may invite anyone, but no more people than a member could (the cap's reason is cost).
        filled = [form for form in self.forms if getattr(form, "cleaned_data", None)]
        invitees_within_cap(count=invited_besides_organizer(filled, self.instance.organizer_id))
        if any(form.instance.pk is not None and "user" in form.changed_data for form in filled):
            raise ValidationError(HANDED_OVER)


class PlanParticipantForm(forms.ModelForm):
    def clean(self) -> dict:
        cleaned = super().clean()
        plan, user = cleaned.get("plan"), cleaned.get("user")
        if plan is not None and user is not None and user.pk != plan.organizer_id:
            others = plan.participants.exclude(user_id=plan.organizer_id)
            if self.instance.pk is not None:
                others = others.exclude(pk=self.instance.pk)
            invitees_within_cap(count=others.count() + 1)
        return cleaned


class PlanParticipantInline(admin.TabularInline):
    model = PlanParticipant
    formset = PlanParticipantFormSet
    verbose_name_plural = "Participants"
    extra = 0
    autocomplete_fields = ("user",)
    readonly_fields = (*ANSWERED_BY_THE_PARTICIPANT, "created_at", "updated_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return not is_settled(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not is_settled(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not is_settled(obj) and super().has_delete_permission(request, obj)


class BookingInline(admin.StackedInline):
    model = Booking
    verbose_name = "Provider reference"  # the header reads "Provider reference: Booking mock-… (booked)"
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
    form = PlanForm
    # Every list fits a 1366-px screen with the sidebar and the filters open (luna/tests/test_browser.py).
    list_display = ("__str__", "status", list_time("start_time", "starts"), "participant_count", "booking_status")
    list_filter = ("status", "venue__category")
    search_fields = ("organizer__handle", "organizer__name", "venue__name")
    autocomplete_fields = ("organizer", "venue")
    list_select_related = ("organizer", "venue", "booking")
    # Status changes go through the services (the actions and the buttons), so the booking agent sees them.
    readonly_fields = ("id", "status", "created_at", "updated_at")
    date_hierarchy = "start_time"
    inlines = (PlanParticipantInline, BookingInline)
    actions = ("confirm_plans", "cancel_plans")
    change_form_template = "admin/plans/plan/change_form_with_buttons.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(participant_count=Count("participants", distinct=True))

    @admin.display(description="people", ordering="participant_count")
    def participant_count(self, plan: Plan) -> int:
        return plan.participant_count

    @admin.display(description="booking", ordering="booking__status")
    def booking_status(self, plan: Plan) -> str:
        booking = getattr(plan, "booking", None)
        return booking.status if booking is not None else "-"

    def get_inlines(self, request, obj=None):
        # No empty Booking panel on a plan that has none (it gets one when it is confirmed).
        if obj is None or not Booking.objects.filter(plan=obj).exists():
            return (PlanParticipantInline,)
        return self.inlines

    def get_urls(self):
        return [
            self.button_url("confirm", self._confirm_view),
            self.button_url("cancel", self._cancel_view),
            self.button_url("retry-booking", self._retry_view),
            *super().get_urls(),
        ]

    def _plan_or_404(self, request, object_id: str) -> Plan:
        plan = self.get_object(request, object_id)
        if plan is None or not self.has_change_permission(request, plan):
            raise Http404("No such plan.")
        return plan

    def _back_to(self, plan: Plan) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:plans_plan_change", args=[plan.pk]))

    def _button(self, request, object_id: str, act, *, refused: str, done) -> HttpResponseRedirect:
        plan = self._plan_or_404(request, object_id)
        run_booking_action(self, request, [plan], act=act, refused=refused, done=done)
        return self._back_to(plan)

    def _confirm_view(self, request, object_id: str):
        return self._button(request, object_id, **CONFIRM)

    def _cancel_view(self, request, object_id: str):
        cancelled = plan_cancel(plan=self._plan_or_404(request, object_id))
        self._say_cancelled(request, cancelled)
        return self._back_to(cancelled)

    def _retry_view(self, request, object_id: str):
        return self._button(
            request,
            object_id,
            lambda plan: booking_retry(booking=Booking.objects.select_related("plan").get(plan=plan)),
            refused="not retried",
            done=lambda plan: f"Booking for {plan}:",
        )

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        booking = Booking.objects.filter(plan=obj).first() if obj is not None else None
        context["plan_buttons"] = obj is not None and self.has_change_permission(request)
        context["can_confirm"] = obj is not None and obj.status == Plan.Status.PENDING
        context["can_cancel"] = obj is not None and obj.status != Plan.Status.CANCELLED
        context["can_retry"] = booking is not None and booking.status == Booking.Status.FAILED
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if is_settled(obj):
            # A booked plan moved to another day or venue would leave the booking behind.
            return ("id", "organizer", "venue", "start_time", "status", "created_at", "updated_at")
        if obj is not None:
            # As in the API, a pending plan moves to another venue or time (plan_update), asking the group
            # again; its organizer is one of its participants and stays.
            return ("id", "organizer", "status", "created_at", "updated_at")
        return self.readonly_fields

    def save_model(self, request, obj: Plan, form, change: bool) -> None:
        # Through the services the API uses, never a bare save.
        if change:
            plan_update(
                plan=obj,
                venue=obj.venue if "venue" in form.changed_data else None,
                start_time=obj.start_time if "start_time" in form.changed_data else None,
            )
            return
        created = plan_create(organizer=obj.organizer, venue=obj.venue, start_time=obj.start_time)
        # The admin goes on with `obj` (the participants' rows, its log, the redirect): make it the stored plan.
        obj.pk, obj._state.adding = created.pk, False
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change: bool) -> None:
        if formset.model is not PlanParticipant or change:
            return super().save_formset(request, form, formset, change)
        # plan_create made the organizer an accepted participant already; a row for them adds nothing.
        for participant in formset.save(commit=False):
            if participant.user_id != form.instance.organizer_id:
                participant.save()

    @admin.action(description="Confirm selected plans and book their venues")
    def confirm_plans(self, request, queryset) -> None:
        run_booking_action(
            self,
            request,
            queryset,
            **CONFIRM,
        )

    @admin.action(description="Cancel selected plans and their bookings")
    def cancel_plans(self, request, queryset) -> None:
        for plan in queryset:
            self._say_cancelled(request, plan_cancel(plan=plan))

    def _say_cancelled(self, request, plan: Plan) -> None:
        booking = getattr(plan, "booking", None)
        outcome = f"; booking {booking.status}" if booking else ""
        self.message_user(request, f"{plan}: cancelled{outcome}.", messages.SUCCESS)


@admin.register(PlanParticipant)
class PlanParticipantAdmin(ModelAdmin):
    form = PlanParticipantForm
    list_display = ("user", "plan", "status", list_time("updated_at"))
    list_filter = ("status",)
    search_fields = ("user__handle", "user__name", "plan__venue__name")
    autocomplete_fields = ("plan", "user")
    list_select_related = ("plan__organizer", "plan__venue", "user")
    readonly_fields = (*ANSWERED_BY_THE_PARTICIPANT, "created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        # An existing row is one person's answer to one plan.
        return (*self.readonly_fields, "plan", "user") if obj is not None else self.readonly_fields

    def has_change_permission(self, request, obj=None) -> bool:
        return not (obj is not None and is_settled(obj.plan)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not (obj is not None and is_settled(obj.plan)) and super().has_delete_permission(request, obj)


@admin.register(Booking)
class BookingAdmin(ModelAdmin):
    list_display = ("plan", "status", "attempts", list_text("last_error", chars=40), list_time("updated_at"))
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


PLANS_SHOWN = 20


def _plans_table(plans, *, order_by: str, empty: str):
    """The first PLANS_SHOWN of `plans` by `order_by`, as the table of a venue's or a user's page."""
    plans = plans.select_related("organizer").order_by(order_by)[:PLANS_SHOWN]
    rows = [
        (admin_link(plan, f"{plan.start_time:%Y-%m-%d %H:%M}"), plan.organizer.handle, plan.status) for plan in plans
    ]
    return related_table(["starts", "organizer", "status"], rows, empty=empty)


class VenuePlansPanel:
    @admin.display(description="Upcoming plans")
    def upcoming_plans(self, venue: Venue):
        if venue.pk is None:
            return "-"
        plans = Plan.objects.filter(venue=venue, start_time__gte=timezone.now()).exclude(status=Plan.Status.CANCELLED)
        return _plans_table(plans, order_by="start_time", empty="No plans ahead here.")


class UserPlansPanel:
    @admin.display(description="Plans")
    def plans_of_user(self, user: User):
        if user.pk is None:
            return "-"
        plans = Plan.objects.filter(Q(organizer=user) | Q(participants__user=user)).distinct()
        return _plans_table(plans, order_by="-start_time", empty="No plans yet.")


add_panels(Venue, VenuePlansPanel, ("upcoming_plans",), title="Plans")
add_panels(User, UserPlansPanel, ("plans_of_user",), title="Plans")
