"""The printable review as the board gets it: opened from a stored summary in Chromium, printed
to PDF, each page saved as an image (tests/artefacts/screenshots/review-page-N.png) and read back
as text: page 1 holds the title and the first figures, and every page carries its number."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine

from events.quarters import Quarter
from projections.archive import CATCH_UP, generate
from tests.browser import SCREENSHOTS, LiveServer
from tests.test_casebook.conftest import MakeUser
from tests.test_projections.test_printed_review import AFTER_Q1, seed_review

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


def page_text(pdf: Path, number: int) -> str:
    """One page of the PDF as pdftotext reads it."""
    return subprocess.run(["pdftotext", "-layout", "-f", str(number), "-l", str(number),
                           str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    found = re.search(r"^Pages:\s+(\d+)$", info.stdout, re.MULTILINE)
    assert found is not None, info.stdout
    return int(found[1])


def save_pages(pdf: Path, pages: int) -> list[Path]:
    """Each page as a PNG at 60 dpi, named by its page number (a longer run's pages removed)."""
    for old in SCREENSHOTS.glob("review-page-*.png"):
        old.unlink()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved = []
    for number in range(1, pages + 1):
        stem = SCREENSHOTS / f"review-page-{number}"
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(number), "-l", str(number),
                        "-singlefile", str(pdf), str(stem)], check=True)
        saved.append(stem.with_suffix(".png"))
    return saved


def test_the_printed_review_starts_with_its_figures_and_numbers_every_page(
    live_server: LiveServer, browser_page: Page, make_user: MakeUser, engine: Engine,
    tmp_path: Path,
) -> None:
    seed_review(engine)
    stored = generate(engine, Quarter(2024, 1), CATCH_UP, only_if_missing=True, now=AFTER_Q1)
    assert stored is not None
    page = browser_page
    admin = make_user("admin", username="csp.manager")
    page.goto(live_server("/sign-in"))
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password", exact=True).fill(admin.password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server(f"/summaries/{stored.id}"))
    with page.expect_navigation():
        page.get_by_role("link", name="printable page (internal)").click()
    title = "Community Safety Partnership: Quarterly summary 2024/25 Q1"
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    pdf = tmp_path / "review.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True)
    pages = page_count(pdf)
    assert pages >= 2
    for image in save_pages(pdf, pages):
        assert image.stat().st_size > 0

    first = " ".join(page_text(pdf, 1).split())
    assert title in first
    # The title is not alone: the first priority and its figures follow it on the same page.
    assert "Anti-social behaviour" in first
    assert re.search(r"ASB complaints received by the borough council \d", first)
    texts = [page_text(pdf, number) for number in range(1, pages + 1)]
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {pages}" in text, f"page {number} has no number"
    whole = " ".join(" ".join(texts).split())
    assert "Referrals to DAVSS 16 1" in whole and "Risk level: Not recorded 1" in whole
    for raw in ("davss.referrals", "not-recorded", "catch-up", "by risk"):
        assert raw not in whole
