"""Hostile input on every route: huge numbers, half characters, deep JSON get 400 or 404, never 500.

The routes come from the app's URL map, so a route added later is probed as well.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from tests.helpers import ON_SQLITE_ONLY, log, referral
from tests.test_casebook.conftest import MakeUser, csrf_token_from, sign_in

pytestmark = ON_SQLITE_ONLY

HUGE = "9" * 40
#: The UTF-8 bytes of half a character (a lone surrogate), as a URL writes them.
HALF_CHARACTER = "%ED%A0%80"
#: What a URL argument or query value is replaced with, one probe each.
HOSTILE = [HUGE, HALF_CHARACTER, "x" * 5000]
#: Query and form names the routes read, or might one day; every one is sent hostile values.
NAMES = ["before", "after", "limit", "seen", "page", "case", "scheme", "type", "from", "to",
         "recorded_by", "year", "quarter", "figure", "period", "next", "q", "case_version",
         "version_case", "event_id", "reason", "username", "password", "role", "schemes", "name",
         "lead", "priority", "active", "label", "occurred-day", "occurred-month",
         "occurred-year", "occurred-time", "data-subject", "data-outcome"]
#: JSON bodies: nested past any parser's depth, and half characters where an event has text.
DEEP_JSON = "[" * 100_000 + "]" * 100_000
HALF_JSON = json.dumps({"type": "referral.received", "scheme": "davss", "case": "DA-2",
                        "occurred_at": "2024-05-01", "data": {"subject": "S-\ud800"}})
HALF_VERSIONS = json.dumps({"events": [json.loads(HALF_JSON) | {"data": {}}],
                            "expected_versions": {"DA-\udfff": 0}})
#: A value of one JSON key per name, each half a character.
HALF_FIELDS = "{" + ", ".join(f'"{name}": "\\ud800"' for name in NAMES) + "}"
SKIPPED = {"auth.sign_out", "static", "govuk_assets"}
_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@dataclass
class Prober:
    """A signed-in browser and an API token of one role, sending every probe."""

    role: str
    client: FlaskClient
    token: str

    def send(self, method: str, path: str, **options: Any) -> int | str:
        """The response's status, or the error that escaped (a 500 once deployed)."""
        headers = {"Authorization": f"Bearer {self.token}", **options.pop("headers", {})}
        try:
            response = self.client.open(path, method=method, headers=headers, **options)
        except Exception as error:  # the app's test mode lets a server error through
            return f"500 {type(error).__name__}"
        response.close()
        return response.status_code


def _probes(app: Flask, csrf: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Each route and method with each hostile value in every URL argument, query value and
    form field at once; and every route taking a POST sent each hostile JSON body."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for value in HOSTILE:
                path = _ARGUMENT.sub(value, rule.rule)
                query = "&".join(f"{name}={value}" for name in NAMES)
                if method == "GET":
                    yield method, f"{path}?{query}", {}
                    continue
                yield method, f"{path}?{query}", {
                    "data": f"{query}&csrf_token={csrf}",
                    "content_type": "application/x-www-form-urlencoded"}
                for body in (DEEP_JSON, HALF_JSON, HALF_VERSIONS, HALF_FIELDS):
                    yield method, path, {"data": body, "content_type": "application/json",
                                         "headers": {"X-CSRFToken": csrf}}


@pytest.fixture
def admin(app: Flask, make_user: MakeUser) -> Prober:
    """An administrator, who may reach every route, signed in and with a token."""
    from casebook.services.accounts import create_token

    user = make_user("admin")
    client = app.test_client()
    assert sign_in(client, user.username, user.password).status_code == 302
    with app.app_context():
        token = create_token(user.username, "probe")
    return Prober("admin", client, token)


def test_no_route_answers_hostile_input_with_a_server_error(
    app: Flask, engine: Engine, admin: Prober
) -> None:
    log(engine, referral(scheme="davss", case="DA-1"))
    failures: list[str] = []
    sent = 0
    csrf = csrf_token_from(admin.client.get("/sign-in").get_data(as_text=True))
    for method, path, options in _probes(app, csrf):
        status = admin.send(method, path, **options)
        sent += 1
        if isinstance(status, str) or status >= 500:
            body = str(options.get("data", ""))[:60]
            failures.append(f"{method} {path[:100]} {body!r}: {status}")
    assert sent > 250
    assert not failures, "\n".join(failures)


def test_huge_numbers_in_the_event_log_and_summary_addresses_are_refused_or_not_found(
    admin: Prober,
) -> None:
    assert admin.send("GET", f"/events?before={HUGE}") == 400
    assert admin.send("GET", f"/summaries/{HUGE}") == 404
    assert admin.send("GET", f"/summaries/{HUGE}/internal.csv") == 404
    assert admin.send("GET", f"/admin/users/{HUGE}") == 404


def test_the_api_refuses_deep_json_and_half_characters_with_400(
    admin: Prober, engine: Engine
) -> None:
    for body in (DEEP_JSON, HALF_JSON, HALF_VERSIONS):
        assert admin.send("POST", "/api/events", data=body,
                          content_type="application/json") == 400
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT COUNT(*) FROM events").scalar_one() == 0
