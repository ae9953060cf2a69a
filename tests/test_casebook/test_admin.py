"""Admin pages: people and schemes, with every scheme change kept as history."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from events.tables import schemes
from tests.helpers import ON_SQLITE_ONLY, referral
from tests.test_casebook.conftest import SignedIn, csrf_token_from, sign_in

pytestmark = ON_SQLITE_ONLY


def _post(client: FlaskClient, url: str, data: dict[str, object], page: str | None = None):
    token = csrf_token_from(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def test_an_admin_adds_a_partner_who_can_then_sign_in_with_the_password_shown(
        app: Flask, signed_in: SignedIn) -> None:
    admin = app.test_client()
    signed_in(admin, "admin")
    response = _post(admin, "/admin/users/new", {"username": "d.worker", "role": "partner",
                                                 "schemes": ["davss", "channel"]})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    password = re.search(r"<code>([^<]+)</code>", html)
    assert password and "User added" in html
    partner = app.test_client()
    assert sign_in(partner, "d.worker", password.group(1)).status_code == 302
    users = admin.get("/admin/users").get_data(as_text=True)
    assert "d.worker" in users and "channel, davss" in users


def test_adding_a_user_with_mistakes_shows_each_in_the_error_summary(
        client: FlaskClient, signed_in: SignedIn) -> None:
    signed_in(client, "admin")
    response = _post(client, "/admin/users/new", {"username": "x y", "role": "partner"})
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html and 'href="#username"' in html
    assert 'value="x y"' in html
    response = _post(client, "/admin/users/new", {"username": "ok.name", "role": "partner"})
    assert 'href="#schemes"' in response.get_data(as_text=True)
    response = _post(client, "/admin/users/new", {"username": "ok.name"})
    assert 'href="#role"' in response.get_data(as_text=True)


def test_an_admin_changes_a_role_and_schemes(
        app: Flask, client: FlaskClient, signed_in: SignedIn, make_user) -> None:
    from casebook.models import User, reading_session

    signed_in(client, "admin")
    officer = make_user("officer")
    url = f"/admin/users/{officer.id}"
    response = _post(client, url, {"role": "partner", "schemes": ["davss"]})
    assert response.status_code == 302
    with app.app_context(), reading_session() as db:
        changed = db.get(User, officer.id)
    assert changed is not None and changed.role == "partner" and changed.scheme_ids == {"davss"}


def test_a_disabled_user_is_signed_out_and_their_tokens_stop_working(
        app: Flask, signed_in: SignedIn, make_token) -> None:
    admin, victim = app.test_client(), app.test_client()
    signed_in(admin, "admin")
    officer = signed_in(victim, "officer")
    assert victim.get("/signed-in").status_code == 200
    with app.app_context():
        from casebook.services.accounts import create_token
        token = create_token(officer.username, "script")
    headers = {"Authorization": f"Bearer {token}"}
    assert victim.get("/api/events", headers=headers).status_code == 200
    response = _post(admin, f"/admin/users/{officer.id}/active", {"active": "no"},
                     page=f"/admin/users/{officer.id}")
    assert response.status_code == 302
    assert victim.get("/signed-in").status_code == 302
    assert victim.get("/api/events", headers=headers).status_code == 401
    _post(admin, f"/admin/users/{officer.id}/active", {"active": "yes"},
          page=f"/admin/users/{officer.id}")
    assert sign_in(app.test_client(), officer.username, officer.password).status_code == 302


def test_the_last_active_admin_cannot_be_disabled_or_demoted(
        client: FlaskClient, signed_in: SignedIn) -> None:
    me = signed_in(client, "admin")
    page = f"/admin/users/{me.id}"
    _post(client, f"/admin/users/{me.id}/active", {"active": "no"}, page=page)
    assert client.get("/signed-in").status_code == 200
    response = _post(client, page, {"role": "viewer"})
    assert "only active administrator" in response.get_data(as_text=True)


def test_a_new_password_replaces_the_old_one(
        app: Flask, client: FlaskClient, signed_in: SignedIn, make_user) -> None:
    signed_in(client, "admin")
    viewer = make_user("viewer")
    response = _post(client, f"/admin/users/{viewer.id}/password", {},
                     page=f"/admin/users/{viewer.id}")
    password = re.search(r"<code>([^<]+)</code>", response.get_data(as_text=True))
    assert password
    assert sign_in(app.test_client(), viewer.username, viewer.password).status_code == 200
    assert sign_in(app.test_client(), viewer.username, password.group(1)).status_code == 302


def test_scheme_changes_are_kept_as_history_and_shown(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    me = signed_in(client, "admin")
    added = _post(client, "/admin/schemes/new", {"scheme_id": "safer-streets",
                                                 "name": "Safer Streets", "lead": "Council",
                                                 "priority": "Acquisitive crime"})
    assert added.headers["Location"] == "/admin/schemes/safer-streets"
    renamed = _post(client, "/admin/schemes/safer-streets",
                    {"name": "Safer Streets 5", "lead": "Council",
                     "priority": "Acquisitive crime"})
    assert renamed.status_code == 302
    _post(client, "/admin/schemes/safer-streets/retired", {"retired": "yes"},
          page="/admin/schemes/safer-streets")
    with engine.connect() as connection:
        row = connection.execute(sa.select(schemes).where(
            schemes.c.scheme_id == "safer-streets")).one()
    assert row.name == "Safer Streets 5" and row.retired_at is not None
    history = client.get("/admin/schemes/safer-streets").get_data(as_text=True)
    history = history[history.index('id="history"'):]
    assert history.count(me.username) == 5  # name, lead and priority set; a rename; retired
    assert "Safer Streets</td>" in history and "Safer Streets 5</td>" in history
    assert "retired" in history


def test_a_retired_scheme_refuses_new_events(
        client: FlaskClient, signed_in: SignedIn, make_token) -> None:
    signed_in(client, "admin")
    _post(client, "/admin/schemes/davss/retired", {"retired": "yes"},
          page="/admin/schemes/davss")
    officer = make_token("officer")
    response = client.post("/api/events", json=referral(scheme="davss"),
                           headers=officer.headers)
    assert response.status_code == 422
    assert "retired" in str(response.get_json()["items"])


def test_a_scheme_with_a_bad_id_or_a_blank_name_is_refused(
        client: FlaskClient, signed_in: SignedIn) -> None:
    signed_in(client, "admin")
    response = _post(client, "/admin/schemes/new", {"scheme_id": "Bad Id", "name": "x",
                                                    "lead": "y", "priority": "z"})
    assert 'href="#scheme_id"' in response.get_data(as_text=True)
    response = _post(client, "/admin/schemes/davss", {"name": " ", "lead": "y",
                                                      "priority": "z"})
    assert 'href="#name"' in response.get_data(as_text=True)


def test_an_admin_creates_a_users_api_token_and_revokes_it(
        client: FlaskClient, signed_in: SignedIn, make_user) -> None:
    signed_in(client, "admin")
    officer = make_user("officer")
    page = f"/admin/users/{officer.id}"
    created = _post(client, f"{page}/tokens", {"name": "nightly upload"}, page=page)
    token = re.search(r'id="token"><code>([^<]+)</code>', created.get_data(as_text=True))
    assert token
    headers = {"Authorization": f"Bearer {token.group(1)}"}
    assert client.get("/api/events", headers=headers).status_code == 200
    listed = client.get(page).get_data(as_text=True)
    assert "nightly upload" in listed and token.group(1) not in listed
    token_id = re.search(rf"/admin/users/{officer.id}/tokens/(\d+)/revoke", listed)
    assert token_id
    revoked = _post(client, f"{page}/tokens/{token_id.group(1)}/revoke", {}, page=page)
    assert revoked.status_code == 302
    assert client.get("/api/events", headers=headers).status_code == 401
    assert "Revoked" in client.get(page).get_data(as_text=True)


def test_a_token_cannot_be_revoked_through_another_users_page(
        client: FlaskClient, signed_in: SignedIn, make_token) -> None:
    me = signed_in(client, "admin")
    other = make_token("officer")
    listed = client.get(f"/admin/users/{other.user.id}").get_data(as_text=True)
    token_id = re.search(r"/tokens/(\d+)/revoke", listed)
    assert token_id
    wrong = _post(client, f"/admin/users/{me.id}/tokens/{token_id.group(1)}/revoke", {},
                  page=f"/admin/users/{me.id}")
    assert wrong.status_code == 404
    assert client.get("/api/events", headers=other.headers).status_code == 200
