"""An administrator adds a figure for a new power through the Plan pages, in headless Chromium;
an officer then logs one and sees it counted on the dashboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from events.quarters import FinancialYear
from tests.browser import Accessible, LiveServer, Screenshots
from tests.test_casebook.conftest import MakeUser, TestUser

pytestmark = pytest.mark.browser


def sign_in(page: Page, server: LiveServer, user: TestUser) -> None:
    page.goto(server("/sign-in"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password", exact=True).fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")


def step(page: Page, shot: Screenshots, accessible: Accessible, name: str) -> None:
    """Every step of the journey: a screenshot, and nothing axe can find."""
    shot(name)
    accessible()


def test_an_admin_adds_a_closure_orders_figure_that_an_officers_closure_order_counts_in(
        live_server: LiveServer, browser_page: Page, screenshot: Screenshots,
        make_user: MakeUser, accessible: Accessible) -> None:
    page = browser_page
    sign_in(page, live_server, make_user("admin", username="csp.manager"))
    page.get_by_role("link", name="Plan", exact=True).click()
    step(page, screenshot, accessible, "plans")
    # The year the app counts as this one: the journey never reads a clock of its own.
    this_year = page.locator("tr:has([data-this-year]) a").first
    year = FinancialYear.parse(this_year.inner_text())
    this_year.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Plan for {year}")
    step(page, screenshot, accessible, "year-plan")
    add_the_closure_order_notice(page, screenshot, accessible, year)
    add_the_closure_orders_figure(page, screenshot, accessible, year)
    page.locator("[data-sign-out]").click()

    sign_in(page, live_server, make_user("officer", username="asb.officer"))
    log_a_closure_order(page, screenshot, accessible, year)
    page.get_by_role("link", name="Dashboard").first.click()
    cell = page.locator('[data-figure="asb.closure_orders"][data-period="year"]').first
    expect(cell).to_have_text(f"1 Closure orders issued, {year} to date")
    step(page, screenshot, accessible, "dashboard")


def add_the_closure_order_notice(page: Page, shot: Screenshots, accessible: Accessible,
                                 year: FinancialYear) -> None:
    page.get_by_role("link", name="Add a value").click()
    page.get_by_label("Notice", exact=True).check()
    page.get_by_label("Value").fill("closure-order")
    page.get_by_label("Label").fill("Closure order")
    step(page, shot, accessible, "vocabulary-form")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#vocabulary-added")).to_be_visible()
    step(page, shot, accessible, "vocabulary-check")
    page.get_by_label("Why are you making this change?").fill("Closure orders: a new power")
    page.get_by_role("button", name="Adopt version").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"of the {year} plan adopted")
    expect(page.locator("#vocabulary-table")).to_contain_text("Closure order")
    step(page, shot, accessible, "vocabulary-adopted")


def add_the_closure_orders_figure(page: Page, shot: Screenshots, accessible: Accessible,
                                  year: FinancialYear) -> None:
    page.get_by_role("button", name="Add a figure").click()
    page.get_by_label("Figure id").fill("asb.closure_orders")
    page.get_by_label("Label").fill("Closure orders issued")
    page.get_by_label("Scheme").select_option("asb-casework")
    step(page, shot, accessible, "figure-about")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Referral received")).to_be_visible()
    expect(page.get_by_label("Course delivered")).to_have_count(0)  # not an ASB casework type
    page.get_by_label("Notice issued").check()
    step(page, shot, accessible, "figure-types")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Count events").check()
    step(page, shot, accessible, "figure-measure")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Notice is").select_option("closure-order")
    page.get_by_label("Things").check()
    step(page, shot, accessible, "figure-details")
    page.get_by_role("button", name="Preview the figure").click()

    preview = page.locator('[data-preview="asb.closure_orders"]')
    expect(preview.locator(f'[data-year="{year}"] td')).to_have_text(["0", "0", "0", "0"])
    expect(preview.locator(f'[data-year="{year.previous()}"]')).to_be_visible()
    expect(page.locator("#change-added-asb\\.closure_orders")).to_contain_text("closure order")
    step(page, shot, accessible, "figure-preview")
    page.get_by_role("button", name="Adopt version").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason")
    step(page, shot, accessible, "figure-reason-missing")
    page.get_by_label("Why are you making this change?").fill("Closure orders, as the board asked")
    page.get_by_role("button", name="Adopt version").click()
    expect(page.locator("#figure-asb\\.closure_orders")).to_contain_text("Closure orders issued")
    step(page, shot, accessible, "figure-adopted")


def log_a_closure_order(page: Page, shot: Screenshots, accessible: Accessible,
                        year: FinancialYear) -> None:
    page.get_by_role("link", name="Log an event").first.click()
    page.get_by_label("ASB casework").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Notice issued").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("4")
    page.get_by_label("Year").fill(str(year.start_year))
    # Eight kinds of notice with the new one: more than radios show, so a select offers them.
    page.get_by_label("Notice", exact=True).select_option(label="Closure order")
    step(page, shot, accessible, "officer-logs-closure-order")
    page.get_by_role("button", name="Log event").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Notice issued logged")
