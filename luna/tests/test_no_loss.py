"""No interaction is lost when many clients post at once to a live server."""

from __future__ import annotations

import json
import threading
import urllib.request

import pytest
from django.db import connection

from luna.tests.caches import with_rates
from users.models import Token
from users.services import auth_token_create
from users.tests.factories import UserFactory
from venues.models import Interaction
from venues.tests.factories import VenueFactory

# Many clients on a live server: `make test-fast` leaves it out.
pytestmark = pytest.mark.slow

CLIENTS = 8
POSTS_PER_CLIENT = 250


ON_POSTGRES = connection.vendor == "postgresql"


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: concurrent writers on real connections")
@pytest.mark.django_db(transaction=True)
def test_eight_clients_posting_250_interactions_each_store_exactly_2000_rows(live_server, settings):
    # Far above the per-user limit of a real client; this test is about the writes, not the throttle.
    with_rates(settings, interactions="1000/minute")
    venue = VenueFactory()
    tokens = [auth_token_create(user=UserFactory()) for _ in range(CLIENTS)]
    url = f"{live_server.url}/venues/{venue.id}/interactions/"
    statuses: list[list[int]] = [[] for _ in range(CLIENTS)]

    def post_many(index: int) -> None:
        body = json.dumps({"interaction_type": "like", "dwell_time_seconds": 30}).encode()
        for _ in range(POSTS_PER_CLIENT):
            request = urllib.request.Request(
                url,
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "Authorization": f"Token {tokens[index]}"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                statuses[index].append(response.status)

    threads = [threading.Thread(target=post_many, args=(index,)) for index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert [len(client_statuses) for client_statuses in statuses] == [POSTS_PER_CLIENT] * CLIENTS
    assert {status for client_statuses in statuses for status in client_statuses} == {201}
    assert Interaction.objects.filter(venue=venue).count() == CLIENTS * POSTS_PER_CLIENT
    for token in tokens:
        user = Token.objects.get(digest=Token.digest_of(token)).user
        assert Interaction.objects.filter(user=user).count() == POSTS_PER_CLIENT
