"""Small check-in splits written to a folder, in the format evaluation.checkins reads (tests never use real data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_split(
    directory: Path,
    *,
    prefix: str = "Tiny",
    users: int = 30,
    venues: int = 50,
    seed: int = 7,
    categories: bool = True,
    social: bool = True,
) -> Path:
    """A random split around Manhattan: each user visits venues near one of a few centres.

    Train, tune and test venues of a user are disjoint, as in the real splits; the third
    column is a star rating from 1 to 5.
    """
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    centres = np.array([[40.73, -73.99], [40.76, -73.97], [40.70, -74.01]])
    venue_centre = rng.integers(0, len(centres), venues)
    coordinates = centres[venue_centre] + rng.normal(0, 0.01, (venues, 2))

    def write(part: str, lines: list[str]) -> None:
        (directory / f"{prefix}_{part}.txt").write_text("".join(f"{line}\n" for line in lines))

    write("data_size", [f"{users}\t{venues}\t4"])
    write("poi_coos", [f"{venue}\t{lat:.6f}\t{lng:.6f}" for venue, (lat, lng) in enumerate(coordinates)])
    if categories:
        write("poi_categories", [f"{venue}\t{venue_centre[venue]}" for venue in range(venues)])
    if social:
        pairs = {tuple(sorted(rng.choice(users, 2, replace=False).tolist())) for _ in range(users)}
        write("social_relations", [f"{a}\t{b}" for a, b in sorted(pairs)])
    parts: dict[str, list[str]] = {"train": [], "tune": [], "test": []}
    for user in range(users):
        centre = rng.integers(0, len(centres))
        nearby = np.flatnonzero(venue_centre == centre)
        others = np.flatnonzero(venue_centre != centre)
        pool = np.concatenate([rng.permutation(nearby), rng.permutation(others)[:3]])
        chosen = pool[: rng.integers(4, min(10, len(pool)) + 1)]
        split_at = [max(1, len(chosen) // 2), max(2, 3 * len(chosen) // 4)]
        for part, venues_of_part in zip(parts, np.split(chosen, split_at), strict=True):
            parts[part] += [f"{user}\t{venue}\t{rng.integers(1, 6)}" for venue in venues_of_part.tolist()]
    for part, lines in parts.items():
        write(part, lines)
    return directory


def hand_split(directory, *, train: str, social: str = "0\t1\n", categories: str = "0\t3\n0\t1\n2\t5\n"):
    """Three users, three venues: small enough to know every mapped value by heart."""
    directory.mkdir(exist_ok=True)
    files = {
        "data_size": "3\t3\t6\n",
        "poi_coos": "0\t40.70\t-74.00\n1\t40.80\t-73.90\n2\t41.00\t-73.50\n",
        "poi_categories": categories,
        "social_relations": social,
        "train": train,
        "tune": "",
        "test": "0\t2\t5\n1\t0\t4\n",
    }
    for part, text in files.items():
        (directory / f"Hand_{part}.txt").write_text(text)
    return directory
