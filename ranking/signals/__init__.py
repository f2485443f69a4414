"""The learned ranker's signals, declared once: everything else about a signal is derived from SIGNALS.

A signal is computed in the module of its kind (neighbours, factors, density, social, category,
popularity) and gathered for a batch of users by `pool.users_signals`. Its entry here says which
readable group explains it in the API, whether it is known over every venue (cheap) or only on the
user's scope, which way the score may move with it, and how it becomes the combiner's inputs. From
the list follow SIGNAL_NAMES, GROUPS, EVERYWHERE, DIRECTION, INPUT_NAMES (the weights' order, which
an artifact stores and checks on loading), the API's help text and the table in
docs/recommendation-quality.md (`signals_table`; a test compares them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCALED = "scaled"  # x / the user's peak, and log(1 + that / floor): both 0 where the signal is 0
LOG_KM = "log_km"  # log(1 + x), for a distance in km


@dataclass(frozen=True)
class Signal:
    name: str
    group: str  # the readable group the API explains a venue by (features, contributions)
    known_everywhere: bool  # known over every venue, not just the user's scope
    direction: int  # +1: the score may only rise with it; -1: only fall
    transform: str  # SCALED or LOG_KM: what the combiner's inputs are made of it
    help: str


SIGNALS = (
    Signal("uknn", "people_like_you", False, +1, SCALED, "the visits of the 100 people most like the user, by cosine"),
    Signal("uknn_idf", "people_like_you", False, +1, SCALED, "the same with idf-weighted cosine"),
    Signal("als", "people_like_you", False, +1, SCALED, "implicit ALS on visit counts, the user folded in"),
    Signal("als_bm25", "people_like_you", False, +1, SCALED, "implicit ALS on BM25-weighted visit counts"),
    Signal("kde", "near_your_places", False, +1, SCALED, "a Gaussian kernel density over the user's visited venues"),
    Signal("friends", "friends_went", False, +1, SCALED, "friends' visits weighted by tie strength"),
    Signal("category", "category_you_like", True, +1, SCALED, "the user's share of visits in the venue's category"),
    Signal("home_km", "near_home", True, -1, LOG_KM, "km from home, 10000 without a home"),
    Signal("popularity", "popular", True, +1, SCALED, "distinct users with a like or interest"),
)

SIGNAL_NAMES = tuple(signal.name for signal in SIGNALS)
BY_NAME = {signal.name: signal for signal in SIGNALS}
# group -> its signals, in SIGNALS order (the groups in order of their first signal).
GROUPS: dict[str, tuple[str, ...]] = {}
for _signal in SIGNALS:
    GROUPS[_signal.group] = (*GROUPS.get(_signal.group, ()), _signal.name)
EVERYWHERE = tuple(signal.name for signal in SIGNALS if signal.known_everywhere)
DIRECTION = {signal.name: signal.direction for signal in SIGNALS}
INPUT_SUFFIXES = {SCALED: ("scaled", "log"), LOG_KM: ("log1p",)}


def transforms(name: str, values: np.ndarray, peak: float, floor: float) -> list[tuple[str, np.ndarray]]:
    """The combiner's inputs made of one signal: (input name, values)."""
    if BY_NAME[name].transform == LOG_KM:
        return [(f"{name}:log1p", np.log1p(values))]
    scaled = values / peak if peak > 0 else np.zeros_like(values)
    return [(f"{name}:scaled", scaled), (f"{name}:log", np.log1p(scaled / floor))]


# The combiner's inputs in weight order (what `transforms` makes of each signal, group by group).
INPUT_NAMES = tuple(
    f"{name}:{suffix}"
    for names in GROUPS.values()
    for name in names
    for suffix in INPUT_SUFFIXES[BY_NAME[name].transform]
)


def groups_help() -> str:
    """The learned ranker's features, group by group, for the API's help text."""
    return "; ".join(f"{group} ({', '.join(BY_NAME[name].help for name in names)})" for group, names in GROUPS.items())


def signals_table() -> str:
    """The signals as a Markdown table (docs/recommendation-quality.md holds it)."""
    rows = ["| signal | group | known over | more is | what it is |", "| --- | --- | --- | --- | --- |"]
    for signal in SIGNALS:
        where = "every venue" if signal.known_everywhere else "the scope"
        better = "better" if signal.direction > 0 else "worse"
        rows.append(f"| `{signal.name}` | `{signal.group}` | {where} | {better} | {signal.help} |")
    return "\n".join(rows) + "\n"
