"""A filter of a scheme, a type and a date range, walked a quarter at a time and merged, and a
date range alone, walked a day at a time (on PostgreSQL over a series of days), list exactly
the events the plain filter does, in the same order, from any cursor, either way."""

from __future__ import annotations

from datetime import date
from itertools import product

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from casebook.services.event_filter import EventFilter, apply_filter, page_positions
from events.db import reading
from events.tables import events
from tests.bench.synth import synthetic_events
from tests.helpers import import_jsonl

RANGES = [(date(2022, 5, 17), date(2023, 2, 3)), (date(2023, 4, 1), date(2023, 6, 30)),
          (date(2023, 7, 1), date(2023, 10, 8)), (date(2024, 1, 9), date(2024, 1, 9)),
          (date(2024, 3, 1), date(2023, 3, 1)), (date(1, 1, 1), date(9999, 12, 31))]


def test_a_date_range_walked_by_quarter_or_by_day_pages_as_the_plain_filter_does(
    engine: Engine
) -> None:
    report = import_jsonl(engine, list(synthetic_events(3_000)))
    assert not report.errors
    with reading(engine) as connection:
        compared = 0
        for start, end in RANGES:
            for readable, chosen in product((None, {"davss"}, {"channel"}), (
                    EventFilter(scheme="davss", type="referral.received",
                                occurred_from=start, occurred_to=end),
                    EventFilter(occurred_from=start, occurred_to=end))):
                every = list(connection.execute(apply_filter(
                    sa.select(events.c.position), chosen, readable)
                    .order_by(events.c.position)).scalars())
                cursors = [None, *every[::7]]
                for cursor in cursors:
                    oldest = connection.execute(page_positions(
                        chosen, readable, after=cursor or 0, limit=5,
                        dialect=engine.dialect.name)).scalars().all()
                    newest = connection.execute(page_positions(
                        chosen, readable, before=cursor, limit=5,
                        dialect=engine.dialect.name)).scalars().all()
                    assert oldest == [p for p in every if cursor is None or p > cursor][:5]
                    assert newest == [p for p in reversed(every)
                                      if cursor is None or p < cursor][:5]
                compared += len(every)
        assert compared > 50


def test_a_range_of_centuries_is_one_walk_not_one_per_quarter() -> None:
    # The API's fuzzing sends such ranges: thousands of walks would take minutes to build.
    chosen = EventFilter(scheme="davss", type="referral.received",
                         occurred_from=date(1, 1, 1), occurred_to=date(9999, 12, 31))
    sql = str(page_positions(chosen, None, after=0, limit=50).compile())
    assert "UNION" not in sql.upper() and len(sql) < 2_000
