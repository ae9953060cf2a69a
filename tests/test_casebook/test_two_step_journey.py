"""In headless Chromium: an admin turns on two-step sign-in for officers, an officer sets it up
after their password, keeps the recovery codes, and signs in again with one; then changes their
password."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser import Accessible, LiveServer, Screenshots
from tests.test_casebook.conftest import MakeUser, TestUser

pytestmark = pytest.mark.browser

NOW = datetime(2026, 3, 2, 9, 30, 10, tzinfo=UTC)


def _password_step(page: Page, server: LiveServer, user: TestUser, password: str) -> None:
    page.goto(server("/sign-in"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_an_admin_turns_on_two_step_sign_in_and_an_officer_sets_it_up(
        app: Flask, live_server: LiveServer, browser_page: Page, screenshot: Screenshots,
        make_user: MakeUser, accessible: Accessible) -> None:
    app.config["FROZEN_NOW"] = NOW  # the codes are worked out from this time, not the clock
    page = browser_page
    admin, officer = make_user("admin"), make_user("officer", username="d.worker")
    _password_step(page, live_server, admin, admin.password)
    page.get_by_role("link", name="Admin").first.click()
    page.get_by_role("link", name="Two-step sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step sign-in")
    page.get_by_label("Officer").check()
    screenshot("admin-requires-two-step")
    accessible()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Two-step sign-in is now required of: officers.")
    expect(page.get_by_label("Officer")).to_be_checked()
    expect(page.get_by_label("Viewer")).not_to_be_checked()
    page.locator("[data-sign-out]").click()

    _password_step(page, live_server, officer, officer.password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step sign-in")
    secret = page.locator("#secret code").inner_text().replace(" ", "")
    page.get_by_text("Setting up from a link instead").click()
    expect(page.locator("#otpauth-uri")).to_contain_text(f"otpauth://totp/casebook:d.worker?secret={secret}")
    screenshot("officer-sets-up")
    accessible()
    page.get_by_label("Code from your app").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not right")
    screenshot("wrong-code")
    accessible()
    page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).at(NOW))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step sign-in is set up")
    expect(page.get_by_role("heading", level=2)).to_have_text("Your recovery codes")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    screenshot("recovery-codes")
    accessible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    page.locator("[data-sign-out]").click()

    _password_step(page, live_server, officer, officer.password)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter the code from your authenticator app")
    screenshot("code-step")
    accessible()
    page.get_by_label("Enter the code from your authenticator app").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")

    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Current password").fill("not it")
    page.get_by_label("New password", exact=True).fill("a long new pass phrase")
    page.get_by_label("New password again").fill("a long new pass phrase")
    page.get_by_role("button", name="Change password").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link", name="Your current password is not right")).to_be_visible()
    screenshot("change-password-error")
    accessible()
    page.get_by_label("Current password").fill(officer.password)
    page.get_by_label("New password", exact=True).fill("a long new pass phrase")
    page.get_by_label("New password again").fill("a long new pass phrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Your password has been changed")
    screenshot("password-changed")
    accessible()
