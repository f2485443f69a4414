"""The evaluation protocol through the API itself: what an imported split's users get from /reco/venues/.

For every held-out user of the split, in-process and as staff, `GET /reco/venues/{id}/?limit=k&
exclude_interacted=true` is asked, and its lists are measured like the offline ones. The split
must have been imported with `import_checkins` (its ids are the mapping back to positions).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from rest_framework.test import APIClient

from evaluation.checkins import CheckinError, user_uuid, venue_of_uuid, venue_uuid
from ranking.metrics import Evaluation, evaluated_users, score_lists
from ranking.world import World
from recommendations.models import RankerVersion
from recommendations.services import SERVED_RANKERS
from users.models import User
from venues.models import Venue


def api_measure(
    name: str,
    world: World,
    held_out: sp.csr_matrix,
    *,
    k: int,
    curve_to: int,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    if name not in SERVED_RANKERS:
        raise CheckinError(f"The API serves {', '.join(sorted(SERVED_RANKERS))}, not {name}.")
    if not Venue.objects.filter(pk=venue_uuid(world.n_venues - 1)).exists():
        raise CheckinError("This split is not in the database: run import_checkins on it first.")
    if name == "learned" and not RankerVersion.objects.filter(is_active=True).exists():
        raise CheckinError("No trained model is active to answer as `learned`: run train_ranker after import_checkins.")
    started = time.perf_counter()
    client = APIClient()
    client.force_authenticate(User(handle="evaluation", name="Evaluation", is_staff=True))
    users = evaluated_users(world, held_out)
    depth = max(k, curve_to)
    lists = []
    for done, user in enumerate(users.tolist(), start=1):
        response = client.get(
            f"/reco/venues/{user_uuid(user)}/", {"limit": depth, "exclude_interacted": "true", "ranker": name}
        )
        if response.status_code != 200:
            raise CheckinError(
                f"GET /reco/venues/ for user {user} answered {response.status_code}: {response.content!r}"
            )
        lists.append(np.array([venue_of_uuid(uuid.UUID(row["venue_id"])) for row in response.json()], dtype=np.int64))
        if progress is not None and (done % 256 == 0 or done == len(users)):
            progress(done, len(users))
    return score_lists(lists, users, held_out, n_venues=world.n_venues, k=k, curve_to=curve_to, started=started)
