"""Check-in splits (the format of the Yelp folder in the shared datasets) read into a World.

A split is a folder of tab-separated files named `<Prefix>_<part>.txt`:

    _data_size.txt           users  venues  [categories]       (one line)
    _poi_coos.txt            venue  lat  lng
    _poi_categories.txt      venue  category                   (optional; a venue may have several)
    _social_relations.txt    user  friend                      (optional; undirected)
    _train.txt, _tune.txt, _test.txt   user  venue  value      (a review's stars, or a visit count)

Ids are integers from 0 below the sizes. Both the evaluation and the database import
(world.checkin_import) map a split the same way, so that their figures agree:

- one user per user id; home = the coordinates of the user's train venue with the
  largest third-column value (ties: the lowest venue id); none without train rows;
- one venue per venue id; category = its first listed category, as the slug `c<id>`;
- each train row becomes `like` interactions: min(value, 5) of them (at least one),
  or exactly one with `one_like_per_row` (for stars rather than visit counts);
- every social relation becomes a `friend` edge in both directions, strength 0.5.

Imported ids keep the split's order: user and venue UUIDs are 128-bit numbers that
grow with the ids, so venue id order (the ranking tie-break) is the same in both.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ranking.world import NO_CATEGORY, World, csr, world_from_rows

MAX_LIKES_PER_ROW = 5
FRIEND_STRENGTH = 0.5
PARTS = ("train", "tune", "test")
# The high 64 bits of imported ids: "luna-user", "luna-venue" in ASCII, padded.
USER_ID_BASE = 0x6C756E612D757372 << 64
VENUE_ID_BASE = 0x6C756E612D76656E << 64


class CheckinError(Exception):
    """A problem with the split's files; the message names the file and line."""


@dataclass(frozen=True)
class CheckinSplit:
    prefix: str
    directory: Path
    world: World  # the train part as history
    held_out: dict[str, sp.csr_matrix]  # "tune", "test": users x venues, 1 where held out
    # The train rows as read (user, venue, value), for the database import.
    train_users: np.ndarray
    train_venues: np.ndarray
    train_values: np.ndarray
    friends: np.ndarray  # (pairs, 2) user, friend; each undirected relation once
    one_like_per_row: bool

    @property
    def likes_per_row(self) -> np.ndarray:
        return likes_for(self.train_values, one_like_per_row=self.one_like_per_row)


def user_uuid(user: int) -> uuid.UUID:
    return uuid.UUID(int=USER_ID_BASE | user)


def venue_uuid(venue: int) -> uuid.UUID:
    return uuid.UUID(int=VENUE_ID_BASE | venue)


def venue_of_uuid(venue_id: uuid.UUID) -> int | None:
    """The split's venue id behind an imported venue's UUID (None for other venues)."""
    return venue_id.int & (2**64 - 1) if venue_id.int >> 64 == VENUE_ID_BASE >> 64 else None


def likes_for(values: np.ndarray, *, one_like_per_row: bool) -> np.ndarray:
    if one_like_per_row:
        return np.ones(len(values), dtype=np.int64)
    return np.clip(np.floor(values), 1, MAX_LIKES_PER_ROW).astype(np.int64)


def find_prefix(directory: Path) -> str:
    if not directory.is_dir():
        raise CheckinError(f"{directory}: no such folder.")
    prefixes = sorted(path.name[: -len("_train.txt")] for path in directory.glob("*_train.txt"))
    if not prefixes:
        raise CheckinError(f"{directory}: no <Prefix>_train.txt file, so this is not a check-in split.")
    if len(prefixes) > 1:
        raise CheckinError(f"{directory}: several splits ({', '.join(prefixes)}); give a folder with one.")
    return prefixes[0]


class _Reader:
    """Lines of one file as numbers, with errors that say file, line and what is wrong."""

    def __init__(self, path: Path, *, required: bool = True) -> None:
        self.path = path
        self.present = path.is_file()
        if required and not self.present:
            raise CheckinError(f"{path.name}: missing (expected in {path.parent}).")

    def rows(self, columns: int, kinds: tuple[type, ...]):
        if not self.present:
            return
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                cells = line.split()
                if len(cells) != columns:
                    self.fail(number, f"expected {columns} tab-separated columns, found {len(cells)}")
                values = []
                for cell, kind in zip(cells, kinds, strict=True):
                    try:
                        value = kind(cell)
                    except ValueError:
                        self.fail(number, f"{cell[:40]!r} is not {'an integer' if kind is int else 'a number'}")
                    if kind is float and not math.isfinite(value):
                        self.fail(number, f"{cell[:40]!r} is not a finite number")
                    values.append(value)
                yield number, values

    def fail(self, number: int, message: str):
        raise CheckinError(f"{self.path.name} line {number}: {message}.")

    def check_id(self, number: int, value: int, limit: int, what: str) -> None:
        if not 0 <= value < limit:
            self.fail(number, f"{what} id {value} is outside 0..{limit - 1} (from the data size file)")


def load_checkins(directory: Path | str, *, one_like_per_row: bool = False) -> CheckinSplit:
    """Read and check a whole split; raises CheckinError naming the file and line of the first problem."""
    directory = Path(directory)
    prefix = find_prefix(directory)

    def reader(part: str, required: bool = True) -> _Reader:
        return _Reader(directory / f"{prefix}_{part}.txt", required=required)

    sizes = reader("data_size")
    columns = _columns(sizes.path)
    size_rows = [values for _, values in sizes.rows(columns, (int,) * columns)]
    if len(size_rows) != 1 or min(size_rows[0][:2]) < 1:
        raise CheckinError(f"{sizes.path.name}: expected one line 'users venues [categories]' with positive sizes.")
    n_users, n_venues = size_rows[0][:2]

    coordinates = reader("poi_coos")
    lat = np.full(n_venues, np.nan)
    lng = np.full(n_venues, np.nan)
    for number, (venue, venue_lat, venue_lng) in coordinates.rows(3, (int, float, float)):
        coordinates.check_id(number, venue, n_venues, "venue")
        if not (-90 <= venue_lat <= 90 and -180 <= venue_lng <= 180):
            coordinates.fail(number, f"({venue_lat}, {venue_lng}) is not a latitude and longitude")
        lat[venue], lng[venue] = venue_lat, venue_lng
    if np.isnan(lat).any():
        missing = int(np.flatnonzero(np.isnan(lat))[0])
        raise CheckinError(f"{coordinates.path.name}: venue {missing} has no coordinates (every venue needs them).")

    categories = reader("poi_categories", required=False)
    category = np.full(n_venues, NO_CATEGORY, dtype=np.int64)
    for number, (venue, code) in categories.rows(2, (int, int)):
        categories.check_id(number, venue, n_venues, "venue")
        if code < 0:
            categories.fail(number, f"category id {code} is negative")
        if category[venue] == NO_CATEGORY:  # its first listed category
            category[venue] = code

    social = reader("social_relations", required=False)
    pairs = set()
    for number, (user, friend) in social.rows(2, (int, int)):
        social.check_id(number, user, n_users, "user")
        social.check_id(number, friend, n_users, "user")
        if user != friend:
            pairs.add((min(user, friend), max(user, friend)))
    friends = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)

    parts = {}
    for part in PARTS:
        rows = reader(part, required=part != "tune")
        users, venues, values = [], [], []
        for number, (user, venue, value) in rows.rows(3, (int, int, float)):
            rows.check_id(number, user, n_users, "user")
            rows.check_id(number, venue, n_venues, "venue")
            users.append(user)
            venues.append(venue)
            values.append(value)
        parts[part] = (np.array(users, dtype=np.int64), np.array(venues, dtype=np.int64), np.array(values))
    if len(parts["test"][0]) == 0:
        raise CheckinError(f"{prefix}_test.txt: the test set is empty, so there is nothing to evaluate.")
    if len(parts["train"][0]) == 0:
        raise CheckinError(f"{prefix}_train.txt: the train set is empty, so nobody has a history.")

    train_users, train_venues, train_values = parts["train"]
    likes = likes_for(train_values, one_like_per_row=one_like_per_row)
    shape = (n_users, n_venues)
    home_lat, home_lng = _homes(train_users, train_venues, train_values, lat, lng, n_users)
    strengths = np.full(2 * len(friends), FRIEND_STRENGTH)
    world = world_from_rows(
        venue_lat=lat,
        venue_lng=lng,
        venue_category=category,
        rows=train_users,
        cols=train_venues,
        positive=likes,
        touched=likes,  # a split has likes only: each counts as much in "has been there"
        home_lat=home_lat,
        home_lng=home_lng,
        social=csr(np.r_[friends[:, 0], friends[:, 1]], np.r_[friends[:, 1], friends[:, 0]], strengths, (n_users,) * 2),
        info={"prefix": prefix, "users": n_users, "venues": n_venues, "train_rows": len(train_users)},
    )
    held_out = {
        part: csr(users, venues, np.ones(len(users)), shape)
        for part, (users, venues, _) in parts.items()
        if part != "train"
    }
    for matrix in held_out.values():
        matrix.data[:] = 1.0  # a venue listed twice is still one venue to find
    return CheckinSplit(
        prefix=prefix,
        directory=directory,
        world=world,
        held_out=held_out,
        train_users=train_users,
        train_venues=train_venues,
        train_values=train_values,
        friends=friends,
        one_like_per_row=one_like_per_row,
    )


def _columns(path: Path) -> int:
    """The data size file has two or three columns (categories are optional)."""
    if not path.is_file():
        return 3
    first = next((line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()), "")
    return len(first.split()) if len(first.split()) in (2, 3) else 3


def _homes(users, venues, values, lat, lng, n_users) -> tuple[np.ndarray, np.ndarray]:
    """Each user's home: their train venue with the largest value, the lowest venue id among equals."""
    home_lat = np.full(n_users, np.nan)
    home_lng = np.full(n_users, np.nan)
    # Sort by user, then value descending, then venue ascending: the first row of each user wins.
    order = np.lexsort((venues, -values, users))
    first = np.r_[True, users[order][1:] != users[order][:-1]]
    chosen = order[first]
    home_lat[users[chosen]] = lat[venues[chosen]]
    home_lng[users[chosen]] = lng[venues[chosen]]
    return home_lat, home_lng
