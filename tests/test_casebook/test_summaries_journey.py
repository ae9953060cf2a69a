"""An administrator generates a summary, then a restated version, in headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine

from tests.browser import LiveServer, Screenshots
from tests.helpers import log, referral
from tests.test_casebook.conftest import MakeUser

pytestmark = pytest.mark.browser


def generate_now(page: Page, year: str, period: str) -> None:
    page.get_by_role("link", name="Summaries").first.click()
    page.get_by_label("Financial year").select_option(year)
    page.get_by_label("Period").select_option(period)
    page.get_by_role("button", name="Generate now").click()


def test_an_admin_generates_a_summary_and_a_restated_version_with_its_late_event(
    live_server: LiveServer, browser_page: Page, screenshot: Screenshots,
    make_user: MakeUser, engine: Engine,
) -> None:
    page = browser_page
    log(engine, *[referral(occurred_at="2024-05-01", risk="standard") for _ in range(9)])
    admin = make_user("admin", username="csp.manager")
    page.goto(live_server("/sign-in"))
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password", exact=True).fill(admin.password)
    page.get_by_role("button", name="Sign in").click()

    generate_now(page, "2024/25", "Q1")
    expect(page.get_by_role("heading", level=1)).to_have_text("2024/25 Q1, version 1")
    expect(page.locator("tr#davss\\.referrals")).to_contain_text("9")
    screenshot("first-version")

    late = log(engine, referral(occurred_at="2024-06-30T22:00:00+01:00", risk="high"))
    generate_now(page, "2024/25", "Q1")
    expect(page.get_by_role("heading", level=1)).to_have_text("2024/25 Q1, version 2")
    restatement = page.locator("#restatement")
    expect(restatement).to_contain_text("Q1 9 → 10")
    expect(restatement).to_contain_text("1 event recorded late.")
    expect(page.locator("#late-events")).to_contain_text("Referral received")
    screenshot("restated")
    page.locator("#late-events a").first.click()
    expect(page).to_have_url(live_server(f"/events/{late[0].event_id}"))

    page.go_back()
    with page.expect_navigation():
        page.get_by_role("link", name="printable page (published)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Quarterly summary 2024/25 Q1")
    expect(page.locator("tr#davss\\.referrals td").nth(1)).to_have_text("10")
    assert page.locator("section.priority svg").count() >= 1
    screenshot("published-printable")
