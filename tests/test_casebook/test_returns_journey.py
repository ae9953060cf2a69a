"""In headless Chromium: a partner submits a quarterly return, is refused a quarter that has not
ended, and corrects the return; the correction is the one that counts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser import Accessible, LiveServer, Screenshots
from tests.test_casebook.conftest import MakeUser

pytestmark = pytest.mark.browser

JULY_3 = datetime(2025, 7, 3, 10, 0, tzinfo=UTC)
JULY_9 = datetime(2025, 7, 9, 15, 0, tzinfo=UTC)
FIGURE = "People supported by the IDVA service"


def _fill(page: Page, value: str, quarter: str = "2025/26 Q1") -> None:
    page.get_by_role("radio", name=FIGURE).check()
    page.get_by_label("Quarter the return is for").select_option(quarter)
    page.get_by_label("Value").fill(value)
    page.get_by_role("button", name="Submit return").click()


def test_a_partner_submits_a_return_and_corrects_it(
        app: Flask, live_server: LiveServer, browser_page: Page, screenshot: Screenshots,
        make_user: MakeUser, accessible: Accessible) -> None:
    app.config["FROZEN_NOW"] = JULY_3  # the last ended quarter is 2025/26 Q1
    page = browser_page
    partner = make_user("partner", ["idva"], username="pat")
    page.goto(live_server("/sign-in"))
    page.get_by_label("Username").fill(partner.username)
    page.get_by_label("Password", exact=True).fill(partner.password)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Submit a return").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Submit a return")
    expect(page.get_by_label("Quarter the return is for")).to_have_value("2025/26 Q1")
    expect(page.locator('[data-quarter="2025/26 Q1"]')).to_contain_text("No return yet")
    screenshot("return-form")
    accessible()

    page.get_by_label("Value").fill("three hundred")
    page.get_by_role("button", name="Submit return").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link", name="Value must be a whole number, 0 or more, like 334")
           ).to_be_visible()
    screenshot("value-refused")
    accessible()

    _fill(page, "334")
    expect(page.locator(".govuk-panel")).to_contain_text("Return submitted")
    expect(page.locator(".govuk-panel")).to_contain_text("334 for 2025/26 Q1")
    screenshot("return-submitted")
    accessible()

    app.config["FROZEN_NOW"] = JULY_9
    page.get_by_role("link", name="Submit another return").click()
    row = page.locator('[data-quarter="2025/26 Q1"]')
    expect(row).to_contain_text("334, submitted on 3 July 2025 by pat")
    expect(row).to_contain_text("Counts")
    screenshot("already-returned")
    accessible()

    _fill(page, "340")
    expect(page.locator("#replaces")).to_have_text("This replaces 334 submitted on 3 July 2025.")
    screenshot("correction-submitted")
    accessible()

    page.get_by_role("link", name="Submit another return").click()
    row = page.locator('[data-quarter="2025/26 Q1"]')
    expect(row).to_contain_text(
        "340, submitted on 9 July 2025 by pat, replaces 334 submitted on 3 July 2025")
    page.get_by_role("link", name="Dashboard").first.click()
    expect(page.locator('[data-figure="idva.supported"][data-period="Q1"]')).to_contain_text("340")
    screenshot("dashboard-counts-the-correction", "#figure-idva\\.supported")
