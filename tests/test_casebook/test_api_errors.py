"""Every error of the JSON API has one body, the OpenAPI document's `Error`: for every /api/ route
of the app, a call without a token, a method it does not take and (for a POST) a malformed body
are answered with {"error": name, "message": text, "fields"?: {...}}."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient

from casebook.web.api.errors import api_error, error_name
from tests.helpers import ON_SQLITE_ONLY
from tests.test_casebook.conftest import MakeToken

pytestmark = ON_SQLITE_ONLY

#: The API routes anyone may call without a token.
PUBLIC = frozenset({"/api/openapi.json"})
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: Bodies a POST cannot be read from, with the status each is answered with.
MALFORMED: list[tuple[str, bytes, int]] = [
    ("not JSON", b'{"type": "referral.received",', 400),
    ("a JSON number", b"42", 400),
    ("a JSON string", b'"events"', 400),
    ("no events", b"[]", 422),
    ("unknown fields", b'{"events": [], "extra": 1}', 422),
    ("bad expected versions", b'{"events": [{}], "expected_versions": [1]}', 422),
]


def _api_paths(app: Flask) -> dict[str, set[str]]:
    """Each /api/ path of the URL map, with the methods its rules take."""
    paths: dict[str, set[str]] = defaultdict(set)
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            assert not rule.arguments, f"{rule.rule}: give this test a value for its arguments"
            paths[rule.rule].update(rule.methods or ())
    assert paths, "no API routes found"
    return dict(paths)


def _is_the_error_shape(document: dict[str, Any], response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    jsonschema.validate(body, {"$ref": "#/components/schemas/Error",
                               "components": document["components"]})
    assert set(body) <= {"error", "message", "fields"}, body
    assert body["error"] == error_name(status) and body["message"].strip()
    assert all(isinstance(problems, list) and all(isinstance(p, str) for p in problems)
               for problems in body.get("fields", {}).values())
    return dict(body)


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    found: dict[str, Any] = client.get("/api/openapi.json").get_json()
    return found


def test_a_call_without_a_token_is_refused_with_the_error_body(
    app: Flask, client: FlaskClient, document: dict[str, Any],
) -> None:
    for path, methods in _api_paths(app).items():
        for method in sorted(set(methods) & set(METHODS)):
            response = client.open(path, method=method)
            if path in PUBLIC:
                assert response.status_code == 200, path
                continue
            _is_the_error_shape(document, response, 401)
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), path


def test_a_method_a_route_does_not_take_is_refused_with_the_error_body(
    app: Flask, client: FlaskClient, make_token: MakeToken, document: dict[str, Any],
) -> None:
    officer = make_token("officer")
    for path, methods in _api_paths(app).items():
        for method in sorted(set(METHODS) - methods):
            for headers in ({}, officer.headers):
                response = client.open(path, method=method, headers=headers)
                _is_the_error_shape(document, response, 405)
                allowed = {m.strip() for m in response.headers["Allow"].split(",")}
                assert allowed == methods, (path, method)


def test_a_malformed_body_is_refused_with_the_error_body(
    app: Flask, client: FlaskClient, make_token: MakeToken, document: dict[str, Any],
) -> None:
    officer = make_token("officer")
    posted = [path for path, methods in _api_paths(app).items() if "POST" in methods]
    assert posted == ["/api/events"]
    for path in posted:
        for what, data, status in MALFORMED:
            response = client.post(path, data=data, headers=officer.headers,
                                   content_type="application/json")
            body = _is_the_error_shape(document, response, status)
            assert (status == 400) != bool(body.get("fields")), what


def test_a_role_without_the_right_and_an_unknown_address_have_the_error_body(
    client: FlaskClient, make_token: MakeToken, document: dict[str, Any],
) -> None:
    viewer = make_token("viewer")
    refused = client.post("/api/events", json=[{}], headers=viewer.headers)
    _is_the_error_shape(document, refused, 403)
    _is_the_error_shape(document, client.get("/api/nowhere", headers=viewer.headers), 404)
    _is_the_error_shape(document, client.get("/api/events", headers=viewer.headers), 403)


def test_the_error_body_names_the_status(app: Flask) -> None:
    with app.test_request_context("/api/events"):
        unauthorised = api_error(401, "Send a token.")
        refused = api_error(422, "Nothing was stored.", {"events": ["Empty list."]},
                            headers=[("Content-Type", "text/html"), ("Allow", "GET")])
    assert unauthorised.get_json() == {"error": "unauthorised", "message": "Send a token."}
    assert unauthorised.headers["WWW-Authenticate"] == 'Bearer realm="casebook"'
    assert refused.status_code == 422 and refused.mimetype == "application/json"
    assert refused.get_json()["fields"] == {"events": ["Empty list."]}
    assert refused.headers["Allow"] == "GET"
    assert [error_name(s) for s in (400, 403, 404, 405, 409, 413, 500)] == [
        "bad_request", "forbidden", "not_found", "method_not_allowed", "conflict", "too_large",
        "internal_server_error"]
