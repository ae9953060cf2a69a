"""Which summaries are due: ended quarters (and years) with events and no final summary yet."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from events.db import reading
from events.interchange import EARLIEST_DATE
from events.quarters import LONDON, FinancialYear, Quarter
from projections.archive import CATCH_UP, StoredSummary, final_periods, generate, period_key
from projections.figures import Period, last_quarter
from projections.rebuild import ProjectionsMissing
from projections.tables import current_generation

#: A quarter counts as ended, for summaries, from 02:00 London time on the next quarter's first
#: day: the hour the scheduled job runs, so a catch-up never forestalls it.
ENDED_AT_HOUR = 2


def last_ended_quarter(now: datetime) -> Quarter:
    """The quarter that ended most recently at the moment `now` (Europe/London time)."""
    local = now.astimezone(LONDON)
    current = Quarter.of(local.date())
    if local.date() == current.first_day and local.hour < ENDED_AT_HOUR:
        return current.previous().previous()
    return current.previous()


def quarters_with_events(connection: Connection) -> list[Quarter]:
    """Every quarter in which some scheme has a (not voided) event, oldest first."""
    current = current_generation(connection)
    if current is None:
        raise ProjectionsMissing("The read models are missing: run `casebook init`.")
    activity = current[0].activity
    rows = connection.execute(
        sa.select(activity.c.period)
        .group_by(activity.c.period)
        .having(sa.func.sum(activity.c.n) > 0)
        .order_by(activity.c.period)
    ).scalars()
    return [Quarter.from_index(index) for index in rows]


def due_periods(connection: Connection, now: datetime, earliest: date = EARLIEST_DATE) -> list[Period]:
    """Ended quarters with events and no final summary, each ended year after its Q4.

    A period whose only versions were generated before it ended (provisional) is still due.

    A quarter that ended before the `earliest` date events may have is never due: an event
    dated before it (stored before the date was set) must not produce a summary of its own.
    """
    ended = last_ended_quarter(now)
    done = final_periods(connection)
    active = [q for q in quarters_with_events(connection)
              if q <= ended and q.last_day >= earliest]
    years = sorted({q.year for q in active if q.year.quarter(4) <= ended})
    candidates: list[Period] = [*active, *years]
    due = [p for p in candidates if period_key(p) not in done]
    # In time order, each year straight after its fourth quarter.
    return sorted(due, key=lambda p: (last_quarter(p).index, isinstance(p, FinancialYear)))


def run_due(engine: Engine, now: datetime, reason: str = CATCH_UP,
            earliest: date = EARLIEST_DATE) -> list[StoredSummary]:
    """Generate every due summary exactly once; returns those this call generated."""
    with reading(engine) as connection:
        due = due_periods(connection, now, earliest)
    generated = []
    for period in due:
        stored = generate(engine, period, reason, only_if_missing=True, now=now)
        if stored is not None:
            generated.append(stored)
    return generated


def quarter_just_ended(now: datetime) -> list[Period]:
    """What the quarterly job generates: the quarter just ended, and after Q4 its year too."""
    ended = last_ended_quarter(now)
    periods: list[Period] = [ended]
    if ended.number == 4:
        periods.append(FinancialYear(ended.start_year))
    return periods
