"""End to end: ``samenwerkingsim explore`` in headless Chromium, as a user drives it.

Starts the real command on a free port, loads the page, changes a lever and restarts the run,
steps the model and checks that the figures and the event timeline change, runs the Monte
Carlo panel (on two worker processes, after the page has imported Mesa), saves the settings as
a scenario file that ``samenwerkingsim validate`` accepts, and stops the server with Ctrl-C
(SIGINT). Screenshots of each stage go to pytest-playwright's output folder
(``test-results/``), as artefacts of the run.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest

from samenwerkingsim.explore import missing_requirement

try:
    import pytest_playwright  # noqa: F401
    from playwright.sync_api import Page, expect
except ImportError:  # the explore-test extra is not installed
    if os.environ.get("CI"):
        raise
    pytest.skip("pytest-playwright is not installed (pip install -e '.[explore-test]')",
                allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "kempengemeenten.toml"
#: Seconds the server may take to start, and to stop after SIGINT.
START_TIMEOUT, STOP_TIMEOUT = 40, 15

pytestmark = [
    pytest.mark.e2e,
    # pytest >= 9.2 deprecates session-scoped fixtures defined as methods, as the base_url
    # fixture of pytest-base-url (which pytest-playwright brings) is: a warning about that
    # plugin, not about this test, and it would turn the browser fixtures into errors
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"
                               ":pytest.PytestDeprecationWarning"),
]


def unavailable(reason: str):
    """Skip, or in CI fail: there the browser and the extra must be installed."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI installs it: see .ci/run)", pytrace=False)
    pytest.skip(reason)


def explore_command() -> list[str]:
    """The installed entry point, as the README starts it (else ``python -m``)."""
    script = shutil.which("samenwerkingsim")
    return [script] if script else [sys.executable, "-m", "samenwerkingsim"]


class Server:
    """A ``samenwerkingsim explore`` process, its address and what it printed."""

    def __init__(self, folder: Path):
        if missing_requirement():
            unavailable(missing_requirement())
        self.log = folder / "server.log"
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [*explore_command(), "explore", str(SCENARIO), "--port", "0", "--jobs", "2"],
            cwd=folder, stdout=subprocess.PIPE, stderr=self._log_file, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self._wait_for_address()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def _wait_for_address(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            found = re.search(r"http://127\.0\.0\.1:\d+/", line)
            if found:
                return found.group(0)
        self.stop()
        pytest.fail(f"the explorer did not start: {''.join(self.output)}\n"
                    f"{self.log.read_text()}")

    def interrupt(self) -> int:
        """Ctrl-C, as a user stops it; the exit code once it has stopped."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=STOP_TIMEOUT)
        self._close()
        return code

    def stop(self) -> None:
        """Make sure the process is gone (after a failure, say)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close()

    def _close(self) -> None:
        self._reader.join(timeout=5)  # it ends with the process's output
        self.process.stdout.close()
        self._log_file.close()


@pytest.fixture
def server(tmp_path):
    started = Server(tmp_path)
    yield started
    started.stop()


def shoot(page: Page, folder: Path, name: str, height: int = 2700) -> None:
    """A screenshot of the whole page: the page scrolls inside its layout, so the window is
    made tall enough for all of it first."""
    folder.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": height})
    page.wait_for_timeout(300)  # let the layout settle at the new size
    page.screenshot(path=str(folder / f"{name}.png"))
    page.set_viewport_size(size)


def image_sources(page: Page, card: str) -> list[str]:
    """The src of every figure in the card with the given title (they change with the
    figure)."""
    return page.locator(".v-card", has_text=card).locator("img").evaluate_all(
        "images => images.map(i => i.src)")


def slider_after(page: Page, label: str):
    """The slider under one of the page's own control labels."""
    return page.locator(f"xpath=//div[contains(@class, 'sws-label')][starts-with(normalize-"
                        f"space(.), '{label}')]/following::*[@role='slider'][1]")


def test_explore_in_the_browser(server: Server, page: Page, output_path, tmp_path):
    shots = Path(output_path)
    page.set_default_timeout(20_000)
    page.goto(server.url)

    # the page is not blank: Solara's front end came from this machine
    expect(page.get_by_text("Governance levers")).to_be_visible()
    expect(page.get_by_text("Month 0 of 480")).to_be_visible()
    expect(page.locator(".v-card", has_text="Municipalities, wethouders and director")
           .locator("img")).to_be_visible()
    shoot(page, shots, "01-start")

    # move two levers: the committees off, and more joint meetings; the page says they apply
    # when the run is reset
    page.get_by_text("Has committees", exact=True).click()
    meetings = slider_after(page, "Joint meetings per month")
    meetings.focus()
    for _ in range(3):
        meetings.press("PageUp")
    expect(page.get_by_text("The controls differ from the settings of this run")).to_be_visible()
    page.get_by_role("button", name="Reset").click()
    expect(page.get_by_text("This run differs from the scenario file in")).to_be_visible()
    expect(page.get_by_text("levers.has_committees: true -> false").first).to_be_visible()

    # step: the month advances, the figures and the event timeline change
    network_before = image_sources(page, "Municipalities, wethouders and director")
    indicators_before = image_sources(page, "Month by month")
    expect(page.get_by_text("No events yet")).to_be_visible()
    step = page.get_by_role("button", name="Step")
    for _ in range(4):
        step.click()
    expect(page.get_by_text(re.compile(r"Month 12 of 480"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"\d+ events so far"))).to_be_visible()
    # Kempengemeenten started in January 2010: the March 2010 elections are in the timeline
    expect(page.get_by_text(re.compile(r"Municipal elections: \d+ of 15 wethouders "
                                       r"replaced"))).to_be_visible()
    assert image_sources(page, "Municipalities, wethouders and director") != network_before
    assert image_sources(page, "Month by month") != indicators_before
    before = image_sources(page, "Municipalities, wethouders and director")
    page.get_by_role("button", name="value", exact=True).click()  # colour the nodes by value
    page.wait_for_function(
        "before => [...document.querySelectorAll('.v-card img')].every(i => i.src !== before)",
        arg=before[0])
    shoot(page, shots, "02-stepped")

    # Monte Carlo: 400 replications of each, on the worker pool, off the page's thread
    replications = page.get_by_label("Replications (10 to 10000)")
    replications.fill("400")
    replications.press("Enter")
    page.get_by_role("button", name="Run 400 replications").click()
    expect(page.get_by_text(re.compile(r"Log-rank test of the explored settings"))).to_be_visible(
        timeout=45_000)
    monte_carlo = page.locator(".v-card", has_text="Monte Carlo: how often")
    expect(monte_carlo.locator("img")).to_be_visible()
    monte_carlo.scroll_into_view_if_needed()
    shoot(page, shots, "03-monte-carlo")

    # save as a scenario file, which samenwerkingsim validates and run would read
    target = tmp_path / "kempen_no_committees.toml"
    page.get_by_label("File to write").fill(target.name)
    page.get_by_role("button", name="Save as scenario file").click()
    expect(page.get_by_text(re.compile(r"Saved kempen_no_committees\.toml"))).to_be_visible()
    page.locator(".v-card", has_text="Save these settings").scroll_into_view_if_needed()
    shoot(page, shots, "04-saved")
    assert target.exists()
    validated = subprocess.run([*explore_command(), "validate", str(target)],
                               capture_output=True, text=True, timeout=60)
    assert validated.returncode == 0, validated.stderr
    levers = tomllib.loads(target.read_text())["levers"]
    assert levers["has_committees"] is False
    assert levers["joint_meetings_per_month"] > 0

    # Ctrl-C stops the server cleanly
    assert server.interrupt() == 0
    assert "stopped" in "".join(server.output)
