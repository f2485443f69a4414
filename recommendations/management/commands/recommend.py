"""Print a user's venue and people recommendations with the features behind each score, or a plan's group's."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from luna.errors import Conflict
from plans.models import Plan
from plans.selectors import plan_is_visible
from ranking.groups import DEFAULT_STRATEGY, STRATEGIES
from recommendations.plan_suggestions import suggest_plan_people, suggest_plan_venues
from recommendations.serializers import PeopleRecommendationQuerySerializer
from recommendations.services import MAX_LIMIT, SERVED_RANKERS, recommend_people, recommend_venues
from users.models import User
from venues.models import Venue


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, right: set[int]) -> list[str]:
    """Aligned columns; the columns listed in `right` (numbers) are right-aligned."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(headers[column]), *(len(row[column]) for row in cells)) for column in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        parts = [
            value.rjust(widths[column]) if column in right else value.ljust(widths[column])
            for column, value in enumerate(values)
        ]
        return "  ".join(parts).rstrip()

    return [line(headers), line(["-" * width for width in widths]), *(line(row) for row in cells)]


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


class Command(BaseCommand):
    help = "Print venue and people recommendations for a user, with the feature breakdown of every score."

    def add_arguments(self, parser) -> None:
        parser.add_argument("user", metavar="HANDLE_OR_ID", help="the user's handle (any case) or id")
        parser.add_argument(
            "--venue",
            metavar="NAME_OR_ID",
            help="rank friends for this venue (name, any case, or id); without it people rank by tie strength",
        )
        parser.add_argument("--limit", type=int, default=10, help=f"rows per table, 1-{MAX_LIMIT} (default 10)")
        parser.add_argument(
            "--ranker",
            choices=SERVED_RANKERS,
            help="rank venues with this one (default: the active trained model, else the formula)",
        )
        parser.add_argument(
            "--plan",
            metavar="PLAN_ID",
            help="instead: the venues for this plan's group (which the user must be able to see) as the user sees "
            "them (the group's figures and their own; staff: every member's), and the people to invite next",
        )
        parser.add_argument(
            "--strategy", choices=STRATEGIES, default=DEFAULT_STRATEGY, help="with --plan: how scores are combined"
        )

    def handle(self, *args, user: str, venue: str | None, limit: int, ranker: str | None, **options) -> None:
        query = PeopleRecommendationQuerySerializer(data={"limit": limit})
        if not query.is_valid():
            raise CommandError(f"--limit must be between 1 and {MAX_LIMIT}.")
        person = self._user(user)
        if options["plan"]:
            self._plan(person, options["plan"], limit=limit, ranker=ranker, strategy=options["strategy"])
            return
        place = self._venue(venue) if venue else None

        home = f"home {person.home_lat}, {person.home_lng}" if person.has_home else "no home location"
        try:
            venues = recommend_venues(person, limit=limit, ranker=ranker)
        except Conflict as exc:
            raise CommandError(exc.message) from None
        answered = f"; {venues[0].ranker} v{venues[0].model_version}" if venues and venues[0].model_version else ""
        self.stdout.write(f"Venues for {person.handle} ({person.name}; {home}{answered})")
        features = list(venues[0].features) if venues else ["spatial", "preference", "popularity"]
        # The learned ranker's explanation: what each group of inputs added to the score.
        added = list(venues[0].contributions) if venues and venues[0].model_version else []
        if added:
            self.stdout.write(f"score = baseline {_number(venues[0].baseline)} + the + columns (what each moved it)")
        self._table(
            ["#", "venue", "category", "score", "distance_km", *features, *(f"+{name}" for name in added)],
            [
                [
                    rank,
                    row.venue_name,
                    row.category or "-",
                    _number(row.score),
                    _number(row.distance_km),
                    *(_number(row.features[name]) for name in features),
                    *(_number(row.contributions[name]) for name in added),
                ]
                for rank, row in enumerate(venues, start=1)
            ],
            right=set(range(3, 5 + len(features) + len(added))) | {0},
            empty="(no venues)",
        )

        self.stdout.write("")
        if place is None:
            self.stdout.write(f"People for {person.handle} (no venue: by tie strength; pass --venue for a venue)")
        else:
            self.stdout.write(f"People for {person.handle} at {place.name} ({place.category or 'no category'})")
        people = recommend_people(person, venue=place, limit=limit)
        self._table(
            ["#", "handle", "name", "relationship", "score", "strength", "direct", "category"],
            [
                [
                    rank,
                    row.handle,
                    row.name,
                    row.relationship_type,
                    _number(row.score),
                    _number(row.features.strength),
                    _number(row.features.direct),
                    _number(row.features.category),
                ]
                for rank, row in enumerate(people, start=1)
            ],
            right={0, 4, 5, 6, 7},
            empty="(no friends who are active users)",
        )

    def _plan(self, person: User, value: str, *, limit: int, ranker: str | None, strategy: str) -> None:
        plan_id = _as_uuid(value)
        plan = Plan.objects.select_related("organizer", "venue").filter(pk=plan_id).first() if plan_id else None
        if plan is None or not plan_is_visible(plan=plan, user=person):
            raise CommandError(f"No plan {value!r} that {person.handle} can see.")
        try:
            # What the person sees through the API: the group's figures and their own (staff: everyone's).
            group = suggest_plan_venues(plan=plan, viewer=person, limit=limit, strategy=strategy, ranker=ranker)
        except Conflict as exc:
            raise CommandError(exc.message) from None
        handle_of = {member.id: member.handle for member in group.members}
        handles = list(handle_of.values())
        shown = [handle_of[member.user_id] for member in group.suggestions[0].members] if group.suggestions else []
        model = f" v{group.model_version}" if group.model_version else ""
        self.stdout.write(
            f"Venues for {plan} ({len(handles)} in the group: {', '.join(handles)}; {strategy}; {group.ranker}{model}; "
            f"as {person.handle} sees it)"
        )
        self._table(
            ["#", "venue", "category", "group", *shown, "most", "least"],
            [
                [
                    rank,
                    row.venue_name,
                    row.category or "-",
                    _number(row.score),
                    *(_number(member.score) for member in row.members),
                    handle_of[row.most_pleased],
                    handle_of[row.least_pleased],
                ]
                for rank, row in enumerate(group.suggestions, start=1)
            ],
            right={0, *range(3, 4 + len(shown))},
            empty="(no venues)",
        )
        self.stdout.write("")
        try:
            people = suggest_plan_people(plan=plan, viewer=person, limit=limit)
        except PermissionDenied as exc:
            self.stdout.write(f"People to invite next: {exc}")
            return
        self.stdout.write(f"People to invite next (friends of {plan.organizer.handle} who added them, not in the plan)")
        self._table(
            ["#", "handle", "name", "score", "strength", "direct", "category", "members known"],
            [
                [
                    rank,
                    row.handle,
                    row.name,
                    _number(row.score),
                    _number(row.strength),
                    _number(row.direct),
                    _number(row.category),
                    row.members_known,
                ]
                for rank, row in enumerate(people, start=1)
            ],
            right={0, 3, 4, 5, 6, 7},
            empty="(no friends left to invite)",
        )

    def _table(self, headers: list[str], rows: list[list[object]], *, right: set[int], empty: str) -> None:
        if not rows:
            self.stdout.write(empty)
            return
        for line in format_table(headers, rows, right=right):
            self.stdout.write(line)

    def _user(self, value: str) -> User:
        user_id = _as_uuid(value)
        found = User.objects.filter(pk=user_id) if user_id else User.objects.filter(handle__iexact=value)
        user = found.first()
        if user is None:
            raise CommandError(f"No user with handle or id {value!r}.")
        return user

    def _venue(self, value: str) -> Venue:
        venue_id = _as_uuid(value)
        found = list(Venue.objects.filter(pk=venue_id) if venue_id else Venue.objects.filter(name__iexact=value)[:6])
        if not found:
            raise CommandError(f"No venue with name or id {value!r}.")
        if len(found) > 1:
            ids = ", ".join(str(venue.pk) for venue in found[:5])
            raise CommandError(f"Several venues are named {value!r}; pass one of their ids: {ids}.")
        return found[0]
