"""The scheduler: trigger times across the clock changes, and real scheduler processes racing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import Engine

from casebook.scheduler import (
    CATCH_UP_JOB_ID,
    DIGEST_JOB_ID,
    JOBS_TABLE,
    MAIL_JOB_ID,
    QUARTERLY_JOB_ID,
    REMINDER_JOB_ID,
    RETENTION_JOB_ID,
    VERIFY_JOB_ID,
    generate_quarter_just_ended,
    quarterly_trigger,
    reminder_trigger,
)
from events.db import reading
from events.quarters import LONDON
from projections.archive import list_summaries
from tests.helpers import log, referral

CASEBOOK = str(Path(sys.executable).parent / "casebook")


def fire_times(trigger: CronTrigger, after: datetime, count: int) -> list[datetime]:
    """The trigger's next `count` fire times after a moment, as APScheduler computes them."""
    times: list[datetime] = []
    previous = None
    now = after
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        times.append(fire)
        previous, now = fire, fire
    return times


def test_the_quarterly_job_fires_once_at_two_in_the_morning_london_time_through_a_year() -> None:
    times = fire_times(quarterly_trigger(), datetime(2024, 12, 15, tzinfo=UTC), 5)
    assert [t.astimezone(UTC) for t in times] == [
        datetime(2025, 1, 1, 2, 0, tzinfo=UTC),  # GMT
        datetime(2025, 4, 1, 1, 0, tzinfo=UTC),  # BST began on 30 March
        datetime(2025, 7, 1, 1, 0, tzinfo=UTC),
        datetime(2025, 10, 1, 1, 0, tzinfo=UTC),
        datetime(2026, 1, 1, 2, 0, tzinfo=UTC),  # GMT again from 26 October
    ]
    assert {(t.astimezone(LONDON).hour, t.astimezone(LONDON).minute) for t in times} == {(2, 0)}


def test_the_first_of_april_job_runs_at_local_time_when_the_clocks_changed_the_day_before() -> None:
    # In 2024 the clocks went forward on Sunday 31 March: asked from GMT the day before, the
    # next run is still 02:00 on 1 April local time, that is 01:00 UTC, and it runs once.
    asked_in_gmt = datetime(2024, 3, 30, 12, 0, tzinfo=UTC)
    first, second = fire_times(quarterly_trigger(), asked_in_gmt, 2)
    assert first == datetime(2024, 4, 1, 2, 0, tzinfo=LONDON)
    assert first.astimezone(UTC) == datetime(2024, 4, 1, 1, 0, tzinfo=UTC)
    assert second.astimezone(UTC) == datetime(2024, 7, 1, 1, 0, tzinfo=UTC)
    just_after = quarterly_trigger().get_next_fire_time(first, datetime(2024, 4, 1, 1, 0, 1,
                                                                         tzinfo=UTC))
    assert just_after == second


def test_the_first_of_january_job_runs_at_two_in_the_morning_gmt() -> None:
    (fire,) = fire_times(quarterly_trigger(), datetime(2025, 10, 27, tzinfo=UTC), 1)
    assert fire.astimezone(UTC) == datetime(2026, 1, 1, 2, 0, tzinfo=UTC)


def test_the_returns_reminder_runs_on_the_seventh_day_of_each_quarter_at_nine() -> None:
    times = fire_times(reminder_trigger(), datetime(2025, 3, 1, tzinfo=UTC), 2)
    assert [t.astimezone(UTC) for t in times] == [
        datetime(2025, 4, 7, 8, 0, tzinfo=UTC),
        datetime(2025, 7, 7, 8, 0, tzinfo=UTC),
    ]


def test_the_job_after_the_fourth_quarter_stores_the_quarter_and_the_annual_review(
    engine: Engine,
) -> None:
    log(engine, referral(occurred_at="2025-02-03"))
    first = generate_quarter_just_ended(engine, datetime(2025, 4, 1, 1, 0, tzinfo=UTC))
    assert [(s.year, s.quarter, s.reason) for s in first] == [
        ("2024/25", "Q4", "scheduled"), ("2024/25", "year", "scheduled")]
    assert generate_quarter_just_ended(engine, datetime(2025, 4, 1, 1, 5, tzinfo=UTC)) == []


def _start_scheduler(database_url: str, tmp_path: Path) -> subprocess.Popen[str]:
    environment = {**os.environ, "CASEBOOK_DATABASE_URL": database_url,
                   "CASEBOOK_SECRET_KEY": "scheduler-test", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [CASEBOOK, "scheduler"], env=environment, cwd=tmp_path, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )


def _wait_until_running(process: subprocess.Popen[str], seconds: float = 60) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if line.startswith("Scheduler running"):
            return lines
    process.kill()
    raise AssertionError("the scheduler did not start:\n" + "\n".join(lines))


def test_two_scheduler_processes_on_one_database_store_one_summary_per_quarter(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    log(engine, *(referral(occurred_at=day) for day in
                  ("2024-05-03", "2024-08-03", "2024-11-03", "2025-02-03")))
    processes = [_start_scheduler(database_url, tmp_path) for _ in range(2)]
    outputs: list[list[str]] = []
    try:
        outputs.extend(_wait_until_running(process) for process in processes)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=30) for process in processes]
        rest = [process.communicate()[0].splitlines() for process in processes]
    for output, more in zip(outputs, rest, strict=False):
        output.extend(more)
    assert codes == [0, 0], outputs
    with reading(engine) as connection:
        stored = list_summaries(connection)
        jobs = connection.execute(
            sa.text(f"SELECT id, next_run_time FROM {JOBS_TABLE} ORDER BY id")).all()
    periods = sorted((s.year, s.quarter) for s in stored)
    assert periods == [("2024/25", "Q1"), ("2024/25", "Q2"), ("2024/25", "Q3"),
                       ("2024/25", "Q4"), ("2024/25", "year")]
    assert {s.version for s in stored} == {1}
    caught_up = [line for output in outputs for line in output if line.startswith("Caught up")]
    assert len(caught_up) == 5
    assert [job.id for job in jobs] == sorted(
        [CATCH_UP_JOB_ID, DIGEST_JOB_ID, MAIL_JOB_ID, QUARTERLY_JOB_ID, REMINDER_JOB_ID,
         RETENTION_JOB_ID, VERIFY_JOB_ID])
    quarterly = {job.id: job.next_run_time for job in jobs}[QUARTERLY_JOB_ID]
    next_fire = datetime.fromtimestamp(quarterly, UTC).astimezone(LONDON)
    assert (next_fire.day, next_fire.month % 3, next_fire.hour) == (1, 1, 2)
