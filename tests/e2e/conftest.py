"""Fixtures of the browser tests: Chromium with a fake camera, and screenshots.

Each test gets its own Playwright instance, stopped at teardown. While the sync
API is started, it keeps an asyncio loop marked as running on the main thread,
so Django raises SynchronousOnlyOperation for ORM calls from that thread. Tests
therefore use the database before their first browser starts or after
``browsers.stop()``.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from tests.faces import REPO_DIR

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS_DIR = REPO_DIR / "test-artifacts" / "e2e"

CALL_REPORT = pytest.StashKey()

# Default wait for page loads and element checks, in milliseconds. Face
# verification has its own, longer timeout in the tests.
DEFAULT_TIMEOUT_MS = 15_000


def chromium_args(camera):
    """Return the Chromium command-line flags for a browser whose camera is ``camera``.

    :param camera: a Y4M file, or None for a browser without any camera.
    """
    # Grant camera access without a prompt.
    args = ["--use-fake-ui-for-media-stream"]
    if camera is not None:
        # Use the Y4M file as the camera.
        args += [
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera}",
        ]
    return args + [
        "--no-sandbox",
        "--disable-gpu",
        # Keep the browser from contacting Google services on its own.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        # Fail every host name lookup except localhost, so no request to a named
        # host leaves the machine even if a feature ignores the flags above.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
    ]


def artifacts_folder(item):
    """Return the screenshot folder of one test item."""
    return ARTIFACTS_DIR / re.sub(r"[^\w.-]+", "_", item.name)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Store the report of the test body, so fixtures can tell whether it failed."""
    report = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    return report


def ci_requested():
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


@pytest.fixture(scope="session")
def chromium_executable():
    """Return the path of Debian's Chromium.

    A missing browser skips the test, or fails it when the CI variable is set.
    """
    if CHROMIUM.is_file():
        return CHROMIUM

    message = (
        f"Chromium was not found at {CHROMIUM}. Install it with "
        f"`apt-get install chromium` to run the browser tests."
    )
    if ci_requested():
        pytest.fail(message)
    pytest.skip(message)


class Browsers:
    """Factory of headless Chromium browsers, each with its own fake camera."""

    def __init__(self, executable):
        self.executable = executable
        self.playwright = None
        self.browsers = []

    def open(self, camera):
        """Launch a headless Chromium whose camera plays ``camera`` (a Y4M file).

        With ``camera=None`` the browser has no camera at all.

        :returns: a new BrowserContext of that browser. Pages opened from it
            share its cookies, so a link with ``target=_blank`` keeps the session.
        """
        if self.playwright is None:
            self.playwright = sync_playwright().start()

        browser = self.playwright.chromium.launch(
            executable_path=str(self.executable),
            headless=True,
            args=chromium_args(camera),
        )
        self.browsers.append(browser)

        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        return context

    def save_screenshots(self, folder, prefix):
        """Save a screenshot of every open page as ``<prefix>-<n>.png`` in ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        pages = [
            page
            for browser in self.browsers
            for context in browser.contexts
            for page in context.pages
        ]
        for number, page in enumerate(pages, start=1):
            try:
                page.screenshot(
                    path=str(folder / f"{prefix}-{number}.png"), full_page=True
                )
            except PlaywrightError as error:
                print(f"Screenshot of {page.url} failed: {error}")

    def stop(self):
        """Close every browser and stop Playwright. A second call does nothing."""
        for browser in self.browsers:
            browser.close()
        self.browsers = []

        if self.playwright is not None:
            self.playwright.stop()
            self.playwright = None


@pytest.fixture
def browsers(request, chromium_executable):
    """Return a Browsers factory whose browsers are all closed at teardown.

    When the test body fails, every page still open is saved first as
    ``failure-<n>.png`` in the test's screenshot folder.
    """
    factory = Browsers(chromium_executable)
    yield factory

    report = request.node.stash.get(CALL_REPORT, None)
    if report is not None and report.failed:
        factory.save_screenshots(artifacts_folder(request.node), "failure")
    factory.stop()


@pytest.fixture
def snap(request):
    """Return ``snap(page, name)``, which saves a numbered full-page screenshot.

    Files go to ``test-artifacts/e2e/<test name>/NN-<name>.png`` in the
    repository. The test's folder is emptied first, so it contains only the
    screenshots of the last run.
    """
    folder = artifacts_folder(request.node)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    count = 0

    def save(page, name):
        nonlocal count
        count += 1
        path = folder / f"{count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
