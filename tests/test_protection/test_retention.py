"""Retention: subjects of cases closed longer ago than their scheme keeps them are erased."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import Engine

from tests.helpers import event, log, referral, void
from tests.test_casebook.conftest import MakeToken
from tests.test_protection.support import all_figures, exported

BST = timedelta(hours=1)


def _as_it_happened(engine: Engine, *lines: dict[str, Any]) -> None:
    """Log each event as recorded on the day it happened, as a live casebook would have."""
    for line in lines:
        log(engine, line, recorded_at=line["occurred_at"])


def _cases(engine: Engine) -> None:
    _as_it_happened(engine,
        # Closed in 2018: past a six-year period by 2025.
        referral(subject="S-OLD", case="DA-1", occurred_at="2018-05-01", scheme="davss"),
        event("case.closed", "davss", "2018-09-01", "DA-1", outcome="support ended"),
        # Closed in 2018 but reopened by a later referral: kept.
        referral(subject="S-REOPENED", case="DA-2", occurred_at="2018-05-01"),
        event("case.closed", "davss", "2018-09-01", "DA-2", outcome="closed once"),
        referral(case="DA-2", occurred_at="2024-01-01"),
        # Closed recently: kept.
        referral(subject="S-RECENT", case="DA-3", occurred_at="2023-05-01"),
        event("case.closed", "davss", "2024-02-01", "DA-3", outcome="recent"),
        # Old and closed, but the same subject has an open case: kept.
        referral(subject="S-BOTH", case="DA-4", occurred_at="2017-05-01"),
        event("case.closed", "davss", "2017-09-01", "DA-4"),
        referral(subject="S-BOTH", case="DA-5", occurred_at="2024-03-01"),
        # A case with no subject: its own key for its free text.
        event("case.closed", "asb-casework", "2016-09-01", "ASB-1", outcome="neighbour moved"))


def test_a_retention_run_erases_only_subjects_whose_every_case_is_past_its_period(
    app: Flask, engine: Engine, runner: FlaskCliRunner
) -> None:
    _cases(engine)
    before = all_figures(engine)
    result = runner.invoke(args=["casebook", "retention", "run", "--now", "2025-06-01",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert sorted(c["case"] for c in report["expired_cases"]) == ["ASB-1", "DA-1", "DA-4"]
    # S-OLD's key, and the own keys of DA-1 (its outcome) and ASB-1.
    assert sorted(cases for cases in report["erased_keys"].values()) == [["ASB-1"], ["DA-1"], ["DA-1"]]
    assert list(report["kept_keys"].values()) == [["DA-5"]]
    text = json.dumps(exported(engine))
    assert "S-OLD" not in text and "support ended" not in text and "neighbour moved" not in text
    for kept in ("S-REOPENED", "S-RECENT", "S-BOTH", "recent", "closed once"):
        assert kept in text
    assert sum(e["type"] == "subject.erased" for e in exported(engine)) == 3
    assert all_figures(engine) == before
    again = runner.invoke(args=["casebook", "retention", "run", "--now", "2025-06-01"])
    assert "0 subject keys erased" in again.output


def test_a_dry_run_reports_and_erases_nothing(engine: Engine, runner: FlaskCliRunner) -> None:
    _cases(engine)
    result = runner.invoke(args=["casebook", "retention", "run", "--now", "2025-06-01", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "3 subject keys would be erased." in result.output and "DA-1 (davss): closed 2018-09-01" in result.output
    assert "S-OLD" in json.dumps(exported(engine))


def test_a_scheme_can_keep_cases_longer_than_the_default(app: Flask, engine: Engine,
                                                        runner: FlaskCliRunner) -> None:
    _cases(engine)
    app.config["RETENTION_BY_SCHEME"] = {"davss": 10}
    result = runner.invoke(args=["casebook", "retention", "run", "--now", "2025-06-01",
                                 "--format", "json"])
    report = json.loads(result.output)
    assert [c["case"] for c in report["expired_cases"]] == ["ASB-1"]
    assert "S-OLD" in json.dumps(exported(engine))


def test_the_scheduler_runs_retention_every_night_at_three_london_time() -> None:
    from datetime import datetime

    from casebook.scheduler import retention_trigger
    from events.quarters import LONDON

    after = datetime(2025, 3, 30, 3, 30, tzinfo=LONDON)  # the night the clocks went forward
    fire = retention_trigger().get_next_fire_time(None, after)
    assert fire is not None and (fire.day, fire.hour, fire.utcoffset()) == (31, 3, BST)


def test_the_scheduled_retention_job_erases_what_the_command_would(
    app: Flask, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from casebook import scheduler
    from casebook.services.retention import RetentionPolicy

    _cases(engine)
    before = all_figures(engine)
    monkeypatch.setattr(scheduler, "utc_now", lambda: datetime(2025, 6, 1, tzinfo=UTC))
    monkeypatch.setattr(scheduler._Target, "engine", engine)
    monkeypatch.setattr(scheduler._Target, "retention", RetentionPolicy(6, {}))
    scheduler.retention_job()
    erased = [e for e in exported(engine) if e["type"] == "subject.erased"]
    assert len(erased) == 3
    assert "S-OLD" not in json.dumps(exported(engine))
    assert all_figures(engine) == before


def _retention(runner: FlaskCliRunner, *now: str) -> dict[str, Any]:
    result = runner.invoke(args=["casebook", "retention", "run", *(("--now", *now) if now else ()),
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


def test_a_closure_dated_years_back_counts_from_the_day_it_was_recorded(
    engine: Engine, runner: FlaskCliRunner
) -> None:
    log(engine, referral(subject="S-LATE", case="DA-1", occurred_at="2018-05-01"),
        event("case.closed", "davss", "2018-09-01", "DA-1", outcome="written up late"),
        recorded_at="2024-03-01")
    report = _retention(runner, "2025-06-01")
    assert report["expired_cases"] == [] and report["erased_keys"] == {}
    assert "S-LATE" in json.dumps(exported(engine))
    later = _retention(runner, "2030-03-01")
    assert later["expired_cases"] == [{"case": "DA-1", "scheme": "davss",
                                       "closed_on": "2024-03-01", "erase_after": "2030-03-01"}]
    assert "S-LATE" not in json.dumps(exported(engine))


def test_voiding_what_reopened_a_case_erases_nothing_for_a_week(
    engine: Engine, runner: FlaskCliRunner
) -> None:
    _as_it_happened(engine,
        referral(subject="S-REOPENED", case="DA-2", occurred_at="2018-05-01"),
        event("case.closed", "davss", "2018-09-01", "DA-2", outcome="closed once"))
    reopened = log(engine, referral(case="DA-2", occurred_at="2024-01-01"),
                   recorded_at="2024-01-01")[0]
    log(engine, void(reopened, occurred_at="2025-05-30"), recorded_at="2025-05-30T10:00:00")
    assert _retention(runner, "2025-06-05")["erased_keys"] == {}
    assert "S-REOPENED" in json.dumps(exported(engine))
    week_later = _retention(runner, "2025-06-06")
    assert [c["erase_after"] for c in week_later["expired_cases"]] == ["2025-06-06"]
    assert "S-REOPENED" not in json.dumps(exported(engine))


def test_a_scheme_that_keeps_closed_cases_no_time_still_waits_a_week(
    app: Flask, engine: Engine, runner: FlaskCliRunner
) -> None:
    app.config["RETENTION_BY_SCHEME"] = {"davss": 0}
    _as_it_happened(engine,
        referral(subject="S-QUICK", case="DA-3", occurred_at="2025-05-20"),
        event("case.closed", "davss", "2025-05-28", "DA-3", outcome="no further action"))
    assert _retention(runner, "2025-06-03")["erased_keys"] == {}
    assert _retention(runner, "2025-06-04")["erased_keys"] != {}
    assert "S-QUICK" not in json.dumps(exported(engine))


def test_a_partner_cannot_make_retention_erase_a_subject_by_backdating_a_closure(
    app: Flask, client: FlaskClient, make_token: MakeToken, engine: Engine,
    runner: FlaskCliRunner,
) -> None:
    app.config["RETENTION_BY_SCHEME"] = {"davss": 0}
    partner = make_token("partner", ["davss"])
    first = referral(case="DA-9", subject="S-TARGET", occurred_at="2024-05-01")
    assert client.post("/api/events", json=first, headers=partner.headers).status_code == 201
    voided = void(first, reason="Logged in error")
    assert client.post("/api/events", json=voided, headers=partner.headers).status_code == 201
    backdated = event("case.closed", "davss", "1900-01-01", "DA-9", outcome="gone")
    refused = client.post("/api/events", json=backdated, headers=partner.headers)
    assert refused.status_code == 422
    assert "occurred_at" in refused.get_json()["items"][0]["fields"]
    earliest = {**backdated, "occurred_at": "2000-01-01"}
    assert client.post("/api/events", json=earliest, headers=partner.headers).status_code == 201
    report = _retention(runner)
    assert report["expired_cases"] == [] and report["erased_keys"] == {}
    assert "S-TARGET" in json.dumps(exported(engine))
