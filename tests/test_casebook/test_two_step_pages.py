"""Two-step sign-in through the pages: an admin requires it of a role, a user sets it up after
the password, then signs in with a code from a fixed time, or with a recovery code once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from casebook.services.access_log import access_log
from tests.helpers import ON_SQLITE_ONLY
from tests.test_casebook.conftest import MakeToken, MakeUser, TestUser, csrf_token_from, sign_in

pytestmark = ON_SQLITE_ONLY

NOW = datetime(2026, 3, 2, 9, 30, 10, tzinfo=UTC)


def _post(client: FlaskClient, path: str, data: dict[str, object], form: str | None = None):
    page = client.get(form or path)
    return client.post(path, data={**data, "csrf_token": csrf_token_from(
        page.get_data(as_text=True))})


def _require(app: Flask, make_user: MakeUser, *roles: str) -> None:
    admin = make_user("admin")
    client = app.test_client()
    assert sign_in(client, admin.username, admin.password).status_code == 302
    response = _post(client, "/admin/two-step", {"roles": list(roles)})
    assert response.status_code == 302
    assert "Two-step sign-in is now required of" in client.get(
        "/admin/two-step").get_data(as_text=True)


def _enrol(app: Flask, user: TestUser) -> tuple[FlaskClient, str, list[str]]:
    client = app.test_client()
    response = sign_in(client, user.username, user.password)
    assert response.headers["Location"].endswith("/sign-in/two-step/set-up")
    # Not signed in yet: no page opens until the code is given.
    assert client.get("/signed-in").headers["Location"].startswith("/sign-in")
    page = client.get("/sign-in/two-step/set-up").get_data(as_text=True)
    grouped = re.search(r'id="secret"><code>([A-Z2-7 ]+)</code>', page)
    assert grouped, page
    secret = grouped.group(1).replace(" ", "")
    assert f"otpauth://totp/casebook:{user.username}?secret={secret}" in page.replace("&amp;", "&")
    wrong = _post(client, "/sign-in/two-step/set-up", {"code": "000000"})
    assert 'href="#code">The code is not right' in wrong.get_data(as_text=True)
    done = _post(client, "/sign-in/two-step/set-up", {"code": pyotp.TOTP(secret).at(NOW)})
    codes = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10
    assert client.get("/signed-in").status_code == 200
    return client, secret, codes


def test_a_role_that_must_use_two_step_sets_it_up_then_signs_in_with_codes(
        app: Flask, make_user: MakeUser, engine: Engine) -> None:
    app.config["FROZEN_NOW"] = NOW
    _require(app, make_user, "officer")
    officer = make_user("officer")
    _, secret, codes = _enrol(app, officer)

    client = app.test_client()
    response = sign_in(client, officer.username, officer.password, next_url="/cases")
    assert response.headers["Location"].endswith("/sign-in/two-step")
    assert client.get("/cases").status_code == 302
    later = NOW + timedelta(minutes=3)
    app.config["FROZEN_NOW"] = later
    wrong = _post(client, "/sign-in/two-step", {"code": pyotp.TOTP(secret).at(NOW)})
    assert 'href="#code">The code is not right' in wrong.get_data(as_text=True)
    right = _post(client, "/sign-in/two-step", {"code": pyotp.TOTP(secret).at(later)})
    assert right.status_code == 302 and right.headers["Location"] == "/cases"
    assert client.get("/cases").status_code == 200

    again = app.test_client()
    sign_in(again, officer.username, officer.password)
    assert _post(again, "/sign-in/two-step", {"code": codes[0]}).status_code == 302
    assert again.get("/signed-in").status_code == 200
    once_more = app.test_client()
    sign_in(once_more, officer.username, officer.password)
    used = _post(once_more, "/sign-in/two-step", {"code": codes[0]})
    assert "The code is not right" in used.get_data(as_text=True)
    assert once_more.get("/signed-in").status_code == 302
    with engine.connect() as connection:
        actions = set(connection.execute(sa.select(access_log.c.action)).scalars())
    assert {"two-step-required", "two-step-enrolled", "recovery-code-used"} <= actions


def test_other_roles_sign_in_with_the_password_alone(app: Flask, make_user: MakeUser) -> None:
    _require(app, make_user, "officer")
    viewer = make_user("viewer")
    client = app.test_client()
    assert sign_in(client, viewer.username, viewer.password).headers["Location"] == "/dashboard"


def test_wrong_codes_count_towards_the_lock_and_a_password_does_not_clear_them(
        app: Flask, make_user: MakeUser) -> None:
    app.config["FROZEN_NOW"] = NOW
    _require(app, make_user, "partner")
    partner = make_user("partner", ["davss"])
    _enrol(app, partner)  # its wrong code stops counting when the right one signs in
    client = app.test_client()
    statuses = []
    for _ in range(5):
        # The right password each time: it starts the code step, and counts as no success.
        assert sign_in(client, partner.username, partner.password).status_code == 302
        statuses.append(_post(client, "/sign-in/two-step", {"code": "123456"}).status_code)
    assert statuses == [200, 200, 200, 200, 403]
    locked = sign_in(app.test_client(), partner.username, partner.password)
    assert locked.status_code == 403
    assert "This account is locked" in locked.get_data(as_text=True)


def test_the_code_step_needs_a_password_first_and_keeps_the_api_as_it_was(
        app: Flask, make_user: MakeUser, make_token: MakeToken) -> None:
    _require(app, make_user, "officer")
    client = app.test_client()
    for path in ("/sign-in/two-step", "/sign-in/two-step/set-up"):
        assert client.get(path).headers["Location"].endswith("/sign-in"), path
    tokened = make_token("officer")
    assert app.test_client().get("/api/events", headers=tokened.headers).status_code == 200


def test_an_admin_resets_a_users_two_step_sign_in(app: Flask, make_user: MakeUser) -> None:
    app.config["FROZEN_NOW"] = NOW
    viewer = make_user("viewer")
    _require(app, make_user, "viewer")
    _enrol(app, viewer)
    admin = make_user("admin")
    client = app.test_client()
    sign_in(client, admin.username, admin.password)
    page = client.get(f"/admin/users/{viewer.id}").get_data(as_text=True)
    assert "Set up " in page
    assert _post(client, f"/admin/users/{viewer.id}/two-step/reset", {},
                 form=f"/admin/users/{viewer.id}").status_code == 302
    assert "Not set up." in client.get(f"/admin/users/{viewer.id}").get_data(as_text=True)
    again = sign_in(app.test_client(), viewer.username, viewer.password)
    assert again.headers["Location"].endswith("/sign-in/two-step/set-up")
