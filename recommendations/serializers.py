"""Query parameters and response bodies of the recommendation endpoints."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from luna.api.fields import DistanceField, RoundedFloatField
from luna.api.serializers import QueryParamsSerializer
from ranking.groups import DEFAULT_STRATEGY, FAIRNESS_PENALTY, STRATEGIES
from ranking.signals import groups_help
from recommendations.services import MAX_LIMIT, SERVED_RANKERS
from social.models import SocialEdge

DEFAULT_LIMIT = 10


class CategorySlugField(serializers.SlugField):
    """A category slug in any case: venues store theirs in lower case, as `/venues/?category=` matches them."""

    def to_internal_value(self, data) -> str:
        return super().to_internal_value(data).lower()


def limit_field() -> serializers.IntegerField:
    """How many recommendations: the one place the bounds are checked (the API and `recommend` alike)."""
    return serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)


class VenueRecommendationQuerySerializer(QueryParamsSerializer):
    limit = limit_field()
    category = serializers.ListField(
        child=CategorySlugField(max_length=50),
        source="categories",
        required=False,
        max_length=50,
        help_text="Only venues of these categories; repeat the parameter for several.",
    )
    max_distance_km = serializers.FloatField(
        min_value=0,
        required=False,
        help_text="Only venues at most this far from the user's home (400 when the user has no home location).",
    )
    max_price_level = serializers.IntegerField(
        min_value=1, max_value=4, required=False, help_text="Only venues with a known price level up to this one."
    )
    exclude_interacted = serializers.BooleanField(
        default=False, help_text="Leave out venues the user has already viewed, liked or shown interest in."
    )
    ranker = serializers.ChoiceField(
        choices=SERVED_RANKERS,
        required=False,
        help_text="Which ranker answers. Default: the running experiment's arm for the user, else the active "
        "trained model (`learned`), or `formula` when none is; `formula` is always the seed formula exactly; "
        "`learned` without a model is a 409. Any `ranker` answers outside the experiment.",
    )
    model_version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Staff only, with `ranker=learned`: serve this stored model version instead of the active one "
        "(to preview an experiment's pinned arm). 404 when there is no such version.",
    )

    def validate(self, data: dict) -> dict:
        if "model_version" in data and data.get("ranker") != "learned":
            raise serializers.ValidationError({"model_version": "Give it with ranker=learned."})
        return data


class PeopleRecommendationQuerySerializer(QueryParamsSerializer):
    venue_id = serializers.UUIDField(
        required=False, help_text="Rank friends for this venue (404 when no such venue); omit to rank by tie strength."
    )
    limit = limit_field()


SCORE_HELP = (
    "0-1, higher is better, on one scale for every user of a ranker (a version of the learned ranker). formula: "
    "the seed formula's score itself. learned: 0 is the farthest place on Earth with no signal for it, 1 a venue "
    "next door at the user's best on every signal, affine in the model's score in between (so the order and the "
    "sum below are kept); a venue outside the user's candidates (one they have been to, or one no signal puts "
    "among them) is 0 and comes after every candidate."
)
CONTRIBUTIONS_HELP = (
    "Why this venue is here: how much each input moved the score from `baseline` (score = baseline + their sum), "
    "on the score's scale. An input contributes 0 where its signal is absent (no friend went, nobody like you, "
    "not popular) and more where there is more of it; the distance (formula: spatial; learned: near_home) is "
    "measured from the user's median distance to every venue: above 0 nearer, below 0 farther, 0 without a "
    "home. learned also has not_a_candidate: 0 for a candidate, else what takes its score to 0."
)
BASELINE_HELP = (
    "The score of a venue with every signal absent at the user's median distance from home: the same on every "
    "row of one answer (score = baseline + the sum of contributions)."
)


class VenueRecommendationSerializer(serializers.Serializer):
    recommendation_id = serializers.SerializerMethodField(
        help_text="The id of this answer (the same on every row): what was shown is recorded under it."
    )
    venue_id = serializers.UUIDField()
    venue_name = serializers.CharField()
    category = serializers.CharField(help_text='The venue\'s category slug; "" when it has none.')
    score = RoundedFloatField(help_text=SCORE_HELP)
    distance_km = DistanceField(allow_null=True, help_text="null when the user has no home location (km, 3 decimals).")
    features = serializers.DictField(
        child=RoundedFloatField(),
        help_text="The ranker's inputs for this venue. formula: spatial, preference, popularity. learned, one per "
        f"group of signals (each 0-1, relative to the user's best venue; near_home in km): {groups_help()}.",
    )
    contributions = serializers.DictField(child=RoundedFloatField(), help_text=CONTRIBUTIONS_HELP)
    baseline = RoundedFloatField(help_text=BASELINE_HELP)
    ranker = serializers.ChoiceField(choices=SERVED_RANKERS, help_text="The ranker that answered.")
    model_version = serializers.IntegerField(
        allow_null=True, help_text="The trained model's version when `learned` answered; null otherwise."
    )
    experiment = serializers.CharField(
        source="experiment.name",
        allow_null=True,
        default=None,
        help_text="The running experiment whose arm chose the ranker; null outside one (or with ?ranker=).",
    )
    arm = serializers.CharField(allow_null=True, help_text="The user's arm in that experiment; null outside one.")

    @extend_schema_field(OpenApiTypes.UUID)
    def get_recommendation_id(self, row) -> str | None:
        recommendation_id = self.context.get("recommendation_id")
        return None if recommendation_id is None else str(recommendation_id)


class PersonFeaturesSerializer(serializers.Serializer):
    strength = RoundedFloatField()
    direct = RoundedFloatField()
    category = RoundedFloatField()


class PersonSerializer(serializers.Serializer):
    """Who a ranked friend is (services.person): what a recommendation and a plan's suggestion both show."""

    user_id = serializers.UUIDField()
    handle = serializers.CharField()
    name = serializers.CharField()
    relationship_type = serializers.ChoiceField(choices=SocialEdge.RelationshipType.choices)
    score = RoundedFloatField()


class PersonRecommendationSerializer(PersonSerializer):
    features = PersonFeaturesSerializer()


# --- A plan's group ----------------------------------------------------------


class PlanVenueSuggestionQuerySerializer(VenueRecommendationQuerySerializer):
    strategy = serializers.ChoiceField(
        choices=STRATEGIES,
        default=DEFAULT_STRATEGY,
        help_text="How the members' scores make the group's: `average` (their mean), `least_misery` (the lowest), "
        f"`fair` (the mean minus {FAIRNESS_PENALTY} x their standard deviation).",
    )
    max_distance_km = serializers.FloatField(
        min_value=0,
        required=False,
        help_text="Only venues at most this far from your home (staff: from the home of every member who has "
        "one); members without a home are not held to it, and `distance_filter_ignores` says whether you are one.",
    )
    exclude_interacted = serializers.BooleanField(
        default=False,
        help_text="Leave out venues you have viewed, liked or shown interest in (staff: anyone in the group).",
    )


class PlanMemberSerializer(serializers.Serializer):
    user_id = serializers.UUIDField(source="id")
    handle = serializers.CharField()
    name = serializers.CharField()
    has_home = serializers.BooleanField(
        allow_null=True, help_text="Whether you have a home location; null for the other members (staff: everyone's)."
    )


class MemberScoreSerializer(serializers.Serializer):
    user_id = serializers.UUIDField()
    score = RoundedFloatField(help_text="Your own score of the venue (as in your own list; 0-1).")
    distance_km = DistanceField(allow_null=True, help_text="From their home (km, 3 decimals); null without one.")

    def to_representation(self, member) -> dict:
        # One per member and venue (100 in a group of 10's answer): the fields' own answers, without
        # the per-field attribute lookups of Serializer.to_representation (a third of the answer's cost).
        # A MemberScore always has its user and score; only the distance may be None.
        fields, distance = self.fields, member.distance_km
        return {
            "user_id": fields["user_id"].to_representation(member.user_id),
            "score": fields["score"].to_representation(member.score),
            "distance_km": None if distance is None else fields["distance_km"].to_representation(distance),
        }


class GroupVenueSuggestionSerializer(serializers.Serializer):
    venue_id = serializers.UUIDField()
    venue_name = serializers.CharField()
    category = serializers.CharField(help_text='The venue\'s category slug; "" when it has none.')
    score = RoundedFloatField(
        help_text="The group's score, by the strategy, on the members' 0-1 scale (the fair strategy's is 0 when "
        "the mean less half the spread would be below it)."
    )
    members = MemberScoreSerializer(
        many=True,
        help_text="Your own score and distance (empty when you are not in the group); never another member's. "
        "Staff get every member's, in the order of `members`.",
    )
    most_pleased = serializers.UUIDField(
        help_text="The member of the group (the organizer or a participant who accepted) who scores it highest."
    )
    least_pleased = serializers.UUIDField(help_text="The member of the group who scores it lowest.")
    features = serializers.DictField(
        child=RoundedFloatField(),
        help_text="Your own features of the venue (empty when you are not in the group); staff get the group's mean.",
    )
    contributions = serializers.DictField(
        child=RoundedFloatField(),
        help_text="score = baseline + the sum of these: your own contributions (as in your own list; staff: the "
        "group's mean), and `group`: the group's score less your own (staff: less the members' mean score), what "
        "the others and the strategy make of it. Empty when you are not in the group.",
    )
    baseline = RoundedFloatField(
        allow_null=True,
        help_text="Your own baseline (staff: the members' mean): the same on every row; null when you are not in "
        "the group.",
    )


@extend_schema_serializer(many=False)  # one answer per plan, though the view's action is a list
class GroupVenueSuggestionsSerializer(serializers.Serializer):
    recommendation_id = serializers.UUIDField(
        read_only=True, help_text="The id of this answer: what was shown is recorded under it."
    )
    plan_id = serializers.UUIDField()
    strategy = serializers.ChoiceField(choices=STRATEGIES)
    ranker = serializers.ChoiceField(choices=SERVED_RANKERS, help_text="The ranker that scored every member.")
    model_version = serializers.IntegerField(allow_null=True)
    members = PlanMemberSerializer(
        many=True, help_text="The group: the organizer, then every participant who accepted."
    )
    distance_filter_ignores = serializers.ListField(
        child=serializers.UUIDField(),
        help_text="You, when `max_distance_km` did not apply to you for you have no home (staff: every such "
        "member); empty without the filter.",
    )
    suggestions = GroupVenueSuggestionSerializer(many=True, help_text="Best first: group score desc, then venue id.")


class PlanPeopleSuggestionQuerySerializer(QueryParamsSerializer):
    limit = limit_field()


class PersonSuggestionReasonSerializer(serializers.Serializer):
    strength = RoundedFloatField(help_text="The organizer's tie strength to them.")
    direct = RoundedFloatField(help_text="How much they like the plan's venue (0 without one).")
    category = RoundedFloatField(help_text="How much they like its kind of place (0 without a venue).")
    members_known = serializers.IntegerField(
        help_text="How many of the plan's other members who accepted they have an edge with."
    )
    connection = RoundedFloatField(help_text="members_known over the plan's accepted members besides the organizer.")


class PersonSuggestionSerializer(PersonSerializer):
    reason = PersonSuggestionReasonSerializer(source="*")
