"""A board member reads the figures on a frozen "today" in the middle of a quarter (2 December
2026, on the demo's events): the dashboard at desktop and phone widths, and a drill-down."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine

from casebook.services.demo import demo_events
from tests.browser import Accessible, LiveServer, Screenshots
from tests.helpers import import_jsonl
from tests.test_casebook.conftest import MakeUser
from tests.test_casebook.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]

TODAY = date(2026, 12, 2)


def _fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_the_dashboard_mid_quarter_reads_like_for_like_on_a_desktop_and_a_phone(
    app: Flask, live_server: LiveServer, browser_page: Page, screenshot: Screenshots,
    make_user: MakeUser, engine: Engine, accessible: Accessible,
) -> None:
    app.config["FROZEN_NOW"] = datetime(2026, 12, 2, 16, 30, tzinfo=UTC)
    assert import_jsonl(engine, list(demo_events(3, TODAY))).errors == []
    page = browser_page
    sign_in(page, live_server, make_user("viewer", username="b.member"), screenshot)

    page.goto(live_server("/dashboard"))
    expect(page.locator("#compared")).to_contain_text(
        "Year to date: 1 April to 2 December 2026, against the same days last year.")
    expect(page.locator("#compared")).to_contain_text("1 October to 2 December")
    complaints = page.locator('[id="figure-asb.complaints"]')
    expect(complaints.locator('[data-future="true"]')).to_have_count(1)
    expect(complaints.locator(".app-provisional").first).to_have_text("so far")
    accessible()
    screenshot("dashboard-desktop")
    screenshot("dashboard-asb-figures", selector='[id="figure-asb.complaints"]')
    screenshot("dashboard-first-scheme", selector=".app-table-scroll")
    assert _fits(page)

    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    assert _fits(page), "the dashboard is wider than a phone's screen"
    screenshot("dashboard-mobile")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.locator('[data-figure="asb.complaints"][data-period="Q3"]').first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ASB complaints")
    accessible()
    screenshot("drill-down")
