"""An administrator's journey in headless Chromium: add a partner, then retire a scheme."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import LiveServer, Screenshots
from tests.test_casebook.conftest import MakeUser

pytestmark = pytest.mark.browser


def test_an_admin_adds_a_partner_who_signs_in_and_sees_only_their_scheme(
        live_server: LiveServer, browser_page: Page, screenshot: Screenshots,
        make_user: MakeUser) -> None:
    page = browser_page
    admin = make_user("admin")
    page.goto(live_server("/sign-in"))
    expect(page.get_by_role("heading", level=1)).to_have_css(
        "font-family", '"GDS Transport", arial, sans-serif')
    page.evaluate("document.fonts.ready")
    assert "loaded" in page.evaluate("[...document.fonts].map(f => f.status)")
    assert "govuk-frontend-supported" in page.evaluate("document.body.className")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password", exact=True).fill(admin.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="People who use casebook").click()
    page.get_by_role("button", name="Add a user").click()
    page.get_by_role("button", name="Add user").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a username")
    screenshot("add-user-errors")
    page.get_by_label("Username").fill("d.worker")
    page.get_by_label("Partner: logs and reads events only in the schemes chosen below").check()
    page.get_by_label("DAVSS", exact=False).first.check()
    page.get_by_role("button", name="Add user").click()
    expect(page.locator(".govuk-panel")).to_contain_text("User added")
    screenshot("user-added")
    password = page.locator("#password code").inner_text()

    page.goto(live_server("/admin/schemes/channel"))
    page.get_by_role("button", name="Retire this scheme").click()
    expect(page.locator("#history")).to_contain_text("retired")
    screenshot("scheme-retired")
    page.locator("[data-sign-out]").click()

    page.get_by_label("Username").fill("d.worker")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    navigation = page.locator(".govuk-service-navigation")
    expect(navigation).to_contain_text("Log an event")
    expect(navigation).not_to_contain_text("Admin")
    screenshot("partner-signed-in")
