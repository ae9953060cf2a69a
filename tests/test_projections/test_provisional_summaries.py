"""Summaries generated before their period ended, on both databases: provisional, never the
period's summary, and the scheduler still stores the first final version after the period."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from casebook import scheduler
from casebook.scheduler import generate_quarter_just_ended, quarterly_summaries_job
from events.db import reading
from events.quarters import LONDON, FinancialYear, Quarter
from projections.archive import (
    SCHEDULED,
    PeriodNotBegun,
    by_hand,
    final_periods,
    generate,
    latest_final,
    list_summaries,
    previous_version,
    versions_of,
)
from projections.due import due_periods, run_due
from projections.restatement import restatement
from projections.summary import build_summary, is_provisional
from tests.helpers import log, referral

#: 2024/25 Q3 runs from 1 October to 31 December 2024.
Q3 = Quarter(2024, 3)
YEAR = FinancialYear(2024)
#: "Generate now" is pressed mid-quarter; the scheduler runs at 02:00 on 1 January.
MID_QUARTER = datetime(2024, 12, 2, 10, 30, tzinfo=LONDON)
NEW_YEAR = datetime(2025, 1, 1, 2, 0, tzinfo=LONDON)


def seed_to_december(engine: Engine) -> None:
    """Two referrals in Q3 recorded before 2 December, one of 20 December recorded after it."""
    log(engine, referral(occurred_at="2024-10-05"), referral(occurred_at="2024-11-20"),
        recorded_at="2024-11-30T09:00:00")
    log(engine, referral(occurred_at="2024-12-20"), recorded_at="2024-12-20T15:00:00")


def referrals(document: dict) -> int:
    value: int = document["figures"]["davss.referrals"]["value"]
    return value


def test_generate_now_mid_quarter_is_provisional_and_the_job_on_1_january_stores_the_final(
    engine: Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    log(engine, referral(occurred_at="2024-10-05"), referral(occurred_at="2024-11-20"),
        recorded_at="2024-11-30T09:00:00")
    early = generate(engine, Q3, by_hand("manager"), only_if_missing=False, now=MID_QUARTER)
    assert early is not None and early.version == 1
    assert early.provisional and not early.final
    assert early.document["provisional"] is True and referrals(early.document) == 2
    assert early.listing()["final"] is False
    with reading(engine) as connection:
        assert final_periods(connection) == set()
        assert latest_final(connection, Q3) is None
        assert previous_version(connection, early) is None

    log(engine, referral(occurred_at="2024-12-20"), recorded_at="2024-12-20T15:00:00")
    monkeypatch.setattr(scheduler._Target, "engine", engine)
    quarterly_summaries_job(now=NEW_YEAR)
    with reading(engine) as connection:
        (final, provisional) = versions_of(connection, Q3)[::-1]
        assert latest_final(connection, Q3) == final
        assert final_periods(connection) == {("2024/25", "Q3")}
        # The first final version restates nothing: what it adds to the provisional one is
        # December, not a restatement.
        assert previous_version(connection, final) is None
        assert restatement(connection, final, previous_version(connection, final)) is None
    assert provisional == early
    assert (final.version, final.reason, final.final) == (2, SCHEDULED, True)
    assert final.document["provisional"] is False and referrals(final.document) == 3
    assert final.listing()["final"] is True

    quarterly_summaries_job(now=NEW_YEAR)
    assert generate_quarter_just_ended(engine, NEW_YEAR) == []
    with reading(engine) as connection:
        assert [s.version for s in list_summaries(connection)] == [2, 1]


def test_a_year_summary_generated_mid_year_is_provisional_and_the_catch_up_still_stores_it(
    engine: Engine,
) -> None:
    seed_to_december(engine)
    early = generate(engine, YEAR, by_hand("manager"), only_if_missing=False, now=MID_QUARTER)
    assert early is not None and early.provisional
    assert early.document["provisional"] is True and early.listing()["final"] is False
    with reading(engine) as connection:
        assert YEAR not in due_periods(connection, datetime(2025, 3, 31, 12, tzinfo=UTC))
        assert YEAR in due_periods(connection, datetime(2025, 4, 1, 2, tzinfo=LONDON))
    caught_up = run_due(engine, datetime(2025, 4, 1, 2, tzinfo=LONDON))
    assert [(s.quarter, s.version, s.final) for s in caught_up] == [
        ("Q3", 1, True), ("year", 2, True)]
    assert caught_up[1].document["provisional"] is False and referrals(caught_up[1].document) == 3
    assert run_due(engine, datetime(2025, 4, 1, 2, tzinfo=LONDON)) == []


def test_an_automatic_run_stores_nothing_while_the_period_is_in_progress(engine: Engine) -> None:
    seed_to_december(engine)
    assert generate(engine, Q3, SCHEDULED, only_if_missing=True, now=MID_QUARTER) is None
    assert run_due(engine, MID_QUARTER) == []
    with reading(engine) as connection:
        assert list_summaries(connection) == []


def test_a_period_not_begun_cannot_be_generated(engine: Engine) -> None:
    with pytest.raises(PeriodNotBegun, match="2024/25 Q4 has not begun"):
        generate(engine, Quarter(2024, 4), by_hand("manager"), only_if_missing=False,
                 now=MID_QUARTER)
    with pytest.raises(PeriodNotBegun):
        generate(engine, FinancialYear(2025), by_hand("manager"), only_if_missing=False,
                 now=MID_QUARTER)
    with reading(engine) as connection:
        assert list_summaries(connection) == []


@pytest.mark.parametrize(("moment", "provisional"), [
    (datetime(2024, 12, 31, 23, 59, 59, tzinfo=LONDON), True),
    (datetime(2025, 1, 1, 0, 0, tzinfo=LONDON), False),
    (datetime(2024, 10, 1, 0, 0, tzinfo=LONDON), True),
])
def test_a_quarter_ends_at_midnight_london_time_after_its_last_day(
    moment: datetime, provisional: bool,
) -> None:
    assert is_provisional(Q3, moment) is provisional


def test_in_summer_time_the_quarter_ends_at_midnight_bst_not_utc() -> None:
    q1 = Quarter(2024, 1)  # ends 30 June, in summer time
    assert is_provisional(q1, datetime(2024, 6, 30, 22, 59, tzinfo=UTC)) is True  # 23:59 BST
    assert is_provisional(q1, datetime(2024, 6, 30, 23, 0, tzinfo=UTC)) is False  # 1 July
    assert is_provisional(YEAR, datetime(2025, 3, 31, 23, 0, tzinfo=UTC)) is False


def test_a_restatement_compares_final_with_final_never_with_a_provisional_version(
    engine: Engine,
) -> None:
    seed_to_december(engine)
    generate(engine, Q3, by_hand("manager"), only_if_missing=False, now=MID_QUARTER)
    first_final = generate(engine, Q3, SCHEDULED, only_if_missing=True, now=NEW_YEAR)
    log(engine, referral(occurred_at="2024-12-30"), recorded_at="2025-01-10T09:00:00")
    second_final = generate(engine, Q3, by_hand("manager"), only_if_missing=False,
                            now=datetime(2025, 1, 10, 12, tzinfo=UTC))
    assert first_final is not None and second_final is not None
    assert (first_final.version, second_final.version) == (2, 3)
    with reading(engine) as connection:
        assert previous_version(connection, second_final) == first_final
        restated = restatement(connection, second_final, first_final)
        assert latest_final(connection, Q3) == second_final
    assert restated is not None and restated["previous_version"] == 2
    assert [(c["old"], c["new"]) for c in restated["changes"]
            if c["figure"] == "davss.referrals"] == [(3, 4)]
    assert len(restated["late_events"]) == 1


def test_the_live_summary_says_whether_its_period_had_ended(engine: Engine) -> None:
    seed_to_december(engine)
    with reading(engine) as connection:
        during = build_summary(connection, YEAR, 3, now=MID_QUARTER)
        after = build_summary(connection, YEAR, 3, now=NEW_YEAR)
        year = build_summary(connection, YEAR, None, now=NEW_YEAR)
    assert (during["provisional"], after["provisional"], year["provisional"]) == (
        True, False, True)
    assert referrals(during) == referrals(after) == 3
