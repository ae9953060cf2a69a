"""Limits on what an event may say: when it happened (2000 until now) and how long its text is."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from marshmallow import fields, validate
from sqlalchemy.engine import Engine

from events.interchange import InvalidEvent, parse_event
from events.schemas import _UUID
from events.types import EVENT_TYPES
from tests.helpers import ON_SQLITE_ONLY, event, log, referral, summary
from tests.test_casebook.conftest import MakeToken, SignedIn
from tests.test_casebook.page_reading import date_fields, error_summary_links, post_form, text_of
from tests.test_protection.support import exported

pytestmark = ON_SQLITE_ONLY

NOON = datetime(2025, 6, 1, 11, 0, tzinfo=UTC)  # 12:00 in London (BST)
#: The free-text fields whose text runs to sentences; every other one is a short name or label.
LONG_FIELDS = {("case.closed", "outcome"), ("event.voided", "reason"), ("compliance.checked", "notes")}


def _refusal(line: dict[str, Any], limits: Any) -> dict[str, list[str]]:
    try:
        parse_event(line, default_recorded_by="tester", limits=limits)
    except InvalidEvent as refused:
        return refused.errors
    return {}


def _api(client: FlaskClient, headers: dict[str, str], *lines: dict[str, Any]) -> Any:
    return client.post("/api/events", json=list(lines), headers=headers)


def _import(runner: FlaskCliRunner, tmp_path: Path, *lines: dict[str, Any]) -> Any:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return runner.invoke(args=["casebook", "import", str(path)])


def test_an_event_later_than_now_by_minutes_or_before_2000_is_refused_naming_occurred_at() -> None:
    from events.interchange import TimeLimits

    limits = TimeLimits(now=NOON)
    line = referral(case="DA-1")
    assert _refusal({**line, "occurred_at": "2025-06-01T12:30:00+01:00"}, limits) == {
        "occurred_at": ["Cannot be in the future."]}
    assert _refusal({**line, "occurred_at": "2025-06-01T11:59:00+01:00"}, limits) == {}
    assert _refusal({**line, "occurred_at": "2025-06-01"}, limits) == {}
    assert _refusal({**line, "occurred_at": "2025-06-02"}, limits) == {
        "occurred_at": ["Cannot be in the future."]}
    too_early = {"occurred_at": ["Must be on or after 1 January 2000."]}
    for early in ("1900-01-01", "1999-12-31", "1999-12-31T23:59:59Z"):
        assert _refusal({**line, "occurred_at": early}, limits) == too_early
    assert _refusal({**line, "occurred_at": "2000-01-01"}, limits) == {}
    later_start = TimeLimits(earliest=date(2010, 4, 1), now=NOON)
    assert _refusal({**line, "occurred_at": "2010-03-31"}, later_start) == {
        "occurred_at": ["Must be on or after 1 April 2010."]}


def test_the_api_refuses_a_closure_dated_1900_and_the_log_is_unchanged(
    client: FlaskClient, make_token: MakeToken, engine: Engine
) -> None:
    partner = make_token("partner", ["davss"])
    assert _api(client, partner.headers, referral(case="DA-1", subject="S-1")).status_code == 201
    before = exported(engine)
    closure = event("case.closed", "davss", "1900-01-01", "DA-1", outcome="gone")
    response = _api(client, partner.headers, closure)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["items"] == [
        {"index": 0, "fields": {"occurred_at": ["Must be on or after 1 January 2000."]}}]
    assert exported(engine) == before


def test_the_log_form_refuses_a_date_before_2000_and_says_so(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    response = post_form(client, "/log/davss/referral.received",
                         {"case": "DA-1", **date_fields("1", "1", "1900")})
    assert response.status_code == 422
    assert error_summary_links(response)["occurred-day"] == (
        "Date of the referral must be on or after 1 January 2000")
    assert exported(engine) == []


def test_an_import_line_dated_1999_is_refused_and_nothing_is_imported(
    runner: FlaskCliRunner, engine: Engine, tmp_path: Path
) -> None:
    result = _import(runner, tmp_path, referral(occurred_at="2024-05-01"),
                     referral(occurred_at="1999-12-31"))
    assert result.exit_code == 1
    assert "line 2: occurred_at: Must be on or after 1 January 2000." in result.output
    assert exported(engine) == []


def test_the_earliest_date_is_a_setting(
    app: Flask, client: FlaskClient, make_token: MakeToken, runner: FlaskCliRunner,
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CASEBOOK_EARLIEST_DATE", "2010-04-01")
    from casebook import create_app

    configured = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "test"})
    assert configured.config["EARLIEST_DATE"] == date(2010, 4, 1)
    app.config["EARLIEST_DATE"] = date(2010, 4, 1)
    officer = make_token("officer")
    refused = _api(client, officer.headers, referral(occurred_at="2010-03-31"))
    assert refused.get_json()["items"][0]["fields"] == {
        "occurred_at": ["Must be on or after 1 April 2010."]}
    result = _import(runner, tmp_path, referral(occurred_at="2005-05-01"))
    assert "line 1: occurred_at: Must be on or after 1 April 2010." in result.output
    assert _api(client, officer.headers, referral(occurred_at="2010-04-01")).status_code == 201


def test_a_referral_dated_1999_is_refused_so_last_years_figures_stay_not_recorded(
    client: FlaskClient, make_token: MakeToken, engine: Engine, runner: FlaskCliRunner
) -> None:
    log(engine, referral(scheme="davss", occurred_at="2024-05-03"))
    assert summary(engine)["figures"]["davss.referrals"]["previous"] is None
    officer = make_token("officer")
    response = _api(client, officer.headers, referral(scheme="davss", occurred_at="1999-06-01"))
    assert response.status_code == 422
    assert summary(engine)["figures"]["davss.referrals"]["previous"] is None
    due = runner.invoke(args=["casebook", "summaries", "run-due", "--now", "2025-06-01"])
    assert due.exit_code == 0 and "1999/00" not in due.output


def test_summaries_are_not_generated_for_periods_before_the_earliest_date(
    app: Flask, engine: Engine, runner: FlaskCliRunner
) -> None:
    log(engine, referral(occurred_at="2005-05-01"), referral(occurred_at="2024-05-01"))
    app.config["EARLIEST_DATE"] = date(2010, 1, 1)
    due = runner.invoke(args=["casebook", "summaries", "run-due", "--now", "2025-06-01"])
    assert due.exit_code == 0, due.output
    listed = json.loads(runner.invoke(args=["casebook", "summaries", "list", "--format", "json"]
                                      ).output)
    years = {entry["year"] for entry in listed}
    assert "2024/25" in years and "2005/06" not in years


def test_the_scheduler_catches_up_on_no_period_before_the_earliest_date(
    engine: Engine, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casebook import scheduler

    log(engine, referral(occurred_at="2005-05-01"), referral(occurred_at="2024-05-01"))
    monkeypatch.setattr(scheduler, "utc_now", lambda: datetime(2025, 6, 1, tzinfo=UTC))
    monkeypatch.setattr(scheduler._Target, "engine", engine)
    monkeypatch.setattr(scheduler._Target, "earliest", date(2010, 1, 1))
    scheduler.catch_up_job()
    listed = json.loads(runner.invoke(args=["casebook", "summaries", "list", "--format", "json"]
                                      ).output)
    years = {entry["year"] for entry in listed}
    assert "2024/25" in years and "2005/06" not in years


def _free_text_fields() -> list[tuple[str, str, fields.Field]]:
    found = []
    for type_name, event_type in EVENT_TYPES.items():
        for name, field in event_type.schema().fields.items():
            inner = field.inner if isinstance(field, fields.List) else field
            # A choice or an id has a shape of its own; every other string is free text.
            if isinstance(inner, fields.String) and not any(
                    isinstance(v, validate.OneOf) or (isinstance(v, validate.Regexp)
                                                      and v.regex.pattern == _UUID)
                    for v in inner.validators):
                found.append((type_name, name, inner))
    return found


def _longest(field: fields.Field) -> int | None:
    limits = [v.max for v in field.validators if isinstance(v, validate.Length) and v.max]
    return min(limits) if limits else None


def test_every_free_text_field_has_a_maximum_length_in_its_schema() -> None:
    found = {(type_name, name): _longest(field) for type_name, name, field in _free_text_fields()}
    assert len(found) >= 12
    for key, longest in found.items():
        if key in LONG_FIELDS:
            assert longest == 2000, key
        else:
            assert longest is not None and longest <= 200, key


def test_the_api_refuses_text_over_its_limit_naming_the_field(
    client: FlaskClient, make_token: MakeToken, engine: Engine
) -> None:
    officer = make_token("officer")
    stored = log(engine, referral(case="DA-1"))[0]
    outcome = event("case.closed", "davss", "2024-06-01", "DA-1", outcome="x" * 2001)
    place = event("incident.reported", "asb-enforcement", "2024-06-01", category="noise",
                  location="y" * 201)
    reason = event("event.voided", "davss", "2024-06-02", target=stored.event_id,
                   reason="z" * 10_000_000)
    response = _api(client, officer.headers, outcome, place, reason)
    assert response.status_code == 422
    assert [item["fields"] for item in response.get_json()["items"]] == [
        {"data.outcome": ["Outcome must be 2,000 characters or fewer"]},
        {"data.location": ["Location must be 200 characters or fewer"]},
        {"data.reason": ["Reason must be 2,000 characters or fewer"]},
    ]
    assert len(exported(engine)) == 1
    fits = {**outcome, "data": {"outcome": "x" * 2000}}
    assert _api(client, officer.headers, fits).status_code == 201


def test_an_import_line_with_a_location_over_200_characters_is_refused(
    runner: FlaskCliRunner, engine: Engine, tmp_path: Path
) -> None:
    line = event("deployment.made", "mobile-cctv", "2024-06-01", asset="camera 3", location="y" * 201)
    result = _import(runner, tmp_path, line)
    assert result.exit_code == 1
    assert "line 1: data.location: Location must be 200 characters or fewer" in result.output
    assert exported(engine) == []


def test_the_forms_show_each_limit_and_refuse_longer_text(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    closure = client.get("/log/davss/case.closed").get_data(as_text=True)
    assert 'data-module="govuk-character-count"' in closure and 'data-maxlength="2000"' in closure
    assert "You can enter up to 2,000 characters" in closure
    incident = client.get("/log/asb-enforcement/incident.reported").get_data(as_text=True)
    assert incident.count('maxlength="200"') == 2
    response = post_form(client, "/log/davss/case.closed",
                         {"case": "DA-1", **date_fields("3"), "data-outcome": "x" * 2001})
    assert response.status_code == 422
    assert error_summary_links(response)["data-outcome"] == (
        "Outcome must be 2,000 characters or fewer")
    stored = log(engine, referral(case="DA-2"))[0]
    void_page = client.get(f"/events/{stored.event_id}/void").get_data(as_text=True)
    assert 'data-module="govuk-character-count"' in void_page
    assert 'data-maxlength="2000"' in void_page
    refused = post_form(client, f"/events/{stored.event_id}/void", {"reason": "z" * 2001})
    assert refused.status_code == 422
    assert "Reason must be 2,000 characters or fewer" in text_of(refused)
    assert len(exported(engine)) == 1
