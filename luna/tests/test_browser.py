"""The front page in a real browser: Debian's chromium, headless, driven by selenium.

It loads `/`, follows the link to the API docs and waits for Swagger UI to draw the schema, and
opens a plan's admin page, taking a screenshot of each: into a temporary folder, or into
docs/screenshots/ with `LUNA_SCREENSHOTS=1 make test` (how the ones there were taken).
Skipped where chromium and chromedriver are not installed (`.ci/run` installs them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from plans.models import PlanParticipant
from plans.tests.factories import PlanFactory, PlanParticipantFactory
from users.tests.factories import UserFactory
from venues.tests.factories import VenueFactory

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver (.ci/run installs them)"
    ),
]


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = DOCS_SCREENSHOTS if os.environ.get("LUNA_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def wait_for(browser, css: str, timeout: float = 20):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css))
    )


@pytest.mark.django_db(transaction=True)
def test_the_front_page_leads_to_the_api_docs_which_render(browser, live_server, screenshots):
    from selenium.webdriver.common.by import By

    browser.get(live_server.url + "/")
    assert browser.title == "Luna"
    links = {link.text: link.get_attribute("href") for link in browser.find_elements(By.CSS_SELECTOR, "nav a")}
    assert set(links) == {"Admin", "API docs (Swagger UI)", "API reference (ReDoc)", "OpenAPI schema", "Health"}
    assert browser.save_screenshot(str(screenshots / "front-page.png"))

    browser.find_element(By.LINK_TEXT, "API docs (Swagger UI)").click()
    title = wait_for(browser, ".swagger-ui .info .title")
    assert "Luna" in title.text
    assert len(browser.find_elements(By.CSS_SELECTOR, ".opblock")) > 20  # every operation is drawn
    browser.save_screenshot(str(screenshots / "api-docs.png"))


@pytest.mark.django_db(transaction=True)
def test_a_plan_page_in_the_admin(browser, live_server, client, screenshots):
    from selenium.webdriver.common.by import By

    root = UserFactory(handle="root", is_staff=True, is_superuser=True)
    alice, bob = UserFactory(handle="alice"), UserFactory(handle="bob")
    plan = PlanFactory(organizer=alice, venue=VenueFactory(name="Blue Note", category="music"))
    PlanParticipantFactory(plan=plan, user=alice, status=PlanParticipant.Status.ACCEPTED)
    PlanParticipantFactory(plan=plan, user=bob, status=PlanParticipant.Status.INVITED)
    client.force_login(root)
    browser.get(live_server.url + "/admin/login/")
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})
    browser.get(f"{live_server.url}/admin/plans/plan/{plan.pk}/change/")
    assert "Suggested for the group" in wait_for(browser, "#content").text
    assert browser.find_element(By.CSS_SELECTOR, "h1").text.startswith("Change plan")
    browser.save_screenshot(str(screenshots / "admin-plan.png"))


@pytest.mark.django_db(transaction=True)
def test_the_browsable_api_in_a_browser(browser, live_server, client, screenshots):
    VenueFactory(name="Blue Note", category="music")
    staff = UserFactory(handle="root", is_staff=True, is_superuser=True)
    client.force_login(staff)
    browser.get(live_server.url + "/admin/login/")
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})
    browser.get(live_server.url + "/venues/")
    assert "Blue Note" in wait_for(browser, ".response-info").text
    browser.save_screenshot(str(screenshots / "browsable-api.png"))


@pytest.mark.django_db(transaction=True)
def test_the_admin_dashboard(browser, live_server, client, screenshots):
    from plans.models import Booking
    from plans.tests.factories import BookingFactory
    from venues.tests.factories import InteractionFactory

    people = UserFactory.create_batch(4)
    venues = [VenueFactory(name=name) for name in ("Blue Note", "Sunset Bar", "Corner Cafe")]
    for index, person in enumerate(people):
        for venue in venues[: index % 3 + 1]:
            InteractionFactory(user=person, venue=venue, interaction_type="like")
    BookingFactory(plan=PlanFactory(confirmed=True), status=Booking.Status.BOOKED)
    BookingFactory(plan=PlanFactory(confirmed=True), status=Booking.Status.FAILED)
    for person in people:
        client.force_login(person)
        client.get(f"/reco/venues/{person.pk}/", {"limit": 3})  # recorded as shown
    client.force_login(UserFactory(handle="root", is_staff=True, is_superuser=True))
    browser.get(live_server.url + "/admin/login/")
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})
    browser.get(live_server.url + "/admin/")
    assert "Luna today" in wait_for(browser, ".luna-dashboard").text
    browser.set_window_size(1280, 1400)
    browser.save_screenshot(str(screenshots / "admin-dashboard.png"))


@pytest.mark.django_db(transaction=True)
def test_an_experiments_page_with_its_report_and_chart(browser, live_server, client, screenshots):
    from datetime import timedelta

    import numpy as np
    from django.utils import timezone

    from recommendations.models import Experiment, ExperimentArm, Impression, Outcome

    experiment = Experiment.objects.create(name="learned-vs-formula", status="running", started_at=timezone.now())
    ExperimentArm.objects.create(experiment=experiment, name="formula", ranker="formula", is_control=True)
    ExperimentArm.objects.create(experiment=experiment, name="learned", ranker="learned")
    people, venues = UserFactory.create_batch(40), [VenueFactory() for _ in range(5)]
    rng, start = np.random.default_rng(0), timezone.now() - timedelta(hours=30)
    for index, person in enumerate(people):
        arm = ("formula", "learned")[index % 2]
        for hour in range(0, 30, 3):
            shown = Impression.objects.create(
                recommendation_id=f"00000000-0000-0000-0000-{index:06d}{hour:06d}", user=person,
                venue=venues[hour % 5], rank=1, ranker=arm, experiment=experiment, arm=arm,
                created_at=start + timedelta(hours=hour),
            )  # fmt: skip
            if rng.random() < (0.08 if arm == "formula" else 0.14):
                Outcome.objects.create(impression=shown, kind="like", created_at=shown.created_at)
    client.force_login(UserFactory(handle="root", is_staff=True, is_superuser=True))
    browser.get(live_server.url + "/admin/login/")
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})
    browser.get(f"{live_server.url}/admin/recommendations/experiment/{experiment.pk}/change/")
    report = wait_for(browser, "table.experiment-report")
    assert "formula (control)" in report.text and "learned" in report.text
    assert "not enough data yet" in wait_for(browser, "#content").text  # 200 impressions an arm
    chart = wait_for(browser, "img[alt='Cumulative click-through per arm']")
    assert browser.execute_script("return arguments[0].naturalWidth", chart) == 700
    browser.execute_script("arguments[0].scrollIntoView()", report)
    browser.save_screenshot(str(screenshots / "admin-experiment.png"))
