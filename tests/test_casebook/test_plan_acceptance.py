"""The plan decides what may be logged (spec §8), for the store, the API and the import alike:
a type its scheme does not log is refused naming `type`, a vocabulary value not yet adopted
naming its field; once adopted a value is accepted, and the rules of §3 still hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import Engine

from casebook.services.recording import Recorded, record, record_lines
from events.acceptance import Acceptance
from events.db import writing
from events.interchange import parse_event
from events.report import AppendReport
from tests.helpers import event, notice, referral, value
from tests.test_casebook.conftest import MakeToken
from tests.test_casebook.plan_words import (
    NEW_LABEL,
    NEW_VALUE,
    adopt_everywhere,
    adopt_words,
    carrying,
    vocabulary_fields,
)

#: "ASB Case Review application received", logged under ASB casework as a new user might.
MISPLACED = event("application.received", "asb-casework", "2024-05-03", "2024-0040")
CLOSURE = ("notice", NEW_VALUE, NEW_LABEL)


#: Every vocabulary field taking the new value: events read with it leave the store to decide.
ANY_VALUE = Acceptance(added={name: {NEW_VALUE: NEW_LABEL} for _, name in vocabulary_fields()})


def _record(engine: Engine, *lines: dict[str, Any]) -> Recorded:
    """Record events through the store's checks alone, against the plans adopted."""
    events = [parse_event(line, default_recorded_by="tester", acceptance=ANY_VALUE)
              for line in lines]
    with writing(engine) as connection:
        return record(connection, events)


def _import(engine: Engine, *lines: dict[str, Any]) -> AppendReport:
    """Import lines as `casebook import` does: nothing is kept if any line is refused."""
    with engine.connect() as connection:
        transaction = connection.execution_options(casebook_write=True).begin()
        report = record_lines(connection, [json.dumps(line) for line in lines],
                              default_recorded_by="importer")
        (transaction.rollback if report.errors else transaction.commit)()
    return report


def _post(client: FlaskClient, headers: dict[str, str], body: Any):
    return client.post("/api/events", data=json.dumps(body), headers=headers,
                       content_type="application/json")


def test_the_store_refuses_a_type_its_scheme_does_not_log_naming_the_type(engine: Engine) -> None:
    recorded = _record(engine, MISPLACED)
    assert not recorded.stored
    assert list(recorded.refusals[0]) == ["type"]
    assert "does not log application.received" in recorded.refusals[0]["type"][0]
    assert _record(engine, {**MISPLACED, "scheme": "asb-case-review"}).stored


@pytest.mark.parametrize(("type_name", "field_name"), vocabulary_fields())
def test_a_value_not_adopted_is_refused_naming_its_field_until_a_plan_adopts_it(
        engine: Engine, type_name: str, field_name: str) -> None:
    line = carrying(type_name, field_name, NEW_VALUE)
    refused = _record(engine, line)
    assert not refused.stored and list(refused.refusals[0]) == [f"data.{field_name}"]
    assert refused.refusals[0][f"data.{field_name}"][0].startswith("Must be one of")
    adopt_words(engine, (field_name, NEW_VALUE, NEW_LABEL))
    assert [e.data[field_name] for e in _record(engine, line).stored] == [NEW_VALUE]


def test_a_value_adopted_in_one_year_is_accepted_for_an_event_of_any_year(engine: Engine) -> None:
    adopt_words(engine, CLOSURE, year="2025/26")
    assert _record(engine, notice(NEW_VALUE, occurred_at="2021-06-01")).stored


def test_a_cpn_still_needs_a_cpw_once_a_new_notice_is_adopted(engine: Engine) -> None:
    adopt_words(engine, CLOSURE)
    refused = _record(engine, notice("cpn", case="ASB-2024-0041"))
    assert "Community Protection Warning" in refused.refusals[0]["data.notice"][0]
    assert _record(engine, notice(NEW_VALUE, case="ASB-2024-0041")).stored
    assert _record(engine, notice("cpn", case="ASB-2024-0041")).refusals
    assert _record(engine, notice("cpw", case="ASB-2024-0041", occurred_at="2024-05-01"),
                   notice("cpn", case="ASB-2024-0041")).stored
    assert value(engine, "asb.cpn") == 1


def test_an_import_names_the_line_and_the_field_of_each_refusal(engine: Engine) -> None:
    report = _import(engine, referral(), MISPLACED, notice(NEW_VALUE))
    assert {(e.line, e.field) for e in report.errors} == {(2, "type"), (3, "data.notice")}
    adopt_words(engine, CLOSURE)
    again = _import(engine, referral(), notice(NEW_VALUE))
    assert not again.errors and again.written == 2


def test_casebook_import_says_the_line_and_the_field_and_imports_nothing(
        runner: FlaskCliRunner, engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in
                              (referral(), notice(NEW_VALUE), MISPLACED)) + "\n")
    result = runner.invoke(args=["casebook", "import", str(path)])
    assert result.exit_code == 1
    assert "line 2: data.notice: Must be one of" in result.stderr
    assert "line 3: type: The scheme 'asb-casework' does not log" in result.stderr
    assert "0 written" in result.stderr
    adopt_words(engine, CLOSURE)
    path.write_text("\n".join(json.dumps(line) for line in (referral(), notice(NEW_VALUE))))
    imported = runner.invoke(args=["casebook", "import", str(path)])
    assert imported.exit_code == 0, imported.stderr
    assert "2 written" in imported.stdout


def test_the_api_refuses_a_type_its_scheme_does_not_log_naming_the_type(
        client: FlaskClient, make_token: MakeToken) -> None:
    officer = make_token("officer")
    response = _post(client, officer.headers, [referral(), MISPLACED])
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid"
    assert [(item["index"], list(item["fields"])) for item in body["items"]] == [(1, ["type"])]
    assert client.get("/api/events", headers=officer.headers).get_json()["events"] == []


@pytest.mark.parametrize(("type_name", "field_name"), vocabulary_fields())
def test_the_api_refuses_a_value_until_it_is_adopted_then_accepts_it(
        client: FlaskClient, make_token: MakeToken, engine: Engine,
        type_name: str, field_name: str) -> None:
    officer = make_token("officer")
    line = carrying(type_name, field_name, NEW_VALUE)
    refused = _post(client, officer.headers, [referral(), line])
    assert refused.status_code == 422
    items = refused.get_json()["items"]
    assert [(item["index"], list(item["fields"])) for item in items] == [
        (1, [f"data.{field_name}"])]
    assert items[0]["fields"][f"data.{field_name}"][0].startswith("Must be one of")
    adopt_everywhere(engine)
    accepted = _post(client, officer.headers, line)
    assert accepted.status_code == 201, accepted.get_json()
    assert accepted.get_json()["written"] == 1


def test_the_api_lists_every_item_the_plan_refuses_with_the_schema_errors(
        client: FlaskClient, make_token: MakeToken) -> None:
    officer = make_token("officer")
    response = _post(client, officer.headers, [
        notice(NEW_VALUE), MISPLACED, {"type": "referral.received", "scheme": "davss"}])
    items = {item["index"]: set(item["fields"]) for item in response.get_json()["items"]}
    assert items == {0: {"data.notice"}, 1: {"type"}, 2: {"occurred_at", "case"}}
