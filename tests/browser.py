"""A live casebook served by waitress on a free port, and headless Chromium to drive it.

Import the fixtures into a test module or conftest: `live_server` serves the test's `app` (so its
database, per backend); `browser_page` is a Playwright page on Debian's Chromium; `screenshot`
saves the page; `accessible` checks it with axe-core. Every HTML page the live server sends, and
every local file the browser opens, is checked with the Nu Html Checker when the test ends: an
error fails the test, with the page and line.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from flask import Flask
from playwright.sync_api import Browser, Frame, Page, sync_playwright
from waitress import wasyncore
from waitress.server import create_server

from tests.html_check import HtmlPages, ServedPage, html_errors, vnu_problem

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).parent / "artefacts" / "screenshots"
#: axe-core, the accessibility checker, installed from npm by `make axe` (part of `make test`).
AXE = Path(__file__).parent.parent / ".cache" / "npm-axe" / "node_modules" / "axe-core" / "axe.min.js"
#: The WCAG 2.2 A and AA rules GOV.UK services are assessed against.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: The pages a test's live server sent and the local files its browser opened, for vnu.
CHECKED_PAGES = pytest.StashKey[list[list[ServedPage]]]()


@dataclass(frozen=True)
class LiveServer:
    """The base URL of the running app."""

    url: str

    def __call__(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="session")
def vnu_ready() -> None:
    """Java and vnu.jar; either missing, the run fails and says how to install it."""
    problem = vnu_problem()
    if problem is not None:
        pytest.fail(problem)


@pytest.fixture
def live_server(
    app: Flask, vnu_ready: None, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """Serve `app` with waitress in a background thread until the test ends.

    The server's sockets are closed by its own loop (through waitress's trigger): closing them
    from this thread while the loop is in select() races it into "bad file descriptor".
    """
    served = HtmlPages(app)
    request.node.stash.setdefault(CHECKED_PAGES, []).append(served.pages)
    server = create_server(served, host="127.0.0.1", port=0, threads=4, ident="casebook-test")
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
def browser_page(
    chromium: Browser, vnu_ready: None, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A fresh browser context and page for one test; local files it opens are kept for vnu."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    opened: list[ServedPage] = []

    def keep_local_file(frame: Frame) -> None:
        if frame == page.main_frame and frame.url.startswith("file:"):
            path = Path(unquote(urlparse(frame.url).path))
            if path.suffix in (".html", ".htm") and path.exists():
                opened.append(ServedPage(frame.url, path.read_bytes()))

    page.on("framenavigated", keep_local_file)
    request.node.stash.setdefault(CHECKED_PAGES, []).append(opened)
    yield page
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """After a browser test's own checks pass, check every page it was served with vnu."""
    result = yield
    pages = [page for kept in item.stash.get(CHECKED_PAGES, []) for page in kept]
    errors = html_errors(pages)
    if errors:
        pytest.fail("vnu found invalid HTML:\n" + "\n".join(errors), pytrace=False)
    return result


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
