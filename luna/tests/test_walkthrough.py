"""The README's walkthrough (tools/walkthrough.sh, what `make demo` runs) against a live server."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from plans.models import Booking, Plan
from users.models import User
from venues.tests.factories import VenueFactory

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "walkthrough.sh"


@pytest.mark.skipif(shutil.which("curl") is None, reason="the walkthrough uses curl")
@pytest.mark.django_db(transaction=True)
def test_the_walkthrough_goes_from_signup_to_a_booked_plan(live_server, settings):
    settings.CELERY_BROKER_URL = ""  # the booking agent runs in the server, as make run serves it
    VenueFactory(name="Corner Bistro", lat=40.7251, lng=-73.9851, category="restaurant")
    result = subprocess.run(
        ["bash", str(SCRIPT)],
        env={**os.environ, "LUNA_URL": live_server.url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    steps = [line for line in result.stdout.splitlines() if line.startswith("== ")]
    assert len(steps) == 9 and steps[-1] == "== 9. The booking"
    assert '"venue_name": "Corner Bistro"' in result.stdout  # recommended to Zoe
    assert '"handle": "yann-' in result.stdout  # whom to bring: her friend
    zoe = User.objects.get(handle__startswith="zoe-")
    plan = Plan.objects.get(organizer=zoe)
    assert plan.status == Plan.Status.CONFIRMED
    assert Booking.objects.get(plan=plan).status == Booking.Status.BOOKED
    assert f"plan {plan.pk}" in result.stdout
