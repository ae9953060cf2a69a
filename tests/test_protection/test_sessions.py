"""Sessions held on the server: a copied cookie stops working when the session is ended, and
no session outlives its idle or its absolute limit."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from events.clock import utc_now
from events.tables import UTCDateTime
from tests.helpers import ON_SQLITE_ONLY
from tests.test_casebook.conftest import SignedIn, TestUser, csrf_token_from, sign_in

pytestmark = ON_SQLITE_ONLY

COOKIE = "casebook_session"


def _copy(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of `client`'s session cookie."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie.value)
    return thief


def _post(client: FlaskClient, url: str, data: dict[str, str], page: str = "/signed-in"):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def _signed_in_with_a_copy(app: Flask, signed_in: SignedIn) -> tuple[TestUser, FlaskClient,
                                                                      FlaskClient]:
    owner = app.test_client()
    user = signed_in(owner, "officer")
    thief = _copy(app, owner)
    assert thief.get("/cases").status_code == 200
    return user, owner, thief


def _signed_out(client: FlaskClient) -> bool:
    response = client.get("/cases")
    return response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_copied_cookie_stops_working_when_its_owner_signs_out(
        app: Flask, signed_in: SignedIn) -> None:
    _, owner, thief = _signed_in_with_a_copy(app, signed_in)
    assert _post(owner, "/sign-out", {}).status_code == 302
    assert _signed_out(thief)


def test_a_copied_cookie_stops_working_after_a_password_reset(
        app: Flask, signed_in: SignedIn) -> None:
    user, owner, thief = _signed_in_with_a_copy(app, signed_in)
    admin = app.test_client()
    signed_in(admin, "admin")
    page = f"/admin/users/{user.id}"
    assert _post(admin, f"{page}/password", {}, page=page).status_code == 200
    assert _signed_out(thief) and _signed_out(owner)
    assert admin.get("/cases").status_code == 200


def test_a_copied_cookie_stops_working_after_the_account_is_disabled_and_enabled(
        app: Flask, signed_in: SignedIn) -> None:
    user, _, thief = _signed_in_with_a_copy(app, signed_in)
    admin = app.test_client()
    signed_in(admin, "admin")
    page = f"/admin/users/{user.id}"
    assert _post(admin, f"{page}/active", {"active": "no"}, page=page).status_code == 302
    assert _post(admin, f"{page}/active", {"active": "yes"}, page=page).status_code == 302
    assert _signed_out(thief)
    again = app.test_client()
    assert sign_in(again, user.username, user.password).status_code == 302


def _backdate(engine: Engine, user: TestUser, **ago: timedelta) -> int:
    now = utc_now()
    with engine.begin() as connection:
        changed = connection.execute(
            sa.text("UPDATE sessions SET " + ", ".join(f"{c} = :{c}" for c in ago)
                    + " WHERE user_id = :u"),
            {"u": user.id, **{column: now - delta for column, delta in ago.items()}})
    return int(changed.rowcount)


def test_a_session_ends_eight_hours_after_sign_in_however_busy(
        app: Flask, engine: Engine, signed_in: SignedIn) -> None:
    client = app.test_client()
    user = signed_in(client, "officer")
    _backdate(engine, user, created_at=timedelta(hours=7, minutes=59))
    assert client.get("/cases").status_code == 200
    assert _backdate(engine, user, created_at=timedelta(hours=8, minutes=1)) == 1
    assert _signed_out(client)


def test_the_absolute_limit_is_a_setting(
        app: Flask, engine: Engine, signed_in: SignedIn) -> None:
    app.config["SESSION_MAX_LIFETIME"] = 3600
    client = app.test_client()
    user = signed_in(client, "officer")
    _backdate(engine, user, created_at=timedelta(minutes=61))
    assert _signed_out(client)


def test_a_session_idle_for_its_lifetime_ends(
        app: Flask, engine: Engine, signed_in: SignedIn) -> None:
    client = app.test_client()
    user = signed_in(client, "officer")
    _backdate(engine, user, last_seen_at=timedelta(hours=8, minutes=1))
    assert _signed_out(client)


def test_the_idle_limit_is_a_setting(app: Flask, engine: Engine, signed_in: SignedIn) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = 600  # seconds; backdated, never waited for
    client = app.test_client()
    user = signed_in(client, "officer")
    _backdate(engine, user, last_seen_at=timedelta(seconds=590))
    assert client.get("/cases").status_code == 200
    _backdate(engine, user, last_seen_at=timedelta(seconds=610))
    assert _signed_out(client)


def test_using_a_session_starts_its_idle_time_again(
        app: Flask, engine: Engine, signed_in: SignedIn) -> None:
    client = app.test_client()
    user = signed_in(client, "officer")
    _backdate(engine, user, last_seen_at=timedelta(hours=7, minutes=50))
    assert client.get("/cases").status_code == 200
    last_seen = sa.column("last_seen_at", UTCDateTime)
    with engine.connect() as connection:
        seen = connection.execute(sa.select(last_seen).select_from(sa.table("sessions"))
                                  .where(sa.column("user_id") == user.id)).scalar_one()
    assert utc_now() - seen < timedelta(minutes=1)


def test_only_a_hash_of_the_session_id_is_stored(
        app: Flask, engine: Engine, signed_in: SignedIn) -> None:
    client = app.test_client()
    user = signed_in(client, "officer")
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT id_hash FROM sessions WHERE user_id = :u"),
                                    {"u": user.id}).scalars().all()
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    session_id = app.session_interface.get_signing_serializer(app).loads(  # type: ignore[attr-defined]
        cookie.value)["session_id"]
    assert stored == [hashlib.sha256(session_id.encode()).hexdigest()]
    assert session_id not in stored[0]


def test_a_copied_cookie_is_refused_from_another_browser(
        app: Flask, signed_in: SignedIn) -> None:
    _, _, thief = _signed_in_with_a_copy(app, signed_in)
    other_browser = thief.get("/cases", headers={"User-Agent": "Mozilla/5.0 (elsewhere)"})
    assert other_browser.status_code == 302


def test_a_copied_cookie_is_refused_from_another_address_even_naming_the_first(
        app: Flask, signed_in: SignedIn) -> None:
    _, owner, thief = _signed_in_with_a_copy(app, signed_in)
    elsewhere = thief.get("/cases", environ_base={"REMOTE_ADDR": "203.0.113.9"},
                          headers={"X-Forwarded-For": "127.0.0.1"})
    assert elsewhere.status_code == 302
    assert owner.get("/cases").status_code == 200


def test_an_api_token_still_works_beside_server_side_sessions(
        app: Flask, signed_in: SignedIn, make_token) -> None:
    token = make_token("officer")
    client = app.test_client()
    signed_in(client, "officer")
    assert client.get("/api/events", headers=token.headers).status_code == 200
    assert app.test_client().get("/api/events").status_code == 401


def test_after_a_session_ends_the_sign_in_form_still_works(
        app: Flask, engine: Engine, signed_in: SignedIn) -> None:
    client = app.test_client()
    user = signed_in(client, "officer")
    _backdate(engine, user, last_seen_at=timedelta(hours=9))
    assert sign_in(client, user.username, user.password).status_code == 302
    assert client.get("/cases").status_code == 200
