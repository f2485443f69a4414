"""The admin's Data page in a real browser (headless chromium at 1366×900), with its screenshots:
the page, a dry run's preview with its errors, and a running synthetic world's progress bar moving
without a reload. `LUNA_SCREENSHOTS=1` keeps them in docs/screenshots/ (see luna/tests/test_browser.py)."""

from __future__ import annotations

import pytest

from luna.tests.test_browser import CHROMEDRIVER, CHROMIUM, wait_for
from luna.tests.test_browser import browser as browser  # noqa: F401 - the fixture
from luna.tests.test_browser import screenshots as screenshots  # noqa: F401 - the fixture
from users.tests.factories import UserFactory
from world import data_jobs
from world.models import DataJob

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver (.ci/run installs them)"
    ),
]

VENUES = (
    "id,name,description,category,lat,lng,price_level,rating\n"
    ",Sunset Bar,Rooftop drinks.,bar,40.73,-73.99,3,4.7\n"
    ",Nowhere,,bar,999,-73.9,,\n"
    ",Corner Cafe,Coffee.,cafe,40.74,-73.98,7,4.1\n"
    ",Blue Note,Jazz.,music,40.73,-74.0,2,4.9\n"
)


def signed_in(browser, live_server, client):  # noqa: F811
    root = UserFactory(handle="root", name="Rita Root", is_staff=True, is_superuser=True)
    client.force_login(root)
    browser.set_window_size(1366, 900)
    # A page of 1366×900 inside the window: add what the window's own frame takes.
    browser.set_window_size(1366, 900 + 900 - browser.execute_script("return window.innerHeight"))
    browser.get(live_server.url + "/admin/login/")
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})
    return root


@pytest.mark.django_db(transaction=True)
def test_the_data_page_and_a_dry_run_with_errors(browser, live_server, client, screenshots, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By

    signed_in(browser, live_server, client)
    browser.get(live_server.url + "/admin/")
    browser.find_element(By.LINK_TEXT, "Load or import data ›").click()
    assert "Generate a synthetic world" in wait_for(browser, ".luna-data").text
    browser.save_screenshot(str(screenshots / "admin-data.png"))

    venues = tmp_path / "venues.csv"
    venues.write_text(VENUES)
    browser.find_element(By.ID, "id_file_venues").send_keys(str(venues))
    browser.find_element(By.CSS_SELECTOR, "button[name=dry_run][value=on]").click()
    wait_for(browser, "#import-result")
    result = browser.find_element(By.ID, "job").text
    assert "venues.csv line 3, field 'lat': Ensure this value is less than or equal to 90." in result
    assert "venues.csv line 4, field 'price_level': Ensure this value is less than or equal to 4." in result
    browser.save_screenshot(str(screenshots / "admin-data-dry-run.png"))


@pytest.mark.django_db(transaction=True)
def test_a_running_synthetic_world_shows_its_progress_without_a_reload(browser, live_server, client, screenshots):  # noqa: F811
    root = signed_in(browser, live_server, client)
    # A job as a worker leaves it mid-way (the worker itself is not part of this test).
    job = DataJob.objects.create(
        kind="synthetic",
        stage="interactions",
        started_by=root,
        parameters={
            "spec": {"users": 10_000, "venues": 100_000, "interactions": 1_000_000, "degree": 20, "random_seed": 42}
        },
    )
    data_jobs.data_job_progress(job.pk, "interactions", 300_000, 1_000_000)
    browser.get(live_server.url + "/admin/data/")
    assert "300,000 / 1,000,000 (30%)" in wait_for(browser, "#job").text

    data_jobs.data_job_progress(job.pk, "interactions", 700_000, 1_000_000)

    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(lambda _: "700,000 / 1,000,000 (70%)" in browser.find_element("id", "job").text)
    browser.save_screenshot(str(screenshots / "admin-data-progress.png"))
