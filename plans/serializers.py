from __future__ import annotations

from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from luna.api.fields import StrictUUIDField
from luna.api.serializers import StrictSerializer
from plans.models import Booking, Plan, PlanParticipant
from users.models import User
from users.serializers import ActingUserField, UserIdField
from venues.models import Venue
from venues.serializers import VenueIdField

# The most ids one request may name; how many a plan may invite is LUNA_PLAN_MAX_INVITEES (plans.services).
MAX_INVITEES = 100
INVITEES_HELP = (
    "People to invite: only people who have added the inviter (a social edge to them), unless staff invite; "
    "at most LUNA_PLAN_MAX_INVITEES (20) per plan besides its organizer."
)


class ZonedDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time that must say its time zone (`Z` or `+02:00`)."""

    default_error_messages = {"naive": "Include a time zone, e.g. 2030-05-01T19:30:00+02:00 or 2030-05-01T17:30:00Z."}

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # well-formed but impossible; the parent reports it
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


class PlanPersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "handle", "name"]
        read_only_fields = fields


class PlanVenueSerializer(serializers.ModelSerializer):
    # A plain string in the schema: a slug's pattern would refuse the "" of a venue without one.
    category = serializers.CharField(read_only=True, help_text='The venue\'s category slug; "" when it has none.')

    class Meta:
        model = Venue
        fields = ["id", "name", "category"]
        read_only_fields = fields


class ParticipantSerializer(serializers.ModelSerializer):
    user = PlanPersonSerializer(read_only=True)

    class Meta:
        model = PlanParticipant
        fields = ["user", "status", "updated_at"]
        read_only_fields = fields


class BookingSerializer(serializers.ModelSerializer):
    plan_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "plan_id",
            "status",
            "provider",
            "external_ref",
            "attempts",
            "last_error",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PlanSerializer(serializers.ModelSerializer):
    organizer = PlanPersonSerializer(read_only=True)
    venue = PlanVenueSerializer(read_only=True, allow_null=True, help_text="Null when the venue was removed.")
    participants = ParticipantSerializer(many=True, read_only=True)
    booking = BookingSerializer(read_only=True, allow_null=True, help_text="Null until the plan is confirmed.")

    class Meta:
        model = Plan
        fields = [
            "id",
            "organizer",
            "venue",
            "start_time",
            "status",
            "participants",
            "booking",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PlanCreateSerializer(StrictSerializer):
    venue_id = VenueIdField(source="venue")
    start_time = ZonedDateTimeField(help_text="ISO 8601 with a time zone; must be in the future.")
    invitee_ids = UserIdField(
        many=True,
        source="invitees",
        required=False,
        default=list,
        max_length=MAX_INVITEES,
        help_text=INVITEES_HELP,
    )
    organizer_id = ActingUserField(
        what="plan", source="organizer", help_text="Defaults to the caller; only staff may set another."
    )
    recommendation_id = StrictUUIDField(
        required=False,
        help_text="The recommendation_id of the answer that suggested this venue, when the app knows it "
        "(the plan is attributed to the latest recommendation of the venue to the organizer either way).",
    )


RENAMED_USER_IDS = "Renamed: give invitee_ids, as when making a plan."


class PlanUpdateSerializer(StrictSerializer):
    venue_id = VenueIdField(
        source="venue",
        required=False,
        help_text="Move the pending plan to this venue; everyone but the organizer is asked again (invited).",
    )
    start_time = ZonedDateTimeField(
        required=False,
        help_text="Move the pending plan to this time (ISO 8601 with a time zone; in the future, within the "
        "horizon); everyone but the organizer is asked again (invited).",
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError("Give venue_id, start_time or both.", code="empty")
        return attrs


class PlanInviteSerializer(StrictSerializer):
    """Who to invite: `invitee_ids`, the name making a plan uses."""

    invitee_ids = UserIdField(
        many=True, source="users", allow_empty=False, max_length=MAX_INVITEES, help_text=INVITEES_HELP
    )

    def to_internal_value(self, data):
        if isinstance(data, dict) and "user_ids" in data:
            raise serializers.ValidationError({"user_ids": [RENAMED_USER_IDS]}, code="renamed")
        return super().to_internal_value(data)


class PlanRespondSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=[PlanParticipant.Status.ACCEPTED, PlanParticipant.Status.DECLINED])


class PlanConfirmationSerializer(serializers.Serializer):
    """The answer to a confirmation, built from the plan's booking."""

    plan_id = serializers.UUIDField(read_only=True)
    booking_id = serializers.UUIDField(source="id", read_only=True)
    status = serializers.ChoiceField(choices=Plan.Status.choices, source="plan.status", read_only=True)
    booking = BookingSerializer(source="*", read_only=True)
