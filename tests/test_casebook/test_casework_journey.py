"""In headless Chromium: an officer takes a case ("Assign to me"), sees its overdue compliance
check on the dashboard and on My cases, logs the check from the case page and sees the item go."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine

from tests.browser import Accessible, LiveServer, Screenshots
from tests.helpers import log, notice
from tests.test_casebook.conftest import MakeUser

pytestmark = pytest.mark.browser

#: Friday 4 December 2026, noon in London: the CPW of 1 November was due a check on 29 November.
TODAY = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
CASE = "ASB-2026-0001"
CHECK = "Check compliance with the Community Protection Warning"


def test_an_officer_takes_a_case_sees_what_is_due_and_logs_the_compliance_check(
        app: Flask, engine: Engine, live_server: LiveServer, browser_page: Page,
        screenshot: Screenshots, make_user: MakeUser, accessible: Accessible) -> None:
    app.config["FROZEN_NOW"] = TODAY
    log(engine, notice("cpw", CASE, "2026-11-01T10:00:00+00:00"))
    officer = make_user("officer", username="sam.officer")
    page = browser_page
    page.goto(live_server("/sign-in"))
    page.get_by_label("Username").fill(officer.username)
    page.get_by_label("Password", exact=True).fill(officer.password)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Cases").first.click()
    row = page.locator("tr", has_text=CASE)
    expect(row).to_contain_text("Not assigned")
    expect(row).to_contain_text(CHECK)
    screenshot("open-cases")
    accessible()

    row.get_by_role("link", name=CASE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Case {CASE}")
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    expect(page.locator("main")).to_contain_text("sam.officer")
    screenshot("assigned-to-me")
    accessible()

    page.get_by_role("link", name="Dashboard").first.click()
    banner = page.locator(".govuk-notification-banner", has_text="due this week on your cases")
    expect(banner).to_contain_text("1 thing due this week on your cases")
    expect(banner).to_contain_text(CASE)
    screenshot("dashboard-due")
    accessible()

    page.get_by_role("link", name="Cases").first.click()
    page.get_by_role("link", name="My cases", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My cases")
    mine = page.locator("tr", has_text=CASE)
    expect(mine).to_contain_text("overdue by 5 days")
    screenshot("my-cases")
    accessible()

    mine.get_by_role("link", name=CASE).click()
    due = page.locator("#due")
    expect(due).to_contain_text(CHECK)
    expect(due).to_contain_text("Overdue")
    screenshot("case-due")
    accessible()

    due.get_by_role("link", name="Log the compliance check").click()
    expect(page.get_by_label("Case reference")).to_have_value(CASE)
    expect(page.get_by_role("group", name="Notice checked").get_by_label(
        "Community Protection Warning", exact=False)).to_be_checked()
    page.get_by_label("Day").fill("4")
    page.get_by_label("Month").fill("12")
    page.get_by_label("Year").fill("2026")
    page.get_by_label("Time (optional)").fill("09:30")
    page.get_by_role("group", name="Complied").get_by_label("Yes").check()
    screenshot("compliance-check-form")
    accessible()
    page.get_by_role("button", name="Log event").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Case {CASE}")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Compliance checked logged")
    expect(page.locator("#due")).to_have_count(0)
    screenshot("case-nothing-due")
    accessible()

    page.get_by_role("link", name="Cases").first.click()
    page.get_by_role("link", name="My cases", exact=True).click()
    expect(page.locator("tr", has_text=CASE)).not_to_contain_text("overdue")
    screenshot("my-cases-after")
    accessible()
