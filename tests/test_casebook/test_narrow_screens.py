"""At a phone's width (375px) no page is wider than the screen: tables scroll in their own box.

A page that scrolls sideways hides its right-hand columns (the year to date, the change) from
someone reading on a phone, and makes every line harder to follow. Each page is opened on real
data, measured, photographed (tests/artefacts/screenshots/narrow-*.png) and checked with axe.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, ViewportSize, expect
from sqlalchemy.engine import Engine

from tests.browser import SCREENSHOTS, Accessible, LiveServer
from tests.helpers import log, notice, referral
from tests.test_casebook.conftest import MakeUser

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 375, "height": 812}


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return int(page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth"))


#: The outermost elements reaching past the window's right edge, so a failure says what to fix: those outside
#: a scrolling box, and positioned ones inside it (they escape it unless it is positioned too).
STICKING_OUT = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .filter(e => !e.parentElement.closest('.app-table-scroll')
               || ['absolute', 'fixed'].includes(getComputedStyle(e).position))
  .filter(e => e.parentElement.getBoundingClientRect().right <= window.innerWidth + 0.5
               || ['absolute', 'fixed'].includes(getComputedStyle(e).position))
  .slice(0, 5)
  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
       + (typeof e.className === 'string' && e.className.trim()
          ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
       + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')"""


def test_no_page_is_wider_than_a_375px_screen(
    live_server: LiveServer, browser_page: Page, make_user: MakeUser, engine: Engine,
    accessible: Accessible, backend: str,
) -> None:
    stored = log(
        engine,
        referral(case="DA-2024-0300", occurred_at="2024-05-01T09:30:00+01:00", risk="high",
                 source="police", gender="female"),
        referral(case="DA-2024-0301", occurred_at="2024-05-20", risk="medium"),
        referral(case="DA-2024-0302", occurred_at="2024-08-02", risk="standard"),
        notice("cpw", case="ASB-2024-0007", occurred_at="2024-06-11"),
        notice("cpn", case="ASB-2024-0007", occurred_at="2024-07-19"),
    )
    page = browser_page
    page.set_viewport_size(PHONE)
    admin = make_user("admin", username="narrow.admin")
    page.goto(live_server("/sign-in"))
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password", exact=True).fill(admin.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")

    page.goto(live_server("/summaries"))
    page.get_by_label("Financial year").select_option("2024/25")
    page.get_by_label("Period").select_option("Q1")
    page.get_by_role("button", name="Generate now").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2024/25 Q1")
    summary = page.url.removeprefix(live_server.url)

    pages = {
        "dashboard": "/dashboard?year=2024/25",
        "event-log": "/events",
        "summary": summary,
        "drill-down": "/dashboard/figures/davss.referrals?year=2024/25",
        "case": "/cases/DA-2024-0300",
        "event": f"/events/{stored[0].event_id}",
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    too_wide: dict[str, tuple[int, list[str]]] = {}
    for name, path in pages.items():
        page.goto(live_server(path))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / f"narrow-{name}-{backend}.png"), full_page=True)
        accessible()
        if overflow(page) > 0:
            too_wide[f"{name} ({path})"] = (overflow(page), page.evaluate(STICKING_OUT))
    assert too_wide == {}, f"pixels wider than a {PHONE['width']}px screen, and what sticks out: {too_wide}"
