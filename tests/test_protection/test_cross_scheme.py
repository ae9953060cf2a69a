"""Another scheme's case or event is, to a partner without that scheme, one that does not exist.

The focused tests pin the probes that once leaked; the generated one sends every route and API
endpoint in the URL map a reference to another scheme's case and events, and the same request
with a made-up reference, and finds no difference between the two answers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from events.db import reading
from events.store import EventsRefused, read_events
from tests.helpers import event, let_log_any_type, log, notice, referral, void
from tests.test_casebook.conftest import MakeToken, MakeUser, SignedIn, csrf_token_from
from tests.test_casebook.page_reading import date_fields, hidden_fields, text_of
from tests.test_casebook.test_access_matrix import routes
from tests.test_protection.cross_scheme_probes import (
    alike,
    difference,
    made_up_ref,
    probes,
    send,
    sides,
)

SUBJECT = "Jo Foreign-Subject"
OUTCOME = "Moved to Foreign Street"
VOID_REASON = "Foreign void reason"


@dataclass(frozen=True)
class ForeignCase:
    """An asb-casework case a davss partner must not learn anything about."""

    case_ref: str
    standing: str  # an event id not voided
    voided: str  # an event id voided
    the_void: str  # the void's own event id
    version: int

    @property
    def event_ids(self) -> tuple[str, str, str]:
        return self.standing, self.voided, self.the_void


def foreign_case(engine: Engine, case_ref: str = "HOUSING-2023-0417") -> ForeignCase:
    """An asb-casework case with a subject, a voided notice (with a reason) and an outcome.

    Its reference has no scheme's prefix (as references made before casebook have not), so
    what keeps it from another scheme is the rule that a reference in use is theirs alone."""
    warning = notice("warning-letter", case=case_ref, occurred_at="2024-05-02")
    stored = log(
        engine,
        referral(scheme="asb-casework", case=case_ref, occurred_at="2024-05-01", subject=SUBJECT),
        notice("cpw", case=case_ref, occurred_at="2024-05-03"),
        warning,
        event("case.closed", "asb-casework", "2024-05-20", case_ref, outcome=OUTCOME),
    )
    the_void = log(engine, void(warning, reason=VOID_REASON))[0]
    return ForeignCase(case_ref, stored[1].event_id, warning["id"], the_void.event_id,
                       version=len(stored))


def leaks(text: str) -> list[str]:
    """Whatever of the foreign case's personal text or scheme is in `text`."""
    return [s for s in (SUBJECT, OUTCOME, VOID_REASON, "asb-casework", "ASB casework") if s in text]


# --- (a) the 409 page of the log form -------------------------------------------------------

def test_a_stale_log_form_for_another_schemes_case_lists_none_of_its_events(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    foreign = foreign_case(engine)
    signed_in(client, "partner", ["davss"])
    form = client.get("/log/davss/case.closed").get_data(as_text=True)

    def send(case_ref: str, seen: int, confirmed: bool = True) -> Any:
        # `confirmed`: the user has answered yes to "This opens a new case".
        return client.post("/log/davss/case.closed", data=hidden_fields(form) | {
            "case": case_ref, "version_case": case_ref, "case_version": str(seen),
            "event_id": str(uuid.uuid4()), **date_fields("21"), "data-outcome": "Probe",
            **({"new_case": case_ref} if confirmed else {})})

    # Another scheme's case is, to the form's question, a reference nobody has used.
    made_up = made_up_ref()
    asked, asked_made_up = send(foreign.case_ref, 0, False), send(made_up, 0, False)
    assert asked.status_code == asked_made_up.status_code == 200
    assert f"This opens a new case: {foreign.case_ref}. Continue?" in text_of(asked)
    assert alike(asked.get_data(as_text=True), foreign.case_ref) == alike(
        asked_made_up.get_data(as_text=True), made_up)
    for seen in (0, 1, foreign.version, foreign.version + 3):
        answer = send(foreign.case_ref, seen)
        page = answer.get_data(as_text=True)
        assert leaks(page) == [], f"case_version={seen}"
        assert str(foreign.version) not in hidden_fields(page).get("case_version", "")
        if seen:
            expected = send(made_up_ref(), seen)
            assert answer.status_code == expected.status_code == 409
            assert "Someone else logged 0 events" in text_of(answer)
            assert alike(page, foreign.case_ref) == alike(expected.get_data(as_text=True))
        else:
            assert answer.status_code == 422
            assert "This case reference cannot be used in" in text_of(answer)
    assert _case_unchanged(engine, foreign)


def _case_unchanged(engine: Engine, foreign: ForeignCase) -> bool:
    with reading(engine) as connection:
        found = [e for e in read_events(connection) if e.case_ref == foreign.case_ref]
    return len(found) == foreign.version


# --- (b) expected_versions in the API -------------------------------------------------------

def test_the_api_treats_an_expected_version_of_another_schemes_case_as_a_case_not_opened(
        client: FlaskClient, make_token: MakeToken, engine: Engine) -> None:
    foreign = foreign_case(engine)
    partner = make_token("partner", ["davss"])

    def send(case_ref: str, version: int) -> Any:
        body = {"events": [referral(scheme="davss", case=f"DA-{uuid.uuid4().hex[:6]}")],
                "expected_versions": {case_ref: version}}
        return client.post("/api/events", json=body, headers=partner.headers)

    for version in (0, foreign.version, foreign.version + 3):
        answer, expected = send(foreign.case_ref, version), send(made_up_ref(), version)
        assert answer.status_code == expected.status_code == (201 if version == 0 else 409)
        assert (alike(answer.get_data(as_text=True), foreign.case_ref)
                == alike(expected.get_data(as_text=True)))
        if version:
            assert answer.get_json()["actual_version"] == 0
    assert _case_unchanged(engine, foreign)


# --- (c) a void of another scheme's event ---------------------------------------------------

def test_a_void_of_another_schemes_event_is_answered_as_for_an_event_that_does_not_exist(
        client: FlaskClient, signed_in: SignedIn, make_token: MakeToken, engine: Engine) -> None:
    foreign = foreign_case(engine)
    partner = make_token("partner", ["davss"])
    signed_in(client, "partner", ["davss"])
    csrf = csrf_token_from(client.get("/log/davss/case.closed").get_data(as_text=True))

    def api(target: str) -> tuple[int, str]:
        line = event("event.voided", "davss", "2024-06-01", target=target, reason="Not mine")
        answer = client.post("/api/events", json=line, headers=partner.headers)
        return answer.status_code, alike(answer.get_data(as_text=True))

    def page(method: str, target: str) -> tuple[int, str]:
        answer = client.open(f"/events/{target}/void", method=method,
                             data={"csrf_token": csrf, "reason": "Not mine", "case_version": "0"})
        return answer.status_code, alike(answer.get_data(as_text=True))

    missing = str(uuid.uuid4())
    for target in foreign.event_ids:
        assert api(target) == api(missing)
        assert "There is no event <uuid>" in api(target)[1]
        for method in ("GET", "POST"):
            assert page(method, target) == page(method, missing)
            assert page(method, target)[0] == 404
    assert _case_unchanged(engine, foreign)


def test_the_store_refuses_a_void_across_schemes_as_a_void_of_nothing(engine: Engine) -> None:
    foreign = foreign_case(engine)

    def refusal(target: str) -> tuple[str, str]:
        line = event("event.voided", "davss", "2024-06-01", target=target, reason="Typo")
        with pytest.raises(EventsRefused) as refused:
            log(engine, line)
        error = refused.value.errors[0]
        return error.field, error.message.replace(target, "TARGET")

    assert {refusal(target) for target in foreign.event_ids} == {
        refusal(str(uuid.uuid4()))} == {
        ("data.target", "There is no event TARGET in the scheme 'davss': check the id.")}


def test_the_store_refuses_another_schemes_case_reference_naming_no_scheme(
        engine: Engine) -> None:
    foreign = foreign_case(engine)
    other = log(engine, referral(scheme="mediation", case="OLD-2024-0007"))[0]

    def refusal(case_ref: str) -> tuple[str, str]:
        with pytest.raises(EventsRefused) as refused:
            log(engine, referral(scheme="davss", case=case_ref))
        error = refused.value.errors[0]
        return error.field, error.message

    assert refusal(foreign.case_ref) == refusal(other.case_ref or "") == (
        "case", "This case reference cannot be used in the scheme 'davss': check it, or use "
                "another reference.")
    # A reference with another scheme's prefix is refused for its prefix alone: in use or not,
    # in any case, the answer is the same.
    prefixed = foreign_case(engine, "ASB-2023-0418")
    assert refusal(prefixed.case_ref) == refusal("asb-2023-0418") == refusal("ASB-2099-0001") == (
        "case", "Case reference cannot begin with ASB-, the prefix of another scheme's cases: "
                "check it, or use a reference beginning DA- for this scheme.")


# --- (d) the hidden version of the log form -------------------------------------------------

def test_the_log_form_gives_another_schemes_case_the_version_of_a_case_not_opened(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    foreign = foreign_case(engine)
    signed_in(client, "partner", ["davss"])
    for path in ("/log/davss/case.closed?case={}", "/log/davss?type=case.closed&case={}",
                 "/log?scheme=davss&case={}"):
        for case_ref in (foreign.case_ref, "ASB-2024-9999"):
            answer = client.get(path.format(case_ref), follow_redirects=True)
            if "case.closed" in path:
                assert hidden_fields(answer.get_data(as_text=True))["case_version"] == "0", path
            assert leaks(answer.get_data(as_text=True)) == []


# --- (e) every route and API endpoint, generated from the URL map ---------------------------

@pytest.mark.slow
def test_no_route_tells_a_partner_anything_of_another_schemes_case_or_events(
        app: Flask, engine: Engine, make_user: MakeUser) -> None:
    foreign = foreign_case(engine)
    other = log(engine, referral(scheme="mediation", case="OLD-2024-0007"))[0]
    other_ref = other.case_ref or ""
    # The probes try every type in the partner's scheme: its plans let it log them all.
    let_log_any_type(engine, "davss", ["2024/25", "2025/26"])
    refs = (foreign.case_ref, other_ref)
    theirs, mine, third = sides(app, make_user("partner", ["davss"]), 3)
    found = probes(app, foreign.version)
    wrong: dict[str, list[str]] = {}
    logged = 0
    for probe in found:
        for target in foreign.event_ids if probe.names_an_event else foreign.event_ids[:1]:
            answer = send(app, theirs, probe.filled(foreign.case_ref, target), refs)
            expected = send(app, mine, probe.filled(made_up_ref(), str(uuid.uuid4())), refs)
            logged += probe.method == "POST" and expected[0].seen[0] in (201, 303)
            told = {s for shown in answer for s in leaks(shown.raw)} - {
                s for shown in expected for s in leaks(shown.raw)}
            told |= {e for e in foreign.event_ids if e != target and any(
                e in shown.raw for shown in answer)}
            why = f"{probe}: shows {sorted(told)}" if told else None
            if why is None and [a.seen for a in answer] != [a.seen for a in expected]:
                alike_case = send(app, third, probe.filled(other_ref, other.event_id), refs)
                why = difference(probe, answer, expected, alike_case)
            if why:
                wrong.setdefault(f"{probe.method} {probe.endpoint}", []).append(why)
    assert wrong == {}, "\n".join(why for found in wrong.values() for why in found[:2])
    assert {(p.endpoint, p.method) for p in found} == {(e, m) for e, m, _ in routes(app)}
    assert logged > 20, "the probes' forms should be good enough to log events"
    assert _case_unchanged(engine, foreign)
