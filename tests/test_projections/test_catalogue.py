"""The plans read back from the `plans` table: what is kept in memory never crosses databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from casebook.database import migrate
from events.db import make_engine, reading, writing
from events.quarters import FinancialYear
from projections.catalogue import load_plans, store_plan
from projections.plan import default_plan_files, plan_from_file


def test_two_databases_holding_the_same_plan_each_say_who_adopted_theirs_and_when(
    new_database_url: Callable[..., str],
) -> None:
    plan = plan_from_file(default_plan_files()[1])
    adoptions = [("a.admin", datetime(2026, 4, 1, 9, 0, tzinfo=UTC)),
                 ("b.admin", datetime(2026, 5, 2, 10, 30, tzinfo=UTC))]
    seen = []
    for by, when in adoptions:
        engine = make_engine(new_database_url(empty=True))
        try:
            migrate(engine)
            with writing(engine) as connection:
                store_plan(connection, plan, by=by, reason="First plan", now=when)
            with reading(engine) as connection:
                adopted = load_plans(connection).for_year(FinancialYear(2025))
                seen.append((adopted.adopted_by, adopted.adopted_at))
        finally:
            engine.dispose()

    assert seen == adoptions
