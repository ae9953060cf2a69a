"""In a browser: "Continue" with nothing chosen says so, and a wrong time is the time box's error."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import Accessible, LiveServer, Screenshots
from tests.test_casebook.conftest import MakeUser
from tests.test_casebook.test_journeys import sign_in

pytestmark = pytest.mark.browser


def test_an_officer_is_told_what_is_wrong_and_taken_to_it(
    live_server: LiveServer, browser_page: Page, screenshot: Screenshots, make_user: MakeUser,
    accessible: Accessible,
) -> None:
    page = browser_page
    sign_in(page, live_server, make_user("officer"), screenshot)
    page.goto(live_server("/log"))
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select the scheme the event belongs to")
    screenshot("no-scheme-chosen")
    accessible()
    page.locator('input[name="scheme"][value="davss"]').check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select what happened")
    accessible()
    page.locator('input[name="type"][value="referral.received"]').check()
    page.get_by_role("button", name="Continue").click()

    page.get_by_label("Case reference").fill("DA-2024-0900")
    page.get_by_label("Day").fill("3")
    page.get_by_label("Month").fill("5")
    page.get_by_label("Year").fill("2024")
    page.get_by_label("Time (optional)").fill("25:61")
    page.locator('input[name="data-risk"][value="high"]').check()
    # Changed their mind: "Not recorded" takes the optional choice back.
    page.locator("fieldset", has_text="Risk level").get_by_label("Not recorded").check()
    page.get_by_role("button", name="Log event").click()
    link = page.locator(".govuk-error-summary").get_by_role(
        "link", name="Time must be hours and minutes on the 24-hour clock, like 14:30")
    expect(link).to_have_attribute("href", "#occurred-time")
    expect(page.locator("fieldset", has_text="Risk level").get_by_label("Not recorded")
           ).to_be_checked()
    screenshot("time-error")
    accessible()
    link.click()
    expect(page.get_by_label("Time (optional)")).to_be_focused()
