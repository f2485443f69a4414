from __future__ import annotations

from django.contrib import admin

from plans.models import Booking, Plan, PlanParticipant


class PlanParticipantInline(admin.TabularInline):
    model = PlanParticipant
    extra = 0
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")


class BookingInline(admin.StackedInline):
    model = Booking
    extra = 0
    can_delete = False
    readonly_fields = ("provider", "external_ref", "status", "attempts", "last_error", "created_at", "updated_at")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        # Bookings are created by the booking agent when a plan is confirmed.
        return False


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("id", "organizer", "venue", "start_time", "status", "created_at")
    list_filter = ("status", "venue__category")
    search_fields = ("organizer__handle", "organizer__name", "venue__name")
    autocomplete_fields = ("organizer", "venue")
    list_select_related = ("organizer", "venue")
    readonly_fields = ("id", "created_at", "updated_at")
    date_hierarchy = "start_time"
    inlines = (PlanParticipantInline, BookingInline)


@admin.register(PlanParticipant)
class PlanParticipantAdmin(admin.ModelAdmin):
    list_display = ("id", "plan", "user", "status", "updated_at")
    list_filter = ("status",)
    search_fields = ("user__handle", "user__name", "plan__venue__name")
    autocomplete_fields = ("plan", "user")
    list_select_related = ("plan__organizer", "plan__venue", "user")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ("id", "plan", "status", "provider", "external_ref", "attempts", "updated_at")
    list_filter = ("status", "provider")
    search_fields = ("external_ref", "plan__venue__name", "plan__organizer__handle")
    autocomplete_fields = ("plan",)
    list_select_related = ("plan__organizer", "plan__venue")
    readonly_fields = ("id", "claimed_at", "created_at", "updated_at")
