"""User-kNN (people_like_you: uknn, uknn_idf): the visits of the people most similar to the user, by
cosine over who-visited-what, plain and idf-weighted."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ranking.topk import largest

if TYPE_CHECKING:
    from ranking.signals.pool import Reference


def neighbours(
    reference: Reference, liked: list[np.ndarray], own: np.ndarray, count: int
) -> dict[str, tuple[sp.csr_matrix, int]]:
    """User-kNN, plain and idf-weighted, for a batch of users (their liked venues; `own`: their rows in
    the reference, -1 when not in it): the visits of the `count` people most similar (cosine) to each
    user, weighted by that similarity. {"uknn": (went, 0), "uknn_idf": (went, len(liked))}: one sparse
    (2 x users, V) matrix, each kind's rows from the offset given."""
    lengths = np.array([len(venues) for venues in liked])
    columns = np.concatenate(liked)
    rows = np.repeat(np.arange(len(liked)), lengths)
    people = reference.visits.shape[0]
    # Who shares each liked venue, counted straight into a (users x people) grid: both kinds from
    # one list of (user, person) pairs, the plain weight 1 per shared venue, the idf one idf^2.
    visitors = reference.visits_t[columns]
    shared = np.diff(visitors.indptr)
    cells = np.repeat(rows * people, shared) + visitors.indices
    idf_squared = reference.idf[columns].astype(np.float64) ** 2
    plain = np.bincount(cells, minlength=len(liked) * people).reshape(len(liked), people)
    weighted = np.bincount(cells, weights=np.repeat(idf_squared, shared), minlength=len(liked) * people)
    similarity = np.concatenate([plain.astype(np.float64), weighted.reshape(len(liked), people)])
    idf_totals = np.bincount(rows, weights=idf_squared, minlength=len(liked))
    similarity[: len(liked)] /= np.sqrt(lengths)[:, None] * np.maximum(reference.norms, 1e-12)[None, :]
    similarity[len(liked) :] /= (
        np.sqrt(np.maximum(idf_totals, 1e-12))[:, None] * np.maximum(reference.idf_norms, 1e-12)[None, :]
    )
    went = visits_of_nearest(reference, similarity, np.concatenate([own, own]), count)
    return {"uknn": (went, 0), "uknn_idf": (went, len(liked))}


def visits_of_nearest(reference: Reference, similarity: np.ndarray, own: np.ndarray, count: int) -> sp.csr_matrix:
    """(users, V) sparse: per row of `similarity` (users, people), the visits of its `count` most similar people."""
    users, people = similarity.shape
    known = own >= 0
    similarity[np.flatnonzero(known), own[known]] = 0.0  # not one's own neighbour
    nearest = []  # per row, the people kept (ascending): the most similar, ties to the lowest rows
    for values in similarity:
        positive = np.flatnonzero(values > 0)
        nearest.append(positive[largest(values[positive], count)])
    kept = np.concatenate(nearest)
    weights = sp.csr_matrix(
        (
            similarity[np.repeat(np.arange(users), [len(row) for row in nearest]), kept].astype(np.float32),
            kept,
            np.r_[0, np.cumsum([len(row) for row in nearest])],
        ),
        shape=(users, people),
    )
    return (weights @ reference.visits).tocsr()
