"""Optimistic concurrency: two people logging against one case on a stale view cannot both win."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events.db import reading
from events.store import ConcurrencyConflict
from events.tables import cases, events
from tests.helpers import log, notice, referral

CASE = "ASB-2024-0031"


def _case_version(engine: Engine, case_ref: str) -> int:
    with reading(engine) as connection:
        return int(connection.execute(
            sa.select(cases.c.version).where(cases.c.case_ref == case_ref)
        ).scalar_one())


def _stream_versions(engine: Engine, case_ref: str) -> list[int]:
    with reading(engine) as connection:
        return list(connection.execute(
            sa.select(events.c.stream_version).where(events.c.case_ref == case_ref)
            .order_by(events.c.position)
        ).scalars())


def test_the_second_writer_on_a_stale_version_gets_a_clear_reload_message(engine: Engine) -> None:
    log(engine, referral(scheme="asb-casework", case=CASE))
    seen = _case_version(engine, CASE)

    log(engine, notice("cpw", case=CASE), expected_versions={CASE: seen})
    with pytest.raises(ConcurrencyConflict) as conflict:
        log(engine, notice("warning-letter", case=CASE), expected_versions={CASE: seen})

    assert str(conflict.value) == (
        f"Case {CASE} changed while you were working on it (you saw version 1, it is now 2). "
        "Reload the case and try again."
    )
    assert (conflict.value.expected, conflict.value.actual) == (1, 2)
    assert _stream_versions(engine, CASE) == [1, 2]


def test_a_writer_expecting_a_new_case_loses_to_one_that_created_it(engine: Engine) -> None:
    log(engine, referral(case="DA-NEW"), expected_versions={"DA-NEW": 0})
    with pytest.raises(ConcurrencyConflict, match="you saw version 0, it is now 1"):
        log(engine, referral(case="DA-NEW"), expected_versions={"DA-NEW": 0})
    assert _stream_versions(engine, "DA-NEW") == [1]


def test_a_writer_with_the_current_version_wins_after_reloading(engine: Engine) -> None:
    log(engine, referral(scheme="asb-casework", case=CASE))
    log(engine, notice("cpw", case=CASE), expected_versions={CASE: 1})
    log(engine, notice("cpn", case=CASE, occurred_at="2024-05-20"), expected_versions={CASE: 2})
    assert _case_version(engine, CASE) == 3


def _race(writers: list[Callable[[], Any]]) -> list[BaseException | None]:
    """Run the writers in threads released together; what each raised, or None."""
    start = threading.Barrier(len(writers))
    outcomes: list[BaseException | None] = [None] * len(writers)

    def run(index: int) -> None:
        start.wait()
        try:
            writers[index]()
        except BaseException as error:  # noqa: BLE001 - the outcome is what the test checks
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(writers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_two_concurrent_writers_on_the_same_version_one_wins_one_gets_the_conflict(
    engine: Engine,
) -> None:
    for round_ in range(5):
        case = f"ASB-RACE-{round_}"
        log(engine, referral(scheme="asb-casework", case=case))
        outcomes = _race([
            lambda case=case: log(engine, notice("cpw", case=case), expected_versions={case: 1}),
            lambda case=case: log(engine, notice("warning-letter", case=case),
                                  expected_versions={case: 1}),
        ])
        winners = [o for o in outcomes if o is None]
        losers = [o for o in outcomes if o is not None]
        assert len(winners) == 1, outcomes
        assert len(losers) == 1 and isinstance(losers[0], ConcurrencyConflict), outcomes
        assert "Reload the case and try again." in str(losers[0])
        assert _stream_versions(engine, case) == [1, 2]


def test_concurrent_writers_without_an_expected_version_both_append_in_order(
    engine: Engine,
) -> None:
    log(engine, referral(scheme="asb-casework", case=CASE))
    outcomes = _race([
        lambda: log(engine, notice("warning-letter", case=CASE)) for _ in range(4)
    ])
    assert outcomes == [None] * 4
    assert _stream_versions(engine, CASE) == [1, 2, 3, 4, 5]
    with reading(engine) as connection:
        positions = list(connection.execute(
            sa.select(events.c.position).order_by(events.c.position)
        ).scalars())
    assert positions == sorted(set(positions))
