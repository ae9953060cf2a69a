"""Retention: subjects of cases closed longer ago than their scheme keeps them are erased."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy.engine import Engine

from tests.helpers import event, log, referral
from tests.test_protection.support import all_figures, exported

BST = timedelta(hours=1)


def _cases(engine: Engine) -> None:
    log(engine,
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
    assert sorted(cases for cases in report["erased_keys"].values()) == [["ASB-1"], ["DA-1"]]
    assert list(report["kept_keys"].values()) == [["DA-5"]]
    text = json.dumps(exported(engine))
    assert "S-OLD" not in text and "support ended" not in text and "neighbour moved" not in text
    for kept in ("S-REOPENED", "S-RECENT", "S-BOTH", "recent", "closed once"):
        assert kept in text
    assert sum(e["type"] == "subject.erased" for e in exported(engine)) == 2
    assert all_figures(engine) == before
    again = runner.invoke(args=["casebook", "retention", "run", "--now", "2025-06-01"])
    assert "0 subject keys erased" in again.output


def test_a_dry_run_reports_and_erases_nothing(engine: Engine, runner: FlaskCliRunner) -> None:
    _cases(engine)
    result = runner.invoke(args=["casebook", "retention", "run", "--now", "2025-06-01", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "2 subject keys would be erased." in result.output and "DA-1 (davss): closed 2018-09-01" in result.output
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
    from casebook.retention import RetentionPolicy

    _cases(engine)
    before = all_figures(engine)
    monkeypatch.setattr(scheduler, "utc_now", lambda: datetime(2025, 6, 1, tzinfo=UTC))
    monkeypatch.setattr(scheduler._Target, "engine", engine)
    monkeypatch.setattr(scheduler._Target, "retention", RetentionPolicy(6, {}))
    scheduler.retention_job()
    erased = [e for e in exported(engine) if e["type"] == "subject.erased"]
    assert len(erased) == 2
    assert "S-OLD" not in json.dumps(exported(engine))
    assert all_figures(engine) == before
