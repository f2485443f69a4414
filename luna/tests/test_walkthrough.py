"""The README's walkthrough (tools/walkthrough.sh, what `make demo` runs) against a live server."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from plans.models import Booking, Plan
from users.models import User
from venues.tests.factories import VenueFactory

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "walkthrough.sh"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="the walkthrough uses curl")
@pytest.mark.django_db(transaction=True)
def test_the_walkthrough_goes_from_signup_to_a_booked_plan_printing_curl_lines_to_paste(live_server, settings):
    settings.CELERY_BROKER_URL = ""  # the booking agent runs in the server, as make run serves it
    VenueFactory(name="Corner Bistro", lat=40.7251, lng=-73.9851, category="restaurant")
    VenueFactory(name="Café Lumière", lat=40.7252, lng=-73.9852, category="cafe")
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

    # Names as they are, every answer whole, and curl lines that can be pasted.
    assert '"venue_name": "Café Lumière"' in result.stdout and "\\u00e9" not in result.stdout
    assert "[… cut" not in result.stdout
    curl_lines = [line.removeprefix("$ ") for line in result.stderr.splitlines() if line.startswith("$ curl ")]
    assert len(curl_lines) == 14
    assert all(f"'{live_server.url}/" in line and "-H 'Content-Type: application/json'" in line for line in curl_lines)
    reco = next(line for line in curl_lines if "/reco/venues/" in line)
    assert '-H "Authorization: Token $ZOE"' in reco
    tokens = dict(re.findall(r"\b(ZOE|YANN)=(\S+)", result.stdout))
    assert set(tokens) == {"ZOE", "YANN"}
    # Pasted into a shell that has ZOE, the line asks again and gets Zoe's venues.
    pasted = subprocess.run(
        ["bash", "-c", reco], env={**os.environ, **tokens}, capture_output=True, text=True, timeout=30
    )
    assert pasted.returncode == 0, pasted.stderr
    assert "Café Lumière" in {venue["venue_name"] for venue in json.loads(pasted.stdout)}


def show(json_text: str, lines: int) -> str:
    """The walkthrough's `show`, on its own: what it prints for this JSON, cut after `lines` lines."""
    script = f"eval \"$(sed -n '/^show() {{/,/^}}/p' {SCRIPT})\"; SHOW_LINES={lines}; show"
    result = subprocess.run(["bash", "-c", script], input=json_text, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_long_answer_is_cut_with_a_line_saying_how_much_is_left_out():
    answer = json.dumps({"results": [{"venue_name": f"Venue {number}"} for number in range(10)]})
    whole = json.dumps(json.loads(answer), indent=2)

    printed = show(answer, lines=5).splitlines()

    assert printed[:5] == whole.splitlines()[:5]
    left_out = len(whole) - len("\n".join(whole.splitlines()[:5]))
    assert printed[5:] == [
        f"[… cut: {len(whole.splitlines()) - 5} more lines, {left_out} more characters; LUNA_DEMO_LINES=0 prints all]"
    ]
    assert show(answer, lines=0) == whole + "\n"
