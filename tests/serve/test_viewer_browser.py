"""The trace viewer in a real headless Chromium (Debian's chromium, driven by Playwright):
a run started through the API shows up, its steps appear while it goes, the timeline opens.
Screenshots are saved in the test's tmp dir."""

from __future__ import annotations

import os
import shutil

import httpx
import pytest
from serving import running_server, scripted_config

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("TOOLWEAVE_CHROMIUM") or shutil.which("chromium") or (
    "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser():
    if CHROMIUM is None:
        pytest.skip("no chromium found (apt-get install chromium, or set TOOLWEAVE_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_a_runs_steps_appear_live_in_the_viewer_and_its_timeline_opens(browser, tmp_path):
    config = scripted_config(tmp_path, keys=["viewer-key"])
    config["models"]["slow"]["options"]["delay_s"] = 0.8  # time to see it go
    with running_server(config) as url:
        auth = {"Authorization": "Bearer viewer-key"}
        api = httpx.Client(base_url=url, headers=auth, timeout=20)
        tricky = api.post("/v1/runs", json={"question": "<b>6 * 7</b>"}).json()["id"]
        api.get(f"/v1/runs/{tricky}", params={"wait": 10})
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{url}/#key=viewer-key")
        page.wait_for_function("document.querySelectorAll('#agent option').length === 2")
        run_id = api.post("/v1/runs", json={"question": "What is 2 + 3?", "agent": "slow"}
                          ).json()["id"]
        page.evaluate(f"location.hash = 'run={run_id}'")

        page.wait_for_selector("#steps li.step:not(.pending)", timeout=15_000)
        # the first step is on the page while the run is still going: it came live
        assert api.get(f"/v1/runs/{run_id}").json()["status"] == "running"
        page.screenshot(path=str(tmp_path / "viewer-live.png"))

        page.wait_for_function(
            "document.getElementById('run-status')?.textContent === 'completed'",
            timeout=20_000)
        steps = page.locator("#steps li.step")
        assert steps.count() == 4
        assert "calculator(" in steps.nth(0).inner_text() and "→ 5" in steps.nth(0).inner_text()
        assert page.locator("#run-answer").inner_text() == "The answer is 5."
        assert "key=" not in page.url  # the key left the address bar

        runs = page.locator("#runs li")
        page.wait_for_function("document.querySelectorAll('#runs li').length === 2")
        assert "What is 2 + 3?" in runs.nth(0).inner_text()
        # a question is shown as text, never as markup
        assert "<b>6 * 7</b>" in runs.nth(1).inner_text()
        assert page.locator("#runs b").count() == 0

        page.click("#tab-timeline")
        page.wait_for_selector("#timeline .bar")
        assert page.locator("#timeline .lane").count() == 4
        assert page.locator("#timeline .bar.tool").count() == 3
        page.screenshot(path=str(tmp_path / "viewer-timeline.png"), full_page=True)
        assert (tmp_path / "viewer-live.png").stat().st_size > 1000
        assert errors == []


def test_the_viewer_asks_for_a_key_when_the_server_needs_one(browser, tmp_path):
    with running_server(scripted_config(tmp_path, keys=["k"])) as url:
        page = browser.new_page()
        page.goto(url + "/")
        page.wait_for_selector("#key-form", state="visible")
        assert "API key" in page.locator("#error").inner_text()
        page.fill("#key", "k")
        page.click("#key-form button")
        page.wait_for_function("document.querySelectorAll('#agent option').length === 2")
        assert page.locator("#error").is_hidden() and page.locator("#key-form").is_hidden()


def test_a_dag_runs_plan_shows_each_tasks_state(browser, tmp_path):
    config = scripted_config(tmp_path)
    config["models"]["planner"] = {"factory": "toolweave.serve.scripted_model:calculator_plan",
                                   "options": {"delay_s": 0.3}}
    config["agents"]["planner"] = {"model": "planner", "settings": {"strategy": "dag"}}
    with running_server(config) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url + "/")
        run_id = httpx.post(f"{url}/v1/runs", json={"question": "What is 2 + 3, doubled?",
                                                    "agent": "planner"}).json()["id"]
        page.evaluate(f"location.hash = 'run={run_id}'")
        page.wait_for_selector("#tab-plan", state="visible", timeout=15_000)
        page.click("#tab-plan")
        page.wait_for_function(
            "document.getElementById('run-status')?.textContent === 'completed'")
        tasks = page.locator("#plan li.task")
        assert tasks.count() == 2
        assert [tasks.nth(i).get_attribute("data-state") for i in range(2)] == ["done", "done"]
        assert "$1 * 2" in tasks.nth(1).inner_text() and "→ 10" in tasks.nth(1).inner_text()
        assert page.locator("#run-answer").inner_text() == "10"
        page.screenshot(path=str(tmp_path / "viewer-plan.png"), full_page=True)
        # opened again after the run: the plan's states come from the stored trace
        page.reload()
        page.wait_for_selector("#tab-plan", state="visible")
        page.click("#tab-plan")
        assert page.locator("#plan li.task[data-state=done]").count() == 2


@pytest.mark.model
def test_a_run_on_tiny_shows_its_steps_in_the_viewer(browser, tmp_path):
    """The issue's check on a real model: run under ``flock /tmp/model.lock``."""
    pytest.importorskip("llama_cpp")
    config = scripted_config(tmp_path)
    config["models"]["tiny"] = {"spec": "tiny"}
    config["agents"]["tiny"] = {"model": "tiny",
                                "settings": {"max_steps": 3, "tool_choice": "first"}}
    with running_server(config) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url + "/")
        run_id = httpx.post(f"{url}/v1/runs", json={
            "question": "What is 17 * 23?", "agent": "tiny"}).json()["id"]
        page.evaluate(f"location.hash = 'run={run_id}'")
        page.wait_for_selector("#steps li.step:not(.pending)", timeout=120_000)
        page.wait_for_function(
            "['completed', 'failed'].includes(document.getElementById('run-status')?.textContent)",
            timeout=180_000)
        assert page.locator("#run-status").inner_text() == "completed"
        assert "prompt sent" in page.locator("#steps").inner_text()
        assert "calculator(" in page.locator("#steps").inner_text()  # the first turn calls
        page.click("#tab-timeline")
        page.wait_for_selector("#timeline .bar.model")
        page.screenshot(path=str(tmp_path / "viewer-tiny.png"), full_page=True)
