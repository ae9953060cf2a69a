"""The scheduler process: quarterly summaries, return reminders and retention, never in the web app."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from apscheduler.events import EVENT_SCHEDULER_STARTED, SchedulerEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from casebook.services.retention import RetentionPolicy, run_retention
from events.chain import verify
from events.clock import utc_now
from events.interchange import EARLIEST_DATE
from events.quarters import LONDON
from projections.archive import SCHEDULED, StoredSummary, generate
from projections.due import last_ended_quarter, quarter_just_ended, run_due
from projections.returns_due import record_reminder

log = logging.getLogger("casebook.scheduler")

QUARTERLY_JOB_ID = "casebook-quarterly-summaries"
REMINDER_JOB_ID = "casebook-missing-returns"
CATCH_UP_JOB_ID = "casebook-catch-up"
RETENTION_JOB_ID = "casebook-retention"
VERIFY_JOB_ID = "casebook-verify"
#: How often the scheduler looks for ended quarters that gained their first events (an import
#: of old records, or demo data written after start) and still lack a summary.
CATCH_UP_MINUTES = 15
#: The job store's table, created by migration 0003.
JOBS_TABLE = "apscheduler_jobs"


class _Target:
    """The engine the jobs use: set when the scheduler process starts, never at import."""

    engine: Engine | None = None
    retention: RetentionPolicy | None = None
    #: The first day events may have happened on: no summary is made of a period before it.
    earliest: date = EARLIEST_DATE


def quarterly_trigger() -> CronTrigger:
    """02:00 London time on the first day of each quarter (1 April, 1 July, 1 October, 1 January)."""
    return CronTrigger(month="1,4,7,10", day=1, hour=2, minute=0, timezone=LONDON)


def reminder_trigger() -> CronTrigger:
    """09:00 London time on the seventh day of each quarter: returns are due by then."""
    return CronTrigger(month="1,4,7,10", day=7, hour=9, minute=0, timezone=LONDON)


def retention_trigger() -> CronTrigger:
    """03:00 London time every day: personal data past its retention period goes promptly."""
    return CronTrigger(hour=3, minute=0, timezone=LONDON)


def _engine() -> Engine:
    if _Target.engine is None:
        raise RuntimeError("the scheduler's jobs run only inside `casebook scheduler`")
    return _Target.engine


def generate_quarter_just_ended(engine: Engine, now: datetime) -> list[StoredSummary]:
    """The quarter just ended (and after Q4 its year), each only if not stored already."""
    generated = []
    for period in quarter_just_ended(now):
        stored = generate(engine, period, SCHEDULED, only_if_missing=True)
        if stored is not None:
            generated.append(stored)
    return generated


def quarterly_summaries_job() -> None:
    """The scheduled job: store the summaries of the quarter that has just ended."""
    for stored in generate_quarter_just_ended(_engine(), utc_now()):
        log.info("generated %s version %s (id %s)", stored.title, stored.version, stored.id)


def missing_returns_job() -> None:
    """The scheduled job: record and log the partner returns still missing."""
    quarter = last_ended_quarter(utc_now())
    missing, recorded = record_reminder(_engine(), quarter)
    if recorded:
        for entry in missing:
            log.warning("return missing for %s: %s (%s)", quarter, entry["label"],
                        entry["scheme_name"])


def catch_up_job() -> None:
    """The periodic job: generate any summary that is due and missing."""
    for stored in run_due(_engine(), utc_now(), earliest=_Target.earliest):
        log.info("caught up %s version %s (id %s)", stored.title, stored.version, stored.id)


def retention_job() -> None:
    """The daily job: erase the subjects of cases closed longer ago than their retention period."""
    if _Target.retention is None:
        return
    report = run_retention(_engine(), _Target.retention, now=utc_now(), erased_by="retention (scheduler)")
    log.info("retention: %d closed cases, %d past retention, %d subject keys erased",
             report.closed_cases, len(report.expired), len(report.erased))
    for key_id, cases in report.erased.items():
        log.info("retention erased subject key %s (cases %s)", key_id, ", ".join(cases))


def verify_trigger() -> CronTrigger:
    """02:30 London time every day: the log's chain is checked before retention appends to it."""
    return CronTrigger(hour=2, minute=30, timezone=LONDON)


def verify_job() -> None:
    """The daily job: walk the log's hash chain and log what it found (an error if broken)."""
    found = verify(_engine())
    if found.broken is not None:
        log.error("verify: %s", found)
    else:
        # The newest chain value, kept in this log outside the database, is what a change that
        # rewrote every later link too would be found against.
        log.info("verify: %s", found)


def build_scheduler(engine: Engine) -> BlockingScheduler:
    """A blocking scheduler whose jobs persist in the application database."""
    scheduler = BlockingScheduler(
        timezone=LONDON,
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
        # A missed run (the process was down) runs once when it is back: generation is
        # idempotent, and the start-up catch-up covers anything older.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    scheduler.add_job(quarterly_summaries_job, quarterly_trigger(), id=QUARTERLY_JOB_ID,
                      name="Quarterly summaries", replace_existing=True)
    scheduler.add_job(missing_returns_job, reminder_trigger(), id=REMINDER_JOB_ID,
                      name="Missing partner returns", replace_existing=True)
    scheduler.add_job(catch_up_job, IntervalTrigger(minutes=CATCH_UP_MINUTES, timezone=LONDON),
                      id=CATCH_UP_JOB_ID, name="Catch up on due summaries",
                      replace_existing=True)
    scheduler.add_job(retention_job, retention_trigger(), id=RETENTION_JOB_ID,
                      name="Erase personal data past retention", replace_existing=True)
    scheduler.add_job(verify_job, verify_trigger(), id=VERIFY_JOB_ID,
                      name="Verify the log's hash chain", replace_existing=True)
    return scheduler


def run_scheduler(
    engine: Engine, say: Callable[[str], Any] = print, retention: RetentionPolicy | None = None,
    earliest: date = EARLIEST_DATE,
) -> None:
    """Catch up on every due summary, then run the jobs until stopped (SIGTERM or Ctrl-C)."""
    _Target.engine = engine
    _Target.retention = retention
    _Target.earliest = earliest
    generated = run_due(engine, utc_now(), earliest=earliest)
    for stored in generated:
        say(f"Caught up: {stored.title} (id {stored.id}, version {stored.version})")
    say(f"Catch-up done: {len(generated)} summaries generated.")
    scheduler = build_scheduler(engine)

    def stop(_signum: int, _frame: Any) -> None:
        if not scheduler.running:
            raise SystemExit(0)
        scheduler.shutdown(wait=False)

    def started(_event: SchedulerEvent) -> None:
        say("Scheduler running: quarterly summaries at 02:00 on 1 Apr, 1 Jul, 1 Oct, 1 Jan "
            "(Europe/London).")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
    try:
        scheduler.start()
    finally:
        _Target.engine = None
        _Target.retention = None
        _Target.earliest = EARLIEST_DATE
