"""The front page in a real browser: Debian's chromium, headless, driven by selenium.

It loads `/`, follows the link to the API docs and waits for Swagger UI to draw the schema,
opens a plan's admin page, and opens the dashboard and every admin list at 1366×900 (a laptop's
screen) to check their layout, taking a screenshot of each: into a temporary folder, or into
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
    laptop_screen(browser)
    browser.get(live_server.url + "/admin/")
    assert "Luna today" in wait_for(browser, ".luna-dashboard").text
    browser.save_screenshot(str(screenshots / "admin-dashboard.png"))
    layout = browser.execute_script(MEASURE_DASHBOARD)
    assert layout["page_scrolls"] is False
    assert len(layout["tile_tops"]) == 10 and len(set(layout["tile_tops"])) == 1  # the figures in one row,
    assert layout["tiles_bottom"] <= layout["charts_top"]  # above the charts
    assert len(set(layout["chart_tops"])) == 1  # the two charts side by side
    assert layout["charts_right"] <= layout["apps_left"]  # the app list beside them,
    assert layout["last_app_top"] < LAPTOP[1]  # every app's heading on the first screen


@pytest.mark.django_db(transaction=True)
def test_an_experiments_page_with_its_report_and_chart(browser, live_server, client, screenshots):
    from datetime import timedelta

    import numpy as np
    from django.utils import timezone

    from experiments.models import Experiment, ExperimentArm, Impression, Outcome

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
    browser.get(f"{live_server.url}/admin/experiments/experiment/{experiment.pk}/change/")
    report = wait_for(browser, "table.experiment-report")
    assert "formula (control)" in report.text and "learned" in report.text
    assert "not enough data yet" in wait_for(browser, "#content").text  # 200 impressions an arm
    chart = wait_for(browser, "img[alt='Cumulative click-through per arm']")
    assert browser.execute_script("return arguments[0].naturalWidth", chart) == 700
    browser.execute_script("arguments[0].scrollIntoView()", report)
    browser.save_screenshot(str(screenshots / "admin-experiment.png"))


LAPTOP = (1366, 900)
# What the browser measures on a change list: the last column header's right edge, the page's and the
# results table's scrolling, and the most lines any cell of the list wraps to.
MEASURE_LIST = """
const table = document.querySelector('#result_list');
if (!table) { return null; }
const headers = table.querySelectorAll('thead th');
const results = document.querySelector('#changelist-form .results');
let lines = 1, tallest = '';
for (const cell of table.querySelectorAll('tbody td, tbody th')) {
  const text = document.createRange();
  text.selectNodeContents(cell);
  const count = Math.round(text.getBoundingClientRect().height / parseFloat(getComputedStyle(cell).lineHeight));
  if (count > lines) { lines = count; tallest = cell.innerText; }
}
return {
  viewport: [window.innerWidth, window.innerHeight],
  last_header: headers[headers.length - 1].innerText,
  last_header_right: headers[headers.length - 1].getBoundingClientRect().right,
  results_right: results.getBoundingClientRect().right,
  page_scrolls: document.documentElement.scrollWidth > window.innerWidth,
  results_scroll: results.scrollWidth > results.clientWidth,
  lines: lines,
  tallest: tallest,
};
"""


MEASURE_DASHBOARD = """
const box = (element) => element.getBoundingClientRect();
const apps = document.querySelectorAll('#content-main .app-list > .module, #content-main > .module');
const charts = [...document.querySelectorAll('.luna-dashboard .luna-chart')].map(box);
return {
  page_scrolls: document.documentElement.scrollWidth > window.innerWidth,
  tile_tops: [...document.querySelectorAll('.luna-dashboard .tile')].map((tile) => box(tile).top),
  tiles_bottom: Math.max(...[...document.querySelectorAll('.luna-dashboard .tile')].map((tile) => box(tile).bottom)),
  charts_top: Math.min(...charts.map((chart) => chart.top)),
  chart_tops: charts.map((chart) => Math.round(chart.top)),
  charts_right: Math.max(...charts.map((chart) => chart.right)),
  apps_left: box(document.querySelector('#content-main')).left,
  last_app_top: box(apps[apps.length - 1]).top,
};
"""


def laptop_screen(browser) -> None:
    """Make the page (not the window around it) 1366×900."""
    browser.set_window_size(*LAPTOP)
    inner = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    browser.set_window_size(2 * LAPTOP[0] - inner[0], 2 * LAPTOP[1] - inner[1])


def admin_world() -> None:
    """The demo world (its long venue names), with what the demo has not: bookings (one failed with a
    long error), two trained versions and an experiment."""
    import uuid

    from django.contrib.auth.models import Group
    from django.utils.timezone import now

    from experiments.models import Experiment, ExperimentArm
    from plans.models import Booking, Plan
    from plans.tests.factories import BookingFactory
    from recommendations.models import RankerVersion
    from world.demo import demo_world_load

    demo_world_load()
    Group.objects.create(name="Support")
    booked, failed = Plan.objects.order_by("start_time")[:2]
    Plan.objects.filter(pk__in=[booked.pk, failed.pk]).update(status=Plan.Status.CONFIRMED)
    BookingFactory(plan=booked, status=Booking.Status.BOOKED, external_ref=f"mock-{uuid.uuid4()}", attempts=1)
    BookingFactory(
        plan=failed,
        status=Booking.Status.FAILED,
        attempts=5,
        last_error="The provider did not answer within 10 s (connection reset by peer while reading the response)",
    )
    for version in (1, 2):
        RankerVersion.objects.create(
            version=version,
            is_active=version == 2,
            trained_on={"users": 24, "venues": 20, "user_venue_pairs": 201, "positive_interactions": 148, "edges": 552},
            parameters={"holdout_fraction": 0.25, "seed": 0, "signals": {"bm25": {"k1": 100.0, "b": 0.8}}},
            metrics={
                "learned": {"precision": 0.0875, "recall": 0.3125, "ndcg": 0.2301, "users": 16},
                "formula": {"precision": 0.0625, "recall": 0.25, "ndcg": 0.1988, "users": 16},
            },
            training_seconds=3.2,
            artifact=b"a model",
            artifact_bytes=7_340_032,
        )
    experiment = Experiment.objects.create(
        name="learned-vs-formula", description="Does the learned ranker help?", status="running", started_at=now()
    )
    ExperimentArm.objects.create(experiment=experiment, name="formula", ranker="formula", is_control=True)
    ExperimentArm.objects.create(experiment=experiment, name="learned", ranker="learned", model_version=2)


@pytest.mark.django_db(transaction=True)
def test_every_admin_list_fits_a_laptop_screen(browser, live_server, client, screenshots):
    """At 1366×900, with the navigation sidebar open as it is at first: every column of every list is on
    screen without scrolling sideways, and no cell wraps to more than two lines."""
    from django.contrib import admin
    from django.urls import reverse

    admin_world()
    client.force_login(UserFactory(handle="root", is_staff=True, is_superuser=True))
    browser.get(live_server.url + "/admin/login/")
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})
    laptop_screen(browser)
    overflowing = {}
    for model in admin.site._registry:
        opts = model._meta
        browser.get(live_server.url + reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        wait_for(browser, "#changelist")
        found = browser.execute_script(MEASURE_LIST)
        assert found is not None, f"{opts.label}: an empty list"
        assert found["viewport"] == list(LAPTOP)
        browser.save_screenshot(str(screenshots / f"admin-list-{opts.app_label}-{opts.model_name}.png"))
        if (
            found["last_header_right"] > found["results_right"]
            or found["page_scrolls"]
            or found["results_scroll"]
            or found["lines"] > 2
        ):
            overflowing[opts.label] = found
    assert not overflowing, "\n".join(f"{label}: {found}" for label, found in overflowing.items())


@pytest.mark.django_db(transaction=True)
def test_a_ranker_versions_figures_read_as_tables(browser, live_server, client, screenshots):
    from recommendations.models import RankerVersion

    admin_world()
    served = RankerVersion.objects.get(is_active=True)
    client.force_login(UserFactory(handle="root", is_staff=True, is_superuser=True))
    browser.get(live_server.url + "/admin/login/")
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})
    laptop_screen(browser)
    browser.get(f"{live_server.url}/admin/recommendations/rankerversion/{served.pk}/change/")
    metrics = wait_for(browser, ".field-metrics_table table.figures")
    assert "precision 0.0875" in metrics.text and "{" not in wait_for(browser, "#content").text
    assert "Delete" not in wait_for(browser, ".submit-row").text  # the served version stays
    browser.execute_script("arguments[0].scrollIntoView()", wait_for(browser, ".field-trained_on_table"))
    browser.save_screenshot(str(screenshots / "admin-ranker-version.png"))
