"""Headless Chromium for the end-to-end tests: Debian's chromium package, driven by Playwright.

Playwright cannot download its own browser on this platform, so the tests point it at the
system's Chromium (``executable_path``), with the flags that keep Chromium from reaching out
to the network at start. Without Chromium or the explore extra the tests are skipped, except
in CI (``CI=true``), where .ci/run installs both and a skip would hide a broken setup.
"""

from __future__ import annotations

import os
import shutil

import pytest

#: Chromium's flags for a closed network, run as root in a container (the Debian package's
#: sandbox needs user namespaces that containers often lack).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: drives the explorer in headless Chromium (part of "
                                       "the default suite; -m 'not e2e' leaves it out)")


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at the system's Chromium."""
    path = chromium_path()
    if path is None:
        reason = "no chromium on this machine (apt-get install chromium)"
        if os.environ.get("CI"):  # .ci/run installs it: a skip would hide a broken setup
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return {**browser_type_launch_args, "executable_path": path, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A laptop-sized window."""
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}}
