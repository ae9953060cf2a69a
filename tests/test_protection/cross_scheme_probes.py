"""Requests generated from the URL map, each carrying a case reference and an event id wherever
one can go (URL, query string, form field, JSON body), and what two answers are compared on.

A route added later is probed without any change here: its URL arguments are filled from the
access matrix's samples, or with the case reference when nothing else is known of them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.routing import BuildError
from werkzeug.test import TestResponse

from casebook.services.accounts import create_token
from casebook.web.forms import form_for, read_submission
from events.types import EVENT_TYPES
from tests.helpers import event
from tests.test_casebook.conftest import TestUser, csrf_token_from, sign_in
from tests.test_casebook.page_reading import date_fields
from tests.test_casebook.test_access_matrix import FILENAMES, PLAIN_SAMPLES, routes

#: Stand-ins for what each probe is filled with: a case reference and an event id.
CASE, EVENT = "<<case>>", "<<event>>"
#: The field and query names that carry a case reference, an event id, or a case's version.
CASE_FIELDS = ("case", "q", "version_case")
EVENT_FIELDS = ("event_id", "target")
VERSION_FIELDS = ("case_version", "seen")
#: The words of the one refusal allowed to differ from a new reference's answer.
REFUSED = "This case reference cannot be used in"

_MADE_UP = re.compile(r"NOCASE-[0-9A-F]{8}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*')
_NONCE = re.compile(r"nonce(=\"|-)[A-Za-z0-9_\-+/=]+")
_POSITIONS = re.compile(r'"positions":\{[^}]*\}')


def made_up_ref() -> str:
    """A case reference nobody has used (in capitals, as references are stored)."""
    return f"NOCASE-{uuid.uuid4().hex[:8].upper()}"


def alike(text: str, *refs: str) -> str:
    """`text` without what differs between two requests made alike: tokens, new ids, the refs."""
    for ref in refs:
        text = text.replace(ref, "<case>")
    text = _UUID.sub("<uuid>", _MADE_UP.sub("<case>", text))
    return _POSITIONS.sub('"positions":{}', _NONCE.sub("nonce", _CSRF_VALUE.sub(r"\1", text)))


@dataclass(frozen=True)
class Probe:
    """One request, with CASE and EVENT standing where a reference or an event id goes."""

    endpoint: str
    method: str
    values: dict[str, Any]
    query: dict[str, str]
    form: dict[str, str]
    body: Any

    def filled(self, case_ref: str, event_id: str) -> Probe:
        """The request with this case reference and event id put in."""

        def fill(item: Any) -> Any:
            if isinstance(item, str):
                return item.replace(CASE, case_ref).replace(EVENT, event_id)
            if isinstance(item, dict):
                return {fill(k): fill(v) for k, v in item.items()}
            if isinstance(item, list):
                return [fill(v) for v in item]
            return item

        return Probe(self.endpoint, self.method, fill(self.values), fill(self.query),
                     fill(self.form), fill(self.body))

    @property
    def names_an_event(self) -> bool:
        return EVENT in repr((self.values, self.query, self.form, self.body))

    def __str__(self) -> str:
        return f"{self.method} {self.endpoint} {self.values} {self.query or self.form or self.body}"


def probes(app: Flask, version: int) -> list[Probe]:
    """Every route in the URL map, each method, filled every way a reference can go in."""
    found: list[Probe] = []
    for endpoint, method, arguments in routes(app):
        for values in _url_values(app, endpoint, arguments, every_type=method != "GET"):
            if method != "GET" and endpoint.startswith("api."):
                found += [Probe(endpoint, method, values, {}, {}, body)
                          for body in _bodies(version)]
                continue
            for fields in _modes(version):
                if method == "GET":
                    query = fields | {"scheme": "davss", "type": "case.closed"}
                    found.append(Probe(endpoint, method, values, query, {}, None))
                else:
                    typed = _form_values(values["type_name"]) if "type_name" in values else {}
                    form = typed | fields | {"reason": "Probe"}
                    found.append(Probe(endpoint, method, values, {}, form, None))
    return found


def _modes(version: int) -> list[dict[str, str]]:
    """The references a probe carries: the case (with stale versions and none), the event, both."""
    cases = {name: CASE for name in CASE_FIELDS}
    events = {name: EVENT for name in EVENT_FIELDS}
    stale = [{name: str(seen) for name in VERSION_FIELDS} for seen in (0, version, version + 3)]
    return [cases, *(cases | seen for seen in stale), events, cases | events | stale[0]]


def _url_values(app: Flask, endpoint: str, arguments: set[str],
                *, every_type: bool) -> list[dict[str, Any]]:
    values: dict[str, Any] = {}
    for name in arguments:
        if name == "filename":
            values[name] = FILENAMES.get(endpoint, CASE)
        elif name == "event_id":
            values[name] = EVENT
        elif name in PLAIN_SAMPLES and name != "case_ref":
            values[name] = PLAIN_SAMPLES[name]
        else:  # a case reference, or whatever a new route takes: it gets the reference
            values[name] = CASE
    if not _builds(app, endpoint, values):  # a number in the URL: no reference goes there
        values = {k: 1 if v == CASE else v for k, v in values.items()}
    if "type_name" in arguments and every_type:
        return [values | {"type_name": name} for name in _loggable()]
    return [values]


def _builds(app: Flask, endpoint: str, values: dict[str, Any]) -> bool:
    with app.test_request_context():
        try:
            url_for(endpoint, **values)
        except (BuildError, ValueError):
            return False
    return True


def _loggable() -> list[str]:
    return [name for name, kind in EVENT_TYPES.items() if kind.loggable]


def _form_values(type_name: str) -> dict[str, str]:
    """A good submission of the type's generated form: first choices, 1s, and the reference."""
    values = date_fields("21")
    for field in form_for(EVENT_TYPES[type_name]).fields:
        if field.choices:
            values[field.input_id] = field.choices[0][0]
        else:
            values[field.input_id] = "1" if field.kind == "number" else CASE
    return values


def _bodies(version: int) -> list[Any]:
    """What the API's POST endpoints are sent: every type in the case, with expected versions."""
    found: list[Any] = []
    for type_name in _loggable():
        form = form_for(EVENT_TYPES[type_name])
        line = read_submission(form, "davss", _form_values(type_name)).line
        if form.case_allowed:
            line["case"] = CASE
        found.append(line)
        found += [{"events": [line], "expected_versions": {CASE: seen}}
                  for seen in (0, version, version + 3)]
    # No "id": the two requests compared must not send the same one.
    the_void = {k: v for k, v in event("event.voided", "davss", "2024-06-01", target=EVENT,
                                       reason="Probe").items() if k != "id"}
    closed = read_submission(form_for(EVENT_TYPES["case.closed"]), "davss",
                             _form_values("case.closed")).line | {"case": CASE}
    return [*found, the_void, {"events": [the_void, closed], "expected_versions": {CASE: 0}}]


@dataclass(frozen=True)
class Side:
    """Someone sending probes: the same partner each time, in a browser session of its own."""

    client: FlaskClient
    csrf: str
    token: str


def sides(app: Flask, user: TestUser, count: int) -> list[Side]:
    """`count` sessions of `user`, signed in through the form, with one API token."""
    with app.app_context():
        token = create_token(user.username, "cross-scheme probes")
    found = []
    for _ in range(count):
        client = app.test_client()
        assert sign_in(client, user.username, user.password).status_code == 302
        csrf = csrf_token_from(client.get("/sign-in").get_data(as_text=True))
        found.append(Side(client, csrf, token))
    return found


@dataclass(frozen=True)
class Answer:
    """A response as sent (body and headers) and as compared (status, then each made alike)."""

    raw: str
    seen: tuple[Any, ...]


def send(app: Flask, side: Side, probe: Probe, refs: tuple[str, ...]) -> list[Answer]:
    """Send a probe and follow its redirects: the answer, then each page it led to."""
    with app.test_request_context():
        path = url_for(probe.endpoint, **probe.values)
    path += "?" + urlencode(probe.query) if probe.query else ""
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {side.token}"}
        response = side.client.open(path, method=probe.method, headers=headers,
                                    json=probe.body if probe.method != "GET" else None)
    else:
        response = side.client.open(path, method=probe.method, data=(
            None if probe.method == "GET" else probe.form | {"csrf_token": side.csrf}))
    answers = [_answer(response, refs)]
    for _ in range(3):  # following reads the flash message too, so the next page starts clean
        location = response.headers.get("Location", "")
        if response.status_code not in (301, 302, 303) or not location.startswith("/"):
            break
        response = side.client.get(location)
        answers.append(_answer(response, refs))
    return answers


def _answer(response: TestResponse, refs: tuple[str, ...]) -> Answer:
    raw = response.get_data().decode("utf-8", "replace")
    response.close()
    headers = [response.headers.get(name, "")
               for name in ("Location", "Content-Type", "Content-Disposition")]
    return Answer("".join([raw, *headers]),
                  (response.status_code, *(alike(text, *refs) for text in (*headers, raw))))


def difference(probe: Probe, foreign: list[Answer], made_up: list[Answer],
               other: list[Answer]) -> str | None:
    """What the answer about another scheme's case tells that a new reference's does not, if any.

    `other` is the answer for a case of a third scheme, in another state and at another version.
    """
    if [a.seen for a in foreign] == [a.seen for a in made_up]:
        return None
    both_logged = foreign[0].seen[0] == 303 and foreign[0].seen == made_up[0].seen
    if both_logged and [a.seen[0] for a in foreign] == [a.seen[0] for a in made_up]:
        return None  # the pages they led to show each new event's own position in the log
    # A reference used by another scheme is refused where a new one would open a case: that it
    # is used somewhere shows, but not by which scheme, in what state or at what version.
    if REFUSED in foreign[0].raw and [a.seen for a in foreign] == [a.seen for a in other]:
        return None
    return f"{probe}: {foreign[0].seen[0]}, a new reference {made_up[0].seen[0]}"
