"""Every kind of bad input of spec §3–4 is refused with its line and field, and nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from sqlalchemy.engine import Engine

from events.db import reading, writing
from events.store import read_events
from events.tables import schemes
from tests.helpers import event, import_jsonl, log, notice, referral, void

CPW = "11111111-1111-4111-8111-111111111111"
VOIDED_CPW = "22222222-2222-4222-8222-222222222222"
THE_VOID = "33333333-3333-4333-8333-333333333333"
DAVSS_REFERRAL = "44444444-4444-4444-8444-444444444444"
DECIDED = "55555555-5555-4555-8555-555555555555"
MISSING = "99999999-9999-4999-8999-999999999999"


def _stored(engine: Engine) -> list[dict[str, Any]]:
    with reading(engine) as connection:
        return [e.to_interchange() for e in read_events(connection)]


@pytest.fixture
def history(engine: Engine) -> list[dict[str, Any]]:
    """A few stored events the bad lines are checked against; returns the export of them."""
    with writing(engine) as connection:
        connection.execute(
            sa.update(schemes).where(schemes.c.scheme_id == "self-defence")
            .values(retired_at=sa.func.current_timestamp())
        )
    voided_cpw = event("notice.issued", "asb-casework", "2024-05-01", "ASB-VOID",
                       event_id=VOIDED_CPW, notice="cpw")
    log(
        engine,
        event("notice.issued", "asb-casework", "2024-05-01", "ASB-1", event_id=CPW, notice="cpw"),
        voided_cpw,
        event("referral.received", "davss", "2024-05-02", "DA-1", event_id=DAVSS_REFERRAL,
              risk="high"),
        event("application.received", "asb-case-review", "2024-05-03", "ACR-1"),
        event("threshold.decided", "asb-case-review", "2024-05-10", "ACR-1", event_id=DECIDED,
              met=True),
    )
    log(engine, {**void(voided_cpw, reason="Wrong case"), "id": THE_VOID, "scheme": "asb-casework"})
    return _stored(engine)


def _line(type_: str, scheme: str, case: str | None = None, **data: Any) -> dict[str, Any]:
    return event(type_, scheme, "2024-06-01T10:00:00+01:00", case, **data)


GOOD = _line("engagement.recorded", "kenward-trust", kind="outreach", people=10)

BAD_LINES: dict[str, tuple[Any, str, str]] = {
    "an unknown field": ({**GOOD, "colour": "red"}, "colour", "Unknown field"),
    "an unknown data field": (
        _line("engagement.recorded", "kenward-trust", kind="outreach", people=3, colour="red"),
        "data.colour", "Unknown field"),
    "a wrong type": (_line("engagement.recorded", "kenward-trust", kind="outreach", people="12"),
                     "data.people", "Not a valid integer"),
    "a boolean for a number": (
        _line("engagement.recorded", "kenward-trust", kind="outreach", people=True),
        "data.people", "Not a valid integer"),
    "an out-of-range number": (
        _line("engagement.recorded", "kenward-trust", kind="outreach", people=-1),
        "data.people", "greater than or equal to 0"),
    "a value outside the enumeration": (
        _line("referral.received", "davss", "DA-2", risk="severe"), "data.risk", "Must be one of"),
    "a missing required data field": (
        _line("engagement.recorded", "kenward-trust", people=3), "data.kind",
        "Missing data for required field"),
    "a missing scheme": ({k: v for k, v in GOOD.items() if k != "scheme"}, "scheme",
                         "Missing data for required field"),
    "a missing occurred_at": ({k: v for k, v in GOOD.items() if k != "occurred_at"},
                              "occurred_at", "Missing data for required field"),
    "a data that is not an object": ({**GOOD, "data": [1]}, "data", "Not a valid object"),
    "an unknown type": (_line("referral.lost", "davss", "DA-2"), "type", "Unknown event type"),
    "an unknown scheme": (_line("engagement.recorded", "no-such-scheme", kind="outreach",
                                people=1), "scheme", "There is no scheme"),
    "a retired scheme": (_line("engagement.recorded", "self-defence", kind="training", people=1),
                         "scheme", "retired"),
    "a case on a type that has none": (
        _line("programme.delivered", "freedom-programme", "FP-1", run="Spring", attendees=8),
        "case", "does not belong to a case"),
    "a referral without a case": (_line("referral.received", "davss"), "case",
                                  "needs a case reference"),
    "a cpw without a case": (_line("notice.issued", "asb-casework", notice="cpw"), "case",
                             "needs a case reference"),
    "a bad case reference": (_line("referral.received", "davss", "DA 2/bad ref!"), "case",
                             "Not a valid case reference"),
    "a bad occurred_at": ({**GOOD, "occurred_at": "last Tuesday"}, "occurred_at",
                          "Not a valid date or time"),
    "an occurred_at in the future": ({**GOOD, "occurred_at": "2099-01-01"}, "occurred_at",
                                     "Cannot be in the future"),
    "a bad id": ({**GOOD, "id": "not-a-uuid"}, "id", "Not a valid UUID"),
    "a stored id with different content": (
        {**_line("notice.issued", "asb-casework", "ASB-1", notice="cpw"), "id": CPW}, "id",
        "already stored with different content"),
    "a version this casebook does not know": (
        {**_line("referral.received", "davss", "DA-2"), "version": 3}, "version",
        "Must be a version from 1 to 2"),
    "invalid JSON": ('{"type": "referral.received", ', "line", "Not valid JSON"),
    "a JSON value that is not an object": ("[1, 2]", "line", "must be a JSON object"),
    "a cpn without a cpw": (_line("notice.issued", "asb-casework", "ASB-2", notice="cpn"),
                            "data.notice", "needs an earlier Community Protection Warning"),
    "a cpn after a voided cpw": (_line("notice.issued", "asb-casework", "ASB-VOID", notice="cpn"),
                                 "data.notice", "not been voided"),
    "a cpn dated before its cpw": (
        {**_line("notice.issued", "asb-casework", "ASB-1", notice="cpn"),
         "occurred_at": "2024-04-20"}, "data.notice", "earlier Community Protection Warning"),
    "a cpn-fpn without a cpn": (_line("notice.issued", "asb-casework", "ASB-1", notice="cpn-fpn"),
                                "data.notice", "needs an earlier Community Protection Notice"),
    "a threshold decision without an application": (
        _line("threshold.decided", "asb-case-review", "ACR-2", met=False), "case",
        "needs an earlier ASB Case Review application"),
    "a second threshold decision for one application": (
        _line("threshold.decided", "asb-case-review", "ACR-1", met=False), "case",
        "one decision per application"),
    "a void of a missing event": (
        _line("event.voided", "davss", target=MISSING, reason="Typo"), "data.target",
        "There is no event"),
    "a void of a void": (_line("event.voided", "asb-casework", target=THE_VOID, reason="Undo"),
                         "data.target", "A void cannot be voided"),
    "a second void of one event": (
        _line("event.voided", "asb-casework", target=VOIDED_CPW, reason="Again"),
        "data.target", "already voided"),
    "a void without a reason": (
        _line("event.voided", "davss", target=DAVSS_REFERRAL, reason="  "), "data.reason",
        "Give a reason"),
    "a void with a bad target id": (
        _line("event.voided", "davss", target="12", reason="Typo"), "data.target",
        "Not a valid event id"),
    "a void in another scheme": (
        _line("event.voided", "asb-casework", target=DAVSS_REFERRAL, reason="Typo"),
        "data.target", "There is no event"),
    "a case that belongs to another scheme": (
        _line("referral.received", "mediation", "DA-1"), "case",
        "Case reference cannot begin with DA-, the prefix of another scheme's cases"),
}


def _file(tmp_path: Path, lines: list[Any]) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n"
                            for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(BAD_LINES), ids=lambda c: c.replace(" ", "-"))
def test_an_import_with_a_bad_line_names_its_line_and_field_and_stores_nothing(
    case: str, history: list[dict[str, Any]], runner: FlaskCliRunner, engine: Engine,
    tmp_path: Path,
) -> None:
    bad, field, message = BAD_LINES[case]
    good_after = _line("engagement.recorded", "kenward-trust", kind="outreach", people=4)

    result = runner.invoke(args=["casebook", "import", str(_file(tmp_path, [GOOD, bad, good_after]))])

    assert result.exit_code != 0
    assert f"line 2: {field}: " in result.output
    assert message in result.output
    assert "line 1:" not in result.output and "line 3:" not in result.output
    assert "nothing was imported" in result.output
    assert _stored(engine) == history


def test_every_bad_line_of_a_file_is_reported_and_none_of_the_good_ones_is_written(
    history: list[dict[str, Any]], runner: FlaskCliRunner, engine: Engine, tmp_path: Path
) -> None:
    lines: list[Any] = [GOOD]
    for bad, _, _ in BAD_LINES.values():
        lines += [bad, _line("engagement.recorded", "kenward-trust", kind="school", people=2)]

    result = runner.invoke(args=["casebook", "import", str(_file(tmp_path, lines))])

    assert result.exit_code == 1
    for number, (field, _message) in enumerate(
        ((f, m) for _, f, m in BAD_LINES.values()), start=0
    ):
        assert f"line {2 + 2 * number}: {field}: " in result.output
    assert f"{len(BAD_LINES)} rejected" in result.output
    assert _stored(engine) == history


def test_the_rules_are_checked_against_earlier_lines_of_the_same_file(
    history: list[dict[str, Any]], engine: Engine
) -> None:
    cpw = _line("notice.issued", "asb-casework", "ASB-NEW", notice="cpw")
    cpn = {**_line("notice.issued", "asb-casework", "ASB-NEW", notice="cpn"),
           "occurred_at": "2024-06-02"}
    report = import_jsonl(engine, [cpn, cpw])
    assert [(e.line, e.field) for e in report.errors] == [(1, "data.notice")]

    target = _line("referral.received", "davss", "DA-NEW")
    same_id_other_content = {**_line("referral.received", "davss", "DA-NEW"), "id": target["id"],
                             "data": {"risk": "high"}}
    report = import_jsonl(engine, [
        target,
        _line("event.voided", "davss", target=target["id"], reason="Typo"),
        _line("event.voided", "davss", target=target["id"], reason="Typo again"),
        same_id_other_content,
        _line("application.received", "asb-case-review", "ACR-NEW"),
        _line("threshold.decided", "asb-case-review", "ACR-NEW", met=False),
        _line("threshold.decided", "asb-case-review", "ACR-NEW", met=True),
        _line("referral.received", "mediation", "DA-NEW"),
    ])
    assert [(e.line, e.field) for e in report.errors] == [
        (3, "data.target"), (4, "id"), (7, "case"), (8, "case"),
    ]
    assert _stored(engine) == history


def test_earlier_lines_of_the_same_file_satisfy_the_rules_of_later_ones(
    history: list[dict[str, Any]], engine: Engine
) -> None:
    cpw = _line("notice.issued", "asb-casework", "ASB-NEW", notice="cpw")
    cpn = {**_line("notice.issued", "asb-casework", "ASB-NEW", notice="cpn"),
           "occurred_at": "2024-06-02"}
    fpn = {**_line("notice.issued", "asb-casework", "ASB-NEW", notice="cpn-fpn"),
           "occurred_at": "2024-06-03"}
    report = import_jsonl(engine, [cpw, cpn, fpn])
    assert report.errors == []
    assert report.written == 3
    assert len(_stored(engine)) == len(history) + 3


def test_a_line_already_stored_with_the_same_content_is_skipped_and_counted(
    history: list[dict[str, Any]], runner: FlaskCliRunner, engine: Engine, tmp_path: Path
) -> None:
    first = runner.invoke(args=["casebook", "import", str(_file(tmp_path, [GOOD]))])
    assert first.exit_code == 0, first.output
    stored = _stored(engine)
    assert len(stored) == len(history) + 1

    again = runner.invoke(args=["casebook", "import", str(_file(tmp_path, [GOOD, GOOD]))])

    assert again.exit_code == 0, again.output
    assert "0 written, 2 duplicates skipped, 0 rejected." in again.output
    assert _stored(engine) == stored


def test_an_exported_line_is_a_duplicate_of_itself(
    history: list[dict[str, Any]], engine: Engine
) -> None:
    report = import_jsonl(engine, history)
    assert report.errors == []
    assert report.written == 0
    assert len(report.duplicates) == len(history)


def test_the_interactive_append_refuses_a_cpn_without_a_cpw_and_stores_nothing(
    history: list[dict[str, Any]], engine: Engine
) -> None:
    from events.store import EventsRefused

    with pytest.raises(EventsRefused) as refused:
        log(engine, referral(case="DA-9"), notice("cpn", case="ASB-9"))
    assert [(e.line, e.field) for e in refused.value.errors] == [(2, "data.notice")]
    assert _stored(engine) == history
