"""Suggestions for a plan's group: venues its people will all enjoy, and who else to invite.

The group is the plan's organizer and every participant who accepted: accepting is what lets a
plan use a member's data (home, likes, dwell); someone merely invited is not in it. Each
member's scores come from the ranker that serves their own list (the active trained
model, else the formula), and are aggregated per venue by a strategy of ranking.groups.

The members' kept candidate lists (recommendations.candidates) answer when every member's is
current and they prove the answer (`_from_lists`): one query reads them all, and nothing is
ranked. Otherwise the group is ranked live, all members in one (members x venues) matrix: one
query more for all their interactions and one for all their friends (learned ranker). Either
way the answer is the same to the digit, and the reads do not grow with the group.

What a member sees of the answer (`viewer`): the group's score and their own figures, never another
member's score, distance or whether they have a home; staff see every member's (README, Privacy).
Every per-member figure goes through the same rule: `features` are the mean over the members the
viewer may see, and `max_distance_km` holds for their homes, so a group of two (or a requester
without a home) does not turn a mean or a filter into the other member's figures.

Scores are served on the ranker's 0-1 scale (ranking.rankers.readable), the same map for every
member, so the group's score is the strategy's on that scale. Each suggestion is explained as a
venue of one's own list is: score = baseline + the sum of the contributions, with the baseline and
the contributions the mean over the members the viewer may see (their own, for a member) and
GROUP the group's score less the mean of their scores, which the group's score and their own tell.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied

from luna.errors import Conflict
from plans.models import Plan, PlanParticipant
from ranking import formula
from ranking.groups import DEFAULT_STRATEGY, group_bound, group_ceiling, group_top_k
from ranking.learned import LearnedRanker
from ranking.rankers import Ranker, Scored, readable, readable_explanation
from recommendations.candidates import Candidates, members_candidates
from recommendations.catalogue import Catalogue, ServedModel, catalogue_cache
from recommendations.selectors import members_known, users_friends, users_venue_totals
from recommendations.services import (
    best_friends,
    best_of_shortlist,
    friend_features,
    observe_recommendation,
    person,
    served_ranker,
    user_world,
    venue_candidates,
)
from social.selectors import users_with_edge_to
from users.models import User

GROUP = "group"  # in a suggestion's contributions: the group's score less the mean of the members' shown


@dataclass(frozen=True)
class GroupMember:
    id: uuid.UUID
    handle: str
    name: str
    has_home: bool | None  # None: another member's, which the viewer may not know


@dataclass(frozen=True)
class MemberScore:
    user_id: uuid.UUID
    score: float
    distance_km: float | None


@dataclass(frozen=True)
class GroupVenueSuggestion:
    venue_id: uuid.UUID
    venue_name: str
    category: str
    score: float  # the group's, by the strategy
    members: list[MemberScore]  # those the viewer may see, in the order of GroupVenueSuggestions.members
    most_pleased: uuid.UUID  # of the group: the organizer or a participant who accepted
    least_pleased: uuid.UUID
    features: dict[str, float]  # the mean of each of the ranker's features over the members the viewer may see
    # score = baseline + the sum of these: the mean over the members the viewer may see of their
    # contributions, and GROUP: the group's score less the mean of their scores (None / {}: none visible).
    contributions: dict[str, float]
    baseline: float | None


@dataclass(frozen=True)
class GroupVenueSuggestions:
    plan_id: uuid.UUID
    strategy: str
    ranker: str
    model_version: int | None
    members: list[GroupMember]  # the organizer first, then by id
    # Members the distance filter did not apply to (they have no home) that the viewer may know of;
    # empty without the filter.
    distance_filter_ignores: list[uuid.UUID]
    suggestions: list[GroupVenueSuggestion]


@dataclass(frozen=True)
class PersonSuggestion:
    user_id: uuid.UUID
    handle: str
    name: str
    relationship_type: str
    score: float
    strength: float
    direct: float
    category: float
    members_known: int  # how many of the plan's other members who accepted they have an edge with
    connection: float  # members_known over the plan's members other than the organizer


def plan_group(*, plan: Plan) -> list[User]:
    """The organizer and every participant who accepted: the organizer first, then by id (one query)."""
    participants = (
        PlanParticipant.objects.filter(plan=plan, status=PlanParticipant.Status.ACCEPTED)
        .exclude(user_id=plan.organizer_id)
        .select_related("user")
        .order_by("user_id")
    )
    return [plan.organizer, *(participant.user for participant in participants)]


def _require_open(plan: Plan) -> None:
    if plan.status == Plan.Status.CANCELLED:
        raise Conflict("The plan is cancelled; there is nothing to suggest for it.", code="plan_cancelled")


def suggest_plan_venues(
    *,
    plan: Plan,
    viewer: User | None,
    limit: int,
    strategy: str = DEFAULT_STRATEGY,
    categories: Iterable[str] | None = None,
    max_distance_km: float | None = None,
    max_price_level: int | None = None,
    exclude_interacted: bool = False,
    ranker: str | None = None,
) -> GroupVenueSuggestions:
    """The `limit` best venues for the plan's group (group score desc, then venue id), as `viewer` may
    see them (None: every member's figures, for staff's tools such as the admin).

    `exclude_interacted` leaves out venues the members `viewer` may see (themselves; staff: everyone)
    have been to; `max_distance_km` holds for those of them with a home (the others are listed in
    `distance_filter_ignores`).
    """
    _require_open(plan)
    started = time.perf_counter()
    members = plan_group(plan=plan)
    arguments = {
        "limit": limit,
        "strategy": strategy,
        "categories": categories,
        "max_distance_km": max_distance_km,
        "max_price_level": max_price_level,
        "exclude_interacted": exclude_interacted,
        "ranker": ranker,
    }
    catalogue = catalogue_cache.current()
    visible = np.array([_may_see(viewer, member.id) for member in members], dtype=bool)
    result = _suggest(plan, members, catalogue, visible=visible, **arguments)
    shown = [suggestion.venue_id for suggestion in result.suggestions]
    if catalogue_cache.holds_deleted(catalogue, shown):
        result = _suggest(plan, members, catalogue_cache.reload(), visible=visible, **arguments)
    observe_recommendation("plan_venues", result.ranker, started, len(result.suggestions))
    return _as_seen_by(result, viewer)


def _may_see(viewer: User | None, user_id: uuid.UUID) -> bool:
    """Staff (and None) may see every member's figures; a member their own only."""
    return viewer is None or viewer.is_staff or user_id == viewer.pk


def _as_seen_by(result: GroupVenueSuggestions, viewer: User | None) -> GroupVenueSuggestions:
    """Only the members' figures `viewer` may see (_may_see): the group's and their own."""

    def shown(user_id: uuid.UUID) -> bool:
        return _may_see(viewer, user_id)

    return replace(
        result,
        members=[replace(member, has_home=member.has_home if shown(member.id) else None) for member in result.members],
        distance_filter_ignores=[user_id for user_id in result.distance_filter_ignores if shown(user_id)],
        suggestions=[
            replace(row, members=[member for member in row.members if shown(member.user_id)])
            for row in result.suggestions
        ],
    )


@dataclass(frozen=True)
class _Chosen:
    """The venues chosen for the group, best first, and each member's figures there (one column each)."""

    positions: np.ndarray  # (k,) catalogue positions
    group_score: np.ndarray  # (k,) the strategy's, on the ranker's own scale
    score: np.ndarray  # (members, k) the ranker's own
    shown: np.ndarray  # (members, k) served 0-1
    distance: np.ndarray  # (members, k) km, NaN without a home
    baselines: np.ndarray  # (members,) served scale
    features: dict[str, np.ndarray]  # (members, k)
    contributions: dict[str, np.ndarray]  # (members, k) served scale


def _suggest(
    plan: Plan,
    members: list[User],
    catalogue: Catalogue,
    *,
    visible: np.ndarray,
    limit: int,
    strategy: str,
    categories: Iterable[str] | None,
    max_distance_km: float | None,
    max_price_level: int | None,
    exclude_interacted: bool,
    ranker: str | None,
) -> GroupVenueSuggestions:
    engine, name, served = served_ranker(catalogue, ranker)
    version = served.version if served is not None else None
    candidates = venue_candidates(catalogue, categories=categories, max_price_level=max_price_level)
    # The filters hold for the members the viewer may see: filtering on another member's home or visits
    # would answer, venue by venue, whether they live within that distance (halving it finds how far)
    # or have been there.
    with_home = np.array([member.has_home for member in members], dtype=bool) & visible
    ignored = [] if max_distance_km is None else [m.id for m, has in zip(members, with_home, strict=True) if not has]
    filters = {
        "limit": limit,
        "strategy": strategy,
        "candidates": candidates,
        "with_home": with_home if max_distance_km is not None else np.zeros(len(members), dtype=bool),
        "max_distance_km": max_distance_km,
        "exclude_interacted": visible if exclude_interacted else np.zeros(len(members), dtype=bool),
    }
    lists = members_candidates(members, catalogue, ranker)
    chosen = _from_lists(lists, **filters) if lists is not None else None
    if chosen is None:
        chosen = _live(members, catalogue, engine, name, served, **filters)
    group_shown = readable(chosen.group_score, engine.readable_scale())
    suggestions = []
    for index, (position, score) in enumerate(zip(chosen.positions.tolist(), group_shown.tolist(), strict=True)):
        internal = chosen.score[:, index]
        member_scores = chosen.shown[:, index]
        distances = chosen.distance[:, index]
        suggestions.append(
            GroupVenueSuggestion(
                venue_id=catalogue.venue_id_at(position),
                venue_name=catalogue.names[position],
                category=catalogue.categories[catalogue.category_code[position]],
                score=float(score),
                members=[
                    MemberScore(member.id, float(value), None if math.isnan(distance) else float(distance))
                    for member, value, distance in zip(members, member_scores, distances, strict=True)
                ],
                # Ties go to the member listed first (the organizer).
                most_pleased=members[int(np.argmax(internal))].id,
                least_pleased=members[int(np.argmin(internal))].id,
                # Over the visible members only: the mean of two members, less one's own, is the other's.
                features={
                    feature: float(np.nan_to_num(np.asarray(values[visible, index], dtype=np.float64)).mean())
                    for feature, values in chosen.features.items()
                }
                if visible.any()
                else {},
                contributions={
                    **{name: float(values[visible, index].mean()) for name, values in chosen.contributions.items()},
                    GROUP: score - float(member_scores[visible].mean()),
                }
                if visible.any()
                else {},
                baseline=float(chosen.baselines[visible].mean()) if visible.any() else None,
            )
        )
    return GroupVenueSuggestions(
        plan_id=plan.id,
        strategy=strategy,
        ranker=name,
        model_version=version,
        members=[GroupMember(member.id, member.handle, member.name, member.has_home) for member in members],
        distance_filter_ignores=ignored,
        suggestions=suggestions,
    )


def _live(
    members: list[User],
    catalogue: Catalogue,
    engine: Ranker,
    name: str,
    served: ServedModel | None,
    *,
    limit: int,
    strategy: str,
    candidates: np.ndarray,
    with_home: np.ndarray,
    max_distance_km: float | None,
    exclude_interacted: np.ndarray,
) -> _Chosen:
    """Every member scored by the ranker, one (members x venues) matrix, and the strategy's best."""
    totals = users_venue_totals(user_ids=[member.id for member in members])
    friends = None
    if name == LearnedRanker.name:
        by_member = users_friends(user_ids=[member.id for member in members], sharing=True)
        friends = [by_member[member.id] for member in members]
    world = user_world(catalogue, [(member, totals[member.id]) for member in members], friends=friends, model=served)
    rows = np.arange(len(members))
    candidates = candidates.copy()
    if exclude_interacted.any():
        candidates[world.interactions[np.flatnonzero(exclude_interacted)].indices] = False

    def choose(scored: Scored) -> tuple[np.ndarray, np.ndarray]:
        allowed = scored.on_columns(candidates)
        if with_home.any():
            allowed = allowed & (scored.distance[with_home] <= max_distance_km).all(axis=0)
        return group_top_k(np.asarray(scored.score), strategy, limit, np.flatnonzero(allowed).astype(np.intp))

    scored, best, group_score = best_of_shortlist(
        engine, world, rows, limit, choose, ceiling=lambda bound: group_bound(bound, strategy)
    )
    features, contributions = scored.explanation(rows, best)
    # Served on the ranker's 0-1 scale (the same map for every member, so the strategies commute with it);
    # the order came from the scores themselves.
    shown, baselines, contributions = readable_explanation(
        scored.score[:, best], scored.baseline(rows), contributions, engine.readable_scale()
    )
    return _Chosen(
        positions=np.asarray(scored.venue_positions(best), dtype=np.intp),
        group_score=np.asarray(group_score, dtype=np.float64),
        score=np.asarray(scored.score[:, best], dtype=np.float64),
        shown=shown,
        distance=np.asarray(scored.distance[:, best], dtype=np.float64),
        baselines=baselines,
        features=features,
        contributions=contributions,
    )


def _from_lists(
    lists: list[Candidates],
    *,
    limit: int,
    strategy: str,
    candidates: np.ndarray,
    with_home: np.ndarray,
    max_distance_km: float | None,
    exclude_interacted: np.ndarray,
) -> _Chosen | None:
    """The live ranking's answer from the members' candidate lists, or None when they cannot prove it.

    A member's list is their best venues over the whole catalogue in the ranker's order, so a venue
    missing from it scores at most the list's last score for them. The venues in every member's
    list are ranked by the strategy as the live ranking ranks them; the others can score at most the
    strategy's ceiling with those bounds in place of the unknown scores (group_ceiling). When the
    `limit`-th venue found beats every such ceiling (or no venue is left unknown), nothing outside
    can come before it: the answer is the live one to the digit."""
    union = np.unique(np.concatenate([kept.positions for kept in lists]))
    # Each member's bound on a venue outside their list: its last score (a complete list leaves none out).
    bounds = np.array([kept.raw[-1] if len(kept.raw) else -np.inf for kept in lists], dtype=np.float64)
    shape = (len(lists), len(union))
    at = np.full(shape, -1, dtype=np.intp)  # each member's index in their list of each venue; -1: not in it
    score = np.repeat(bounds[:, None], len(union), axis=1)  # where unknown, the bound
    distance = np.full(shape, np.nan, dtype=np.float64)
    interacted = np.zeros(shape, dtype=bool)
    for row, kept in enumerate(lists):
        columns = np.searchsorted(union, kept.positions)
        at[row, columns] = np.arange(len(kept.positions))
        score[row, columns] = kept.raw
        distance[row, columns] = kept.distance
        interacted[row, columns] = kept.interacted
    known = at >= 0
    # What is known to be left out: the catalogue's filters, a visit or a distance the filters see.
    allowed = candidates[union] & ~(interacted[exclude_interacted] & known[exclude_interacted]).any(axis=0)
    if with_home.any():
        allowed &= ~(known[with_home] & (distance[with_home] > max_distance_km)).any(axis=0)
    everyone = known.all(axis=0)
    columns, group_score = group_top_k(score, strategy, limit, np.flatnonzero(allowed & everyone).astype(np.intp))
    unknown = np.flatnonzero(allowed & ~everyone)
    ceilings = group_ceiling(score[:, unknown], strategy)
    if len(union) < len(candidates):  # venues in no member's list: every score at its bound
        ceilings = np.append(ceilings, group_ceiling(bounds[:, None], strategy))
    if len(ceilings) and not (len(columns) == limit and group_score[-1] > ceilings.max()):
        return None
    cells = at[:, columns]  # each member's index in their list of each chosen venue

    def gathered(values: list[np.ndarray]) -> np.ndarray:
        return np.stack([member[indexes] for member, indexes in zip(values, cells, strict=True)])

    return _Chosen(
        positions=union[columns],
        group_score=group_score,
        score=score[:, columns],
        shown=gathered([kept.score for kept in lists]),
        distance=distance[:, columns],
        baselines=np.array([kept.baseline for kept in lists], dtype=np.float64),
        features={name: gathered([kept.features[name] for kept in lists]) for name in lists[0].features},
        contributions={name: gathered([kept.contributions[name] for kept in lists]) for name in lists[0].contributions},
    )


def suggest_plan_people(*, plan: Plan, viewer: User | None, limit: int) -> list[PersonSuggestion]:
    """The organizer's active friends who may be invited (they have an edge back to the organizer) and
    are not yet in the plan, who would most enjoy its venue and know its people.

    score = the people formula for the plan's venue (strength alone when it has none)
            + PLAN_CONNECTION_WEIGHT x the share of the plan's other accepted members they have an edge with.
    Score desc, then user id. Only for the organizer and staff (`viewer` None: staff's tools): they
    are who invite, and the answer is made of the organizer's ties and their friends' likes.
    """
    if viewer is not None and not viewer.is_staff and viewer.pk != plan.organizer_id:
        raise PermissionDenied("Only the plan's organizer and staff invite people, so only they get suggestions.")
    _require_open(plan)
    started = time.perf_counter()
    config = settings.LUNA_RECO
    friends, strength, direct, category = friend_features(plan.organizer, plan.venue)
    # One read of the participants: who is in the plan at all, and who of them accepted (the group, whose
    # edges count: an invitation alone shares nothing, not even whom the invited person has added).
    answers = dict(PlanParticipant.objects.filter(plan=plan).values_list("user_id", "status"))
    in_plan = set(answers) | {plan.organizer_id}
    invitable = users_with_edge_to(user_id=plan.organizer_id, among=[friend.user_id for friend in friends])
    keep = [
        index for index, friend in enumerate(friends) if friend.user_id not in in_plan and friend.user_id in invitable
    ]
    friends = [friends[index] for index in keep]
    strength, direct, category = strength[keep], direct[keep], category[keep]
    members = sorted(
        user_id
        for user_id, status in answers.items()
        if status == PlanParticipant.Status.ACCEPTED and user_id != plan.organizer_id
    )
    known_by = members_known(candidate_ids=[friend.user_id for friend in friends], member_ids=members)
    known = np.array([known_by[friend.user_id] for friend in friends], dtype=np.float64)
    connection = known / max(len(members), 1)
    score = formula.people_score(strength, direct, category, weights=config["PEOPLE_WEIGHTS"])
    score = score + config["PLAN_CONNECTION_WEIGHT"] * connection

    best = best_friends(friends, score, limit)
    observe_recommendation("plan_people", "formula", started, len(best))
    return [
        PersonSuggestion(
            **person(friends[index], score[index]),
            strength=float(strength[index]),
            direct=float(direct[index]),
            category=float(category[index]),
            members_known=int(known[index]),
            connection=float(connection[index]),
        )
        for index in best.tolist()
    ]
