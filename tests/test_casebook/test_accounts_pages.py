"""Changing one's own password, and the new password an administrator's password must give way to."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from casebook.services.access_log import access_log
from tests.helpers import ON_SQLITE_ONLY
from tests.test_casebook.conftest import MakeToken, MakeUser, csrf_token_from, sign_in

pytestmark = ON_SQLITE_ONLY

NEW = "correct horse battery staple"


def _change(client: FlaskClient, current: str, new: str, again: str | None = None):
    page = client.get("/account/password")
    assert page.status_code == 200, page.status_code
    return client.post("/account/password", data={
        "current_password": current, "new_password": new,
        "confirm_password": new if again is None else again,
        "csrf_token": csrf_token_from(page.get_data(as_text=True))})


def _signed_in(app: Flask, username: str, password: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, username, password).status_code == 302
    return client


def test_a_wrong_current_password_is_named_and_changes_nothing(
        app: Flask, make_user: MakeUser) -> None:
    user = make_user("officer")
    client = _signed_in(app, user.username, user.password)
    response = _change(client, "not-my-password", NEW)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Error: Change your password" in html
    assert 'href="#current_password">Your current password is not right' in html
    # The old password still signs in; the new one does not.
    assert sign_in(app.test_client(), user.username, NEW).status_code == 200
    assert sign_in(app.test_client(), user.username, user.password).status_code == 302


def test_new_passwords_that_differ_or_are_weak_are_refused_by_field(
        app: Flask, make_user: MakeUser) -> None:
    user = make_user("viewer", username="sam.jones")
    client = _signed_in(app, user.username, user.password)
    mismatch = _change(client, user.password, NEW, again=NEW + "!").get_data(as_text=True)
    assert 'href="#confirm_password">The new passwords do not match' in mismatch
    short = _change(client, user.password, "short").get_data(as_text=True)
    assert 'href="#new_password">The new password must be at least 12 characters' in short
    named = _change(client, user.password, "Sam.Jones-is-me").get_data(as_text=True)
    assert "do not use your username" in named
    empty = _change(client, user.password, "").get_data(as_text=True)
    assert 'href="#new_password">Enter a new password' in empty
    assert sign_in(app.test_client(), user.username, user.password).status_code == 302


def test_a_changed_password_ends_the_other_sessions_and_says_so(
        app: Flask, make_user: MakeUser, engine: Engine) -> None:
    user = make_user("officer")
    other = _signed_in(app, user.username, user.password)
    client = _signed_in(app, user.username, user.password)
    assert other.get("/signed-in").status_code == 200
    response = _change(client, user.password, NEW)
    assert response.status_code == 302
    landed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your password has been changed. You have been signed out everywhere else" in landed
    # This session goes on; the other browser is signed out.
    assert client.get("/signed-in").status_code == 200
    assert other.get("/signed-in").status_code == 302
    assert sign_in(app.test_client(), user.username, user.password).status_code == 200
    assert sign_in(app.test_client(), user.username, NEW).status_code == 302
    with engine.connect() as connection:
        logged = connection.execute(sa.select(access_log.c.action).where(
            access_log.c.username == user.username)).scalars().all()
    assert "password-changed" in logged


def _admin_reset(app: Flask, make_user: MakeUser, user_id: int) -> str:
    admin = make_user("admin")
    client = _signed_in(app, admin.username, admin.password)
    page = client.get(f"/admin/users/{user_id}")
    response = client.post(f"/admin/users/{user_id}/password", data={
        "csrf_token": csrf_token_from(page.get_data(as_text=True))})
    found = re.search(r'id="password"><code>([^<]+)</code>', response.get_data(as_text=True))
    assert found, "the new password is shown"
    return found.group(1)


def test_after_an_admin_reset_every_page_leads_to_the_new_password_page(
        app: Flask, make_user: MakeUser, make_token: MakeToken) -> None:
    tokened = make_token("officer")
    password = _admin_reset(app, make_user, tokened.user.id)
    client = app.test_client()
    response = sign_in(client, tokened.user.username, password)
    assert response.status_code == 302
    for path in ("/dashboard", "/signed-in", "/cases", "/log", "/admin", "/"):
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].endswith("/account/password"), path
    page = client.get("/account/password").get_data(as_text=True)
    assert "An administrator gave you this password" in page
    # The API goes by its token, which no password change touches.
    assert client.get("/api/events", headers=tokened.headers).status_code == 200
    assert app.test_client().get("/api/events", headers=tokened.headers).status_code == 200
    assert _change(client, password, NEW).status_code == 302
    assert client.get("/signed-in").status_code == 200
    assert "An administrator gave you" not in client.get("/account/password").get_data(as_text=True)


def test_users_added_by_an_admin_or_the_command_line_must_change_their_password(
        app: Flask, make_user: MakeUser) -> None:
    admin = make_user("admin")
    client = _signed_in(app, admin.username, admin.password)
    form = client.get("/admin/users/new")
    added = client.post("/admin/users/new", data={
        "username": "new.person", "role": "viewer",
        "csrf_token": csrf_token_from(form.get_data(as_text=True))}).get_data(as_text=True)
    password = re.search(r'id="password"><code>([^<]+)</code>', added)
    assert password
    first = _signed_in(app, "new.person", password.group(1))
    assert first.get("/dashboard").headers["Location"].endswith("/account/password")

    result = app.test_cli_runner().invoke(args=["casebook", "user", "add", "cli.person",
                                                "--role", "viewer"])
    typed = re.search(r"Password: (\S+)", result.output)
    assert typed, result.output
    second = _signed_in(app, "cli.person", typed.group(1))
    assert second.get("/dashboard").headers["Location"].endswith("/account/password")


def test_the_header_links_to_the_change_password_page(app: Flask, make_user: MakeUser) -> None:
    user = make_user("partner", ["davss"])
    client = _signed_in(app, user.username, user.password)
    html = client.get("/signed-in").get_data(as_text=True)
    assert 'href="/account/password">Change password</a>' in html
    assert app.test_client().get("/account/password").status_code == 302


def test_the_command_line_resets_a_password_to_be_changed(app: Flask, make_user: MakeUser) -> None:
    user = make_user("officer")
    signed = _signed_in(app, user.username, user.password)
    result = app.test_cli_runner().invoke(args=["casebook", "user", "reset-password",
                                                user.username])
    typed = re.search(r"New password for \S+: (\S+)", result.output)
    assert typed, result.output
    assert signed.get("/signed-in").status_code == 302  # its sessions ended
    assert sign_in(app.test_client(), user.username, user.password).status_code == 200
    client = _signed_in(app, user.username, typed.group(1))
    assert client.get("/dashboard").headers["Location"].endswith("/account/password")
    missing = app.test_cli_runner().invoke(args=["casebook", "user", "reset-two-step", "nobody"])
    assert missing.exit_code != 0 and "no user called 'nobody'" in missing.output
    reset = app.test_cli_runner().invoke(args=["casebook", "user", "reset-two-step",
                                               user.username])
    assert reset.exit_code == 0 and "Two-step sign-in reset" in reset.output
