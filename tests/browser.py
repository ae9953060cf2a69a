"""A live casebook served by waitress on a free port, and headless Chromium to drive it.

Import the fixtures into a test module or conftest: `live_server` serves the test's `app` (so its
database, per backend); `browser_page` is a Playwright page on Debian's Chromium; `screenshot`
saves the page; `accessible` checks it with axe-core.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from waitress import wasyncore
from waitress.server import create_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).parent / "artefacts" / "screenshots"
#: axe-core, the accessibility checker, installed from npm by `make axe` (part of `make test`).
AXE = Path(__file__).parent.parent / ".cache" / "npm-axe" / "node_modules" / "axe-core" / "axe.min.js"
#: The WCAG 2.2 A and AA rules GOV.UK services are assessed against.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@dataclass(frozen=True)
class LiveServer:
    """The base URL of the running app."""

    url: str

    def __call__(self, path: str) -> str:
        return self.url + path


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """Serve `app` with waitress in a background thread until the test ends.

    The server's sockets are closed by its own loop (through waitress's trigger): closing them
    from this thread while the loop is in select() races it into "bad file descriptor".
    """
    server = create_server(app, host="127.0.0.1", port=0, threads=4, ident="casebook-test")
    port = server.effective_port  # type: ignore[union-attr]
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{port}")
    finally:
        socket_map = server._map  # type: ignore[union-attr]
        server.trigger.pull_trigger(lambda: wasyncore.close_all(socket_map))  # type: ignore[union-attr]
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive(), "the live server did not stop within 10 s"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, started once per test run."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"The browser tests need Chromium at {CHROMIUM} (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser context and page for one test."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The axe-core script; missing, the run fails and says how to install it."""
    if not AXE.exists():
        pytest.fail(f"The accessibility checks need axe-core at {AXE}: run `make axe`.")
    return AXE.read_text("utf-8")


def accessibility_problems(page: Page, axe_source: str) -> list[str]:
    """What axe-core finds against WCAG 2.2 AA on the current page, one line per element."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    result = page.evaluate(
        "tags => window.axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        f"{violation['id']}: {violation['help']} at {node['target']}"
        for violation in result["violations"]
        for node in violation["nodes"]
    ]


class Accessible:
    """`accessible()` fails the test if the current page has WCAG 2.2 AA problems axe can see."""

    def __init__(self, page: Page, axe_source: str):
        self.page = page
        self.axe_source = axe_source
        self.checked: list[str] = []

    def __call__(self) -> None:
        problems = accessibility_problems(self.page, self.axe_source)
        assert problems == [], f"{self.page.url}: {problems}"
        self.checked.append(self.page.url)


@pytest.fixture
def accessible(browser_page: Page, axe_source: str) -> Accessible:
    """Checks the browser page's accessibility with axe-core."""
    return Accessible(browser_page, axe_source)


class Screenshots:
    """Saves a full-page screenshot per step as tests/artefacts/screenshots/<test>-<step>.png."""

    def __init__(self, page: Page, test_name: str):
        self.page = page
        self.prefix = re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name).strip("-")
        self.saved: list[Path] = []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, step: str, selector: str | None = None) -> Path:
        """Save the whole page, or only the element `selector` finds."""
        path = SCREENSHOTS / f"{self.prefix}-{len(self.saved) + 1:02d}-{step}.png"
        if selector is None:
            self.page.screenshot(path=str(path), full_page=True)
        else:
            self.page.locator(selector).first.screenshot(path=str(path))
        self.saved.append(path)
        return path


@pytest.fixture
def screenshot(browser_page: Page, request: pytest.FixtureRequest) -> Screenshots:
    """`screenshot("step")` saves the current page under the test's name."""
    return Screenshots(browser_page, request.node.name)
