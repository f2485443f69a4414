"""The ranking: plain Python on numpy and scipy; importing any of it never imports Django (the layout test checks).

- geometry: distances on the earth, points on the unit sphere;
- world: `World`, what a ranker may look at, and `world_from_rows`, the one way to build one;
  the positive-interaction weights; positions in id order;
- topk: the one top-k and its tie rule (score, then distance, then position);
- formula: the seed formulas; rankers: `Ranker`, `Scored`, the formula and the baselines;
- signals/: the learned ranker's signals, declared once (`signals/__init__.py`), computed by kind
  (neighbours, factors, density, social, category, popularity) and gathered per user (`pool`);
- learned: the learned ranker's fit, scoring and artifact;
- groups: a group's list from its members' scores; metrics: the offline metrics.
"""

from __future__ import annotations

from ranking.learned import LearnedRanker
from ranking.rankers import DistanceRanker, FormulaRanker, PopularityRanker, Ranker

RANKERS: dict[str, type[Ranker]] = {
    ranker.name: ranker for ranker in (FormulaRanker, LearnedRanker, PopularityRanker, DistanceRanker)
}
