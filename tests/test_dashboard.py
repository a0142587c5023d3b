"""The dashboard: the model factory behind the sliders, the command's checks, and the full app
served by ``solara run ... --production`` in a subprocess, driven by Playwright in Debian's
headless chromium (page loads without console errors; stepping changes a plotted value; moving a
slider and resetting changes the model's parameter).

The browser tests need ``/usr/bin/chromium`` (``.ci/run`` installs it) and the offline Solara
assets (``scripts/solara_offline_assets.sh``, run by ``make install``; the fixture runs it too
when they are missing).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from restructuring_sim.cli import app

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "experiments" / "scenarios" / "baseline.toml"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
START_TIMEOUT = 120  # seconds for the server to answer


# ------------------------------------------------------------------------- model factory


def test_factory_maps_sliders_onto_the_scenario(monkeypatch):
    monkeypatch.setenv("RESTRUCTURING_SIM_SCENARIO", str(BASELINE))
    from restructuring_sim.viz.dashboard import DashboardModel, defaults

    untouched = DashboardModel(n_firms=100)
    base = defaults()
    assert untouched.lever_values == pytest.approx(base)
    moved = DashboardModel(n_firms=100, trade_openness=0.3, ict_cost=0.5, safety_net=0.9)
    assert moved.lever_values["trade_openness"] == pytest.approx(0.3)
    assert moved.lever_values["ict_cost"] == pytest.approx(0.5)
    assert moved.lever_values["safety_net"] == pytest.approx(0.9)
    path = moved.scenario.policy.trade_openness
    assert len(moved.scenario.to_dict()["policy"]["trade_openness"]) == 2  # still a path
    assert path is not None
    assert len(moved.firms) == 100


def test_factory_runs_to_the_end_without_raising(monkeypatch):
    monkeypatch.delenv("RESTRUCTURING_SIM_SCENARIO", raising=False)
    from restructuring_sim.viz.dashboard import (
        DashboardModel,
        network_figure,
        series_figure,
        yearly_series,
    )

    model = DashboardModel(n_firms=100, seed=2)
    while model.running:
        model.step()
    assert model.finished
    model.step()  # past the end: stops, no exception
    table = yearly_series(model)
    assert list(table.index) == list(range(1988, 2001))
    network_figure(model)
    series_figure(model)


def test_factory_does_not_disturb_the_model(monkeypatch):
    """Drawing never draws from the model's generator: a drawn run equals an undrawn one."""
    monkeypatch.delenv("RESTRUCTURING_SIM_SCENARIO", raising=False)
    from restructuring_sim.viz.dashboard import DashboardModel, network_figure

    drawn, plain = DashboardModel(n_firms=100, seed=3), DashboardModel(n_firms=100, seed=3)
    for _ in range(8):
        drawn.step()
        plain.step()
        network_figure(drawn)
    a, b = drawn.events.to_arrow(), plain.events.to_arrow()
    assert a.drop_columns(["value"]).equals(b.drop_columns(["value"]))
    assert np.array_equal(a["value"].to_numpy(), b["value"].to_numpy(), equal_nan=True)


def test_dashboard_command_rejects_bad_scenario_and_port(tmp_path):
    missing = tmp_path / "none.toml"
    result = CliRunner().invoke(app, ["dashboard", str(missing)])
    assert result.exit_code == 2 and str(missing) in result.output
    result = CliRunner().invoke(app, ["dashboard", str(BASELINE), "--port", "70000"])
    assert result.exit_code == 2 and "--port" in result.output


# ------------------------------------------------------------------------- browser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assets_present() -> bool:
    cdn = Path(sys.prefix) / "share" / "solara" / "cdn"
    return all((cdn / name / "package.json").is_file()
               for name in ("vega@5", "vega-lite@5", "vega-embed@6", "katex@0.16.9"))


@pytest.fixture(scope="module")
def server():
    """The dashboard served by ``solara run --production`` on a free loopback port."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    pytest.importorskip("playwright")
    if not assets_present() and shutil.which("npm"):
        subprocess.run(["bash", str(ROOT / "scripts" / "solara_offline_assets.sh"),
                        sys.prefix], check=True, capture_output=True)
    from restructuring_sim.viz.dashboard_server import command, server_env

    port = free_port()
    env = server_env(BASELINE)
    log = open(os.devnull, "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(command(port), env=env, stdout=log, stderr=subprocess.STDOUT,
                            cwd=ROOT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail(f"dashboard server did not start (exit {proc.poll()})")
        time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


@pytest.fixture
def browser_page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                    headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        page.goto(server, wait_until="networkidle", timeout=90_000)
        page.wait_for_selector("#rs-steps", timeout=90_000)
        yield page, problems
        browser.close()


def test_page_loads_without_errors(browser_page):
    page, problems = browser_page
    assert page.inner_text("#rs-steps") == "0"
    assert page.get_by_role("button", name="Step").is_visible()
    assert page.get_by_role("button", name="Reset").is_visible()
    assert page.locator(".v-input").filter(has_text="Trade openness").count() == 1
    assert page.locator("img").count() >= 2  # the network and the series
    page.wait_for_timeout(1000)
    assert problems == []


def test_step_changes_the_plotted_values(browser_page):
    page, problems = browser_page
    assert page.inner_text("#rs-steps") == "0"  # every session starts its own model
    images = page.locator("img")
    before = [images.nth(i).get_attribute("src") for i in range(images.count())]
    quarter = page.inner_text("#rs-quarter")
    step = page.get_by_role("button", name="Step")
    for expected in ("1", "2"):
        step.click()
        page.wait_for_function(
            f"document.querySelector('#rs-steps').textContent === '{expected}'",
            timeout=60_000)
    page.wait_for_function(
        "srcs => Array.from(document.querySelectorAll('img')).some((im, i) => "
        "im.getAttribute('src') !== srcs[i])", arg=before, timeout=60_000)
    assert page.inner_text("#rs-quarter") != quarter
    assert problems == []


def test_slider_and_reset_change_the_model(browser_page):
    page, problems = browser_page
    assert "trade_openness = 0.80" in page.inner_text("#rs-levers")
    thumb = page.locator(".v-input").filter(has_text="Trade openness").locator("[role=slider]")
    thumb.focus()
    page.keyboard.press("Home")  # the slider's minimum, 0.0
    page.wait_for_function(
        "el => el.getAttribute('aria-valuenow') === '0'", arg=thumb.element_handle(),
        timeout=30_000)
    assert "trade_openness = 0.80" in page.inner_text("#rs-levers")  # not before Reset
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function(
        "document.querySelector('#rs-levers').textContent.includes('trade_openness = 0.00')",
        timeout=60_000)
    assert page.inner_text("#rs-steps") == "0"
    assert problems == []


# ------------------------------------------------------------------------- process


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def _running(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads child processes from /proc")
def test_sigterm_to_the_dashboard_stops_its_server():
    port = free_port()
    exe = Path(sys.executable).with_name("restructuring-sim")
    proc = subprocess.Popen([str(exe), "dashboard", str(BASELINE), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(url):
            assert proc.poll() is None, f"dashboard exited early ({proc.returncode})"
            assert time.monotonic() < deadline, "dashboard server did not start"
            time.sleep(0.5)
        servers = _children(proc.pid)
        assert servers, "the server runs as a child process"
        proc.terminate()  # SIGTERM to the dashboard only, as `kill PID` sends it
        assert proc.wait(timeout=30) == 0
        deadline = time.monotonic() + 15
        while any(_running(pid) for pid in servers):
            assert time.monotonic() < deadline, f"server {servers} outlived the dashboard"
            time.sleep(0.2)
        assert not _answers(url)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sliders_show_their_values_and_the_page_says_its_size(monkeypatch):
    import solara

    from restructuring_sim import load_scenario
    from restructuring_sim.viz import dashboard

    element = solara.SliderFloat("x", value=0.4, min=0.0, max=1.0)
    assert element.kwargs["thumb_label"] == "always"
    assert solara.SliderInt("n", value=3, min=1, max=9).kwargs["thumb_label"] == "always"
    note = dashboard.size_note(load_scenario(BASELINE))
    assert f"{dashboard.DEFAULT_FIRMS:,} firms at the start" in note and "10,000" in note
    monkeypatch.setenv(dashboard.SCENARIO_ENV, str(BASELINE))
    assert dashboard.DashboardModel().scenario.simulation.n_firms == dashboard.DEFAULT_FIRMS
