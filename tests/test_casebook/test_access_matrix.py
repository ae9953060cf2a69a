"""Every route, tried by every role and anonymously: who gets in is exactly what the table says.

The routes come from the app's URL map, so a route added later without an entry in ACCESS
fails `test_every_route_has_an_expected_access`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from casebook.models import ROLES
from tests.helpers import ON_SQLITE_ONLY, log, referral
from tests.test_casebook.conftest import MakeUser, csrf_token_from, sign_in

pytestmark = ON_SQLITE_ONLY

EVERYONE = "everyone"
ALL_ROLES = frozenset(ROLES)
STAFF = frozenset({"admin", "officer", "partner"})
ADMIN = frozenset({"admin"})

#: Who may use each route, by endpoint, or by blueprint prefix ("admin."); the longest key wins.
ACCESS: dict[str, str | frozenset[str]] = {
    "static": EVERYONE,
    "govuk_assets": EVERYONE,
    "home": EVERYONE,
    "auth.sign_in": EVERYONE,
    "auth.sign_out": EVERYONE,
    "auth.signed_in": ALL_ROLES,
    "account.password": ALL_ROLES,
    # The code step of sign-in: anyone may ask; without a right password first it leads back.
    "account.sign_in_code": EVERYONE,
    "account.set_up_two_step": EVERYONE,
    "api.openapi": EVERYONE,
    "api.summary": ALL_ROLES,
    "api.list_events": STAFF,
    "api.post_events": STAFF,
    "admin.": ADMIN,
    "messages.": ADMIN,
    "log.": STAFF,
    "returns.": STAFF,
    "cases.": STAFF,
    "void.": STAFF,
    "events.": STAFF,
    "dashboard.": ALL_ROLES,
    "dashboard.figure_csv": STAFF,
    "summaries.": ALL_ROLES,
    "summaries.generate_now": ADMIN,
    "plan.": ALL_ROLES,
    "plan.priorities": ADMIN,
    "plan.vocabulary": ADMIN,
    "plan.upload": ADMIN,
    "plan.new_figure": ADMIN,
    "plan.change_figure": ADMIN,
}

#: Values for URL arguments, by argument name (and by endpoint where one name means two things).
FILENAMES = {"static": "casebook.css", "govuk_assets": "images/favicon.ico"}
PLAIN_SAMPLES = {"scheme_id": "davss", "type_name": "referral.received",
                 "figure_id": "davss.referrals", "summary_id": 1, "variant": "internal",
                 "fmt": "csv", "token_id": 1, "year": "2025-26",
                 "message_id": 1}


def expected_access(endpoint: str) -> str | frozenset[str] | None:
    """The ACCESS entry that governs `endpoint`, or None if there is none."""
    keys = [key for key in ACCESS
            if key == endpoint or (key.endswith(".") and endpoint.startswith(key))]
    return ACCESS[max(keys, key=len)] if keys else None


def routes(app: Flask) -> list[tuple[str, str, set[str]]]:
    """(endpoint, method, argument names) for every rule; signing out comes last."""
    found = [(rule.endpoint, method, set(rule.arguments))
             for rule in app.url_map.iter_rules()
             for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})]
    return sorted(found, key=lambda r: (r[0] == "auth.sign_out", r[0], r[1]))


def test_every_route_has_an_expected_access(app: Flask) -> None:
    missing = sorted({endpoint for endpoint, _, _ in routes(app)
                      if expected_access(endpoint) is None})
    assert missing == [], f"add these endpoints to ACCESS: {missing}"


@dataclass
class Visitor:
    """Someone trying the routes: a role (None for anonymous), a browser and an API token."""

    role: str | None
    client: FlaskClient
    token: str | None
    username: str = ""
    password: str = ""


@pytest.fixture
def visitors(app: Flask, make_user: MakeUser) -> list[Visitor]:
    from casebook.services.accounts import create_token

    found = [Visitor(None, app.test_client(), None)]
    for role in ROLES:
        user = make_user(role, ["davss"] if role == "partner" else [])
        client = app.test_client()
        assert sign_in(client, user.username, user.password).status_code == 302
        with app.app_context():
            token = create_token(user.username, "matrix")
        found.append(Visitor(role, client, token, user.username, user.password))
    return found


def _denied(visitor: Visitor, path: str, status: int, location: str) -> bool:
    if path.startswith("/api/"):
        return status in (401, 403)
    if visitor.role is None:
        return status in (301, 302, 303) and location.startswith("/sign-in?next=")
    return status == 403


def _try(visitor: Visitor, method: str, path: str) -> Any:
    headers = {"Authorization": f"Bearer {visitor.token}"} if visitor.token else {}
    if method == "GET":
        return visitor.client.get(path, headers=headers)
    token = csrf_token_from(visitor.client.get("/sign-in").get_data(as_text=True))
    return visitor.client.open(path, method=method, headers=headers,
                               data={"csrf_token": token})


def _samples(engine: Engine, make_user: MakeUser) -> dict[str, Any]:
    """A value for every URL argument: a stored event, its case, another user."""
    stored = log(engine, referral(scheme="davss"))[0]
    target = make_user("viewer")
    return {**PLAIN_SAMPLES, "case_ref": stored.case_ref, "event_id": stored.event_id,
            "user_id": target.id}


def test_every_role_gets_into_exactly_the_routes_it_should(
        app: Flask, engine: Engine, visitors: list[Visitor], make_user: MakeUser) -> None:
    samples = _samples(engine, make_user)
    wrong: list[str] = []
    tried = 0
    for endpoint, method, arguments in routes(app):
        values = {name: FILENAMES[endpoint] if name == "filename" else samples[name]
                  for name in arguments}
        with app.test_request_context():
            path = url_for(endpoint, **values)
        expected = expected_access(endpoint)
        for visitor in visitors:
            response = _try(visitor, method, path)
            status, location = response.status_code, response.headers.get("Location", "")
            response.close()
            tried += 1
            should_enter = expected == EVERYONE or (
                visitor.role is not None and visitor.role in (expected or ()))
            if status >= 500:
                wrong.append(f"{method} {path} as {visitor.role}: {status}")
            elif _denied(visitor, path, status, location) == should_enter:
                verdict = "let in" if should_enter else "kept out"
                wrong.append(f"{method} {path} as {visitor.role or 'anonymous'} should be "
                             f"{verdict}, got {status} {location}")
            if endpoint == "auth.sign_out" and visitor.role is not None:
                sign_in(visitor.client, visitor.username, visitor.password)
    assert tried >= 5 * 30
    assert wrong == []


def test_every_form_post_without_its_csrf_token_is_refused(
        app: Flask, engine: Engine, visitors: list[Visitor], make_user: MakeUser) -> None:
    samples = _samples(engine, make_user)
    admin = next(v for v in visitors if v.role == "admin")
    posts = [(endpoint, arguments) for endpoint, method, arguments in routes(app)
             if method == "POST" and not endpoint.startswith("api.")]
    assert len(posts) >= 8
    for endpoint, arguments in posts:
        with app.test_request_context():
            path = url_for(endpoint, **{name: samples[name] for name in arguments})
        response = admin.client.post(path, data={"reason": "x", "active": "no"})
        assert response.status_code == 400, f"POST {path} without a CSRF token: {response.status}"
        assert "Your form could not be sent" in response.get_data(as_text=True)
    assert admin.client.get("/signed-in").status_code == 200
