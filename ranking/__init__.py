"""The ranking engine: pure numpy and scipy, no Django (see world.py, rankers.py, learned.py, evaluation.py)."""

from __future__ import annotations

from ranking.learned import LearnedRanker
from ranking.rankers import DistanceRanker, FormulaRanker, PopularityRanker, Ranker

RANKERS: dict[str, type[Ranker]] = {
    ranker.name: ranker for ranker in (FormulaRanker, LearnedRanker, PopularityRanker, DistanceRanker)
}
