"""Journeys through casebook in headless Chromium, against the real app served by waitress."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine

from tests.browser import Accessible, LiveServer, Screenshots, accessibility_problems
from tests.helpers import log, referral
from tests.test_casebook.conftest import MakeUser, TestUser

pytestmark = pytest.mark.browser


def sign_in(page: Page, server: LiveServer, user: TestUser, shot: Screenshots) -> None:
    page.goto(server("/sign-in"))
    shot("sign-in")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password", exact=True).fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")


def davss_referrals_to_date(page: Page) -> str:
    return page.locator('[data-figure="davss.referrals"][data-period="year"]').first.inner_text()


def test_an_officer_logs_a_referral_and_sees_it_on_the_timeline_and_the_dashboard(
    live_server: LiveServer, browser_page: Page, screenshot: Screenshots,
    make_user: MakeUser, engine: Engine, accessible: Accessible,
) -> None:
    page = browser_page
    officer = make_user("officer", username="d.worker")
    log(engine, referral(case="DA-2024-0100", occurred_at="2024-05-01"))
    sign_in(page, live_server, officer, screenshot)
    page.goto(live_server("/dashboard?year=2024/25"))
    before = davss_referrals_to_date(page)
    assert before.startswith("1")
    screenshot("dashboard-before")
    accessible()

    page.get_by_role("link", name="Log an event").first.click()
    page.get_by_label("Domestic Abuse Volunteer Support Service (DAVSS)").check()
    screenshot("choose-scheme")
    accessible()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Referral received").check()
    screenshot("choose-type")
    accessible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral received")
    page.get_by_label("Case reference").fill("DA-2024-0101")
    page.get_by_label("Day").fill("12")
    page.get_by_label("Month").fill("6")
    page.get_by_label("Year").fill("2024")
    page.get_by_label("Time (optional)").fill("10:45")
    page.get_by_role("group", name="Risk level").get_by_label("High").check()
    page.get_by_label("Referred by").select_option("police")
    screenshot("referral-form")
    accessible()
    page.get_by_role("button", name="Log event").click()

    # A reference no case has yet is confirmed before anything is stored.
    expect(page.locator("#new-case")).to_contain_text("This opens a new case: DA-2024-0101.")
    screenshot("new-case-question")
    accessible()
    page.get_by_role("button", name="Yes, open the case").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Case DA-2024-0101")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Referral received logged in case DA-2024-0101")
    timeline = page.locator(".app-timeline")
    expect(timeline).to_contain_text("Referral received")
    expect(timeline).to_contain_text("by d.worker")
    expect(timeline).to_contain_text("Happened 12 June 2024 at 10:45am")
    expect(timeline).to_contain_text("High")
    screenshot("case-timeline")
    accessible()

    page.get_by_role("link", name="Dashboard").first.click()
    page.get_by_label("Financial year").select_option("2024/25")
    page.get_by_role("button", name="Show figures").click()
    assert davss_referrals_to_date(page).startswith("2")
    screenshot("dashboard-after")
    accessible()
    screenshot("dashboard-davss-figures", selector="#figure-davss\\.referrals")
    page.locator('[data-figure="davss.referrals"][data-period="year"]').first.click()
    expect(page.locator("#event-count")).to_contain_text("2 events behind this figure")
    screenshot("figure-events")
    accessible()


def test_a_form_with_a_mistake_shows_the_error_summary_and_keeps_the_input(
    live_server: LiveServer, browser_page: Page, screenshot: Screenshots, make_user: MakeUser,
    accessible: Accessible,
) -> None:
    page = browser_page
    sign_in(page, live_server, make_user("officer"), screenshot)
    page.goto(live_server("/log/kenward-trust/engagement.recorded"))
    page.get_by_label("Day").fill("3")
    page.get_by_label("Month").fill("5")
    page.get_by_label("Year").fill("2024")
    page.get_by_label("People engaged").fill("a dozen")
    page.get_by_label("Location (optional)").fill("Tonbridge")
    page.get_by_role("button", name="Log event").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link", name="Select kind of engagement")).to_have_attribute(
        "href", "#data-kind")
    link = summary.get_by_role("link", name="People engaged must be a whole number, like 12")
    expect(link).to_be_visible()
    expect(page.get_by_label("People engaged")).to_have_value("a dozen")
    expect(page.get_by_label("Location (optional)")).to_have_value("Tonbridge")
    assert page.title().startswith("Error: ")
    screenshot("error-summary")
    accessible()
    link.click()
    expect(page.get_by_label("People engaged")).to_be_focused()


def test_an_officer_voids_an_event_and_sees_it_struck_through_with_the_reason(
    live_server: LiveServer, browser_page: Page, screenshot: Screenshots,
    make_user: MakeUser, engine: Engine, accessible: Accessible,
) -> None:
    page = browser_page
    log(engine, referral(case="DA-2024-0200", occurred_at="2024-05-01", risk="medium"))
    sign_in(page, live_server, make_user("officer", username="v.officer"), screenshot)
    page.get_by_role("link", name="Cases").first.click()
    page.get_by_label("Find a case by its reference").fill("DA-2024-02")
    page.get_by_role("button", name="Search").click()
    screenshot("case-search")
    accessible()
    page.get_by_role("link", name="DA-2024-0200").click()
    screenshot("case-before-void")
    accessible()
    page.get_by_role("link", name=re.compile("Void this event")).click()
    page.get_by_role("button", name="Void event").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter why this event is being voided")
    screenshot("void-reason-missing")
    accessible()
    page.get_by_label("Why are you voiding this event?").fill("Logged twice by mistake")
    page.get_by_role("button", name="Void event").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Case DA-2024-0200")
    voided = page.locator(".app-timeline__item--voided")
    expect(voided.locator("del").first).to_have_text("Referral received")
    expect(voided).to_contain_text("Voided by v.officer")
    expect(voided).to_contain_text("Reason: Logged twice by mistake")
    decoration = voided.locator("del").first.evaluate(
        "element => getComputedStyle(element).textDecorationLine")
    assert decoration == "line-through"
    screenshot("case-after-void")
    accessible()


def test_the_accessibility_check_finds_an_input_without_a_label(
    browser_page: Page, axe_source: str
) -> None:
    browser_page.set_content("<!DOCTYPE html><html lang='en'><head><title>t</title></head>"
                             "<body><main><input type='text'></main></body></html>")
    problems = accessibility_problems(browser_page, axe_source)
    assert any(problem.startswith("label:") for problem in problems), problems
