"""Each case's status, owner and what is due on it, as the log says: kept in step by every append
and import, recomputed whole by a rebuild, equal either way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events.db import make_engine, reading, writing
from projections.casework import casework_missing, refresh_all, refresh_cases
from projections.casework_tables import case_due, case_index
from projections.rebuild import rebuild
from tests.helpers import event, import_jsonl, log, notice, void

ASB = "asb-casework"


def _index(engine: Engine) -> dict[str, dict[str, Any]]:
    with reading(engine) as connection:
        return {row.case_ref: dict(row._mapping) for row in connection.execute(sa.select(case_index))}


def _due(engine: Engine) -> set[tuple[str, str, str, date]]:
    with reading(engine) as connection:
        return {(r.case_ref, r.kind, r.because, r.due_on) for r in connection.execute(sa.select(case_due))}


def _assigned(case: str, officer: str, occurred_at: str = "2024-05-10") -> dict[str, Any]:
    return event("case.assigned", ASB, occurred_at, case, officer=officer)


def _closed(case: str, occurred_at: str = "2024-06-01") -> dict[str, Any]:
    return event("case.closed", ASB, occurred_at, case)


def test_a_case_is_open_unowned_and_counts_its_events_from_its_first_event(engine: Engine) -> None:
    log(engine, notice("cpw", "ASB-1", "2024-05-03"), notice("warning-letter", "asb-1", "2024-05-20"))

    row = _index(engine)["ASB-1"]

    assert row["scheme"] == ASB and row["status"] == "open" and row["owner"] is None
    assert row["opened_on"] == date(2024, 5, 3) and row["events"] == 2
    assert row["last_occurred_at"] == datetime(2024, 5, 19, 23, 0, tzinfo=UTC)


def test_the_owner_is_the_latest_assignment_by_when_it_happened(engine: Engine) -> None:
    log(engine, notice("cpw", "ASB-1"), _assigned("ASB-1", "j.smith", "2024-05-12"),
        _assigned("ASB-1", "a.khan", "2024-05-11"))
    assert _index(engine)["ASB-1"]["owner"] == "j.smith"

    log(engine, _assigned("ASB-1", "a.khan", "2024-05-13"))
    assert _index(engine)["ASB-1"]["owner"] == "a.khan"


def test_voiding_the_latest_assignment_gives_the_case_back_to_the_one_before(engine: Engine) -> None:
    first, second = _assigned("ASB-1", "j.smith"), _assigned("ASB-1", "a.khan", "2024-05-11")
    log(engine, notice("cpw", "ASB-1"), first, second)

    log(engine, void(second))
    assert _index(engine)["ASB-1"]["owner"] == "j.smith"
    log(engine, void(first))
    assert _index(engine)["ASB-1"]["owner"] is None


def test_a_closure_closes_the_case_and_takes_away_what_was_due(engine: Engine) -> None:
    log(engine, notice("cpw", "ASB-1", "2024-05-03"))
    assert {kind for _, kind, _, _ in _due(engine)} >= {"cpw-compliance"}

    log(engine, _closed("ASB-1"))

    assert _index(engine)["ASB-1"]["status"] == "closed"
    assert _due(engine) == set()


def test_a_later_event_reopens_a_closed_case_and_an_earlier_one_does_not(engine: Engine) -> None:
    log(engine, notice("cpw", "ASB-1", "2024-05-03"), _closed("ASB-1", "2024-06-01"))
    log(engine, notice("warning-letter", "ASB-1", "2024-05-20"))
    assert _index(engine)["ASB-1"]["status"] == "closed"

    log(engine, notice("warning-letter", "ASB-1", "2024-06-02"))
    assert _index(engine)["ASB-1"]["status"] == "open"


def test_voiding_the_closure_reopens_the_case_and_what_was_due_is_due_again(engine: Engine) -> None:
    closed = _closed("ASB-1")
    log(engine, notice("cpw", "ASB-1", "2024-05-03"), closed)

    log(engine, void(closed))

    assert _index(engine)["ASB-1"]["status"] == "open"
    assert "cpw-compliance" in {kind for _, kind, _, _ in _due(engine)}


def test_a_case_whose_every_event_is_voided_is_not_in_the_index(engine: Engine) -> None:
    warning = notice("warning-letter", "ASB-1")
    log(engine, warning, notice("warning-letter", "ASB-2"))

    log(engine, void(warning))

    assert set(_index(engine)) == {"ASB-2"}


def test_a_review_panel_listing_a_case_meets_its_panel_and_a_void_of_it_unmeets_it(engine: Engine) -> None:
    review = "asb-case-review"
    log(engine, event("application.received", review, "2024-05-01", "CR-1"),
        event("threshold.decided", review, "2024-05-03", "CR-1", met=True))
    assert "acr-panel" in {kind for case, kind, _, _ in _due(engine) if case == "CR-1"}

    panel = event("panel.held", review, "2024-05-20", panel="case-review", cases=["cr-1", "CR-9"])
    log(engine, panel)
    assert "acr-panel" not in {kind for case, kind, _, _ in _due(engine) if case == "CR-1"}

    log(engine, void(panel))
    assert "acr-panel" in {kind for case, kind, _, _ in _due(engine) if case == "CR-1"}


def test_a_panel_of_another_scheme_listing_a_case_meets_nothing_in_it(engine: Engine) -> None:
    review = "asb-case-review"
    log(engine, event("application.received", review, "2024-05-01", "CR-1"),
        event("threshold.decided", review, "2024-05-03", "CR-1", met=True),
        event("panel.held", "soc-group", "2024-05-20", panel="case-review", cases=["CR-1"]))

    assert "acr-panel" in {kind for case, kind, _, _ in _due(engine) if case == "CR-1"}


def _history() -> list[dict[str, Any]]:
    review = "asb-case-review"
    cpw, closed, assigned = notice("cpw", "ASB-1", "2024-05-03"), _closed("ASB-2"), _assigned("ASB-1", "j.smith")
    return [
        cpw, notice("cpn", "ASB-1", "2024-06-03"), assigned, _assigned("ASB-2", "a.khan"),
        notice("cpw", "ASB-2", "2024-05-01"), closed, notice("warning-letter", "ASB-3"),
        event("application.received", review, "2024-05-01", "CR-1"),
        event("threshold.decided", review, "2024-05-03", "CR-1", met=True),
        event("panel.held", review, "2024-05-20", panel="case-review", cases=["CR-1"]),
        event("compliance.checked", ASB, "2024-07-01", "ASB-1", notice="cpn", complied=True),
        void(assigned), void(closed),
    ]


def test_a_rebuild_recomputes_every_case_as_the_appends_left_them(engine: Engine) -> None:
    for line in _history():
        log(engine, line)
    incremental = (_index(engine), _due(engine))
    with writing(engine) as connection:
        connection.execute(sa.update(case_index).values(owner="someone-else", status="closed"))
        connection.execute(sa.delete(case_due))

    rebuild(engine)

    assert (_index(engine), _due(engine)) == incremental
    assert incremental[0]["ASB-2"]["status"] == "open" and incremental[0]["ASB-1"]["owner"] is None


def test_an_import_gives_the_rows_that_appending_one_at_a_time_gives(
    engine: Engine, new_database_url: Callable[[], str]
) -> None:
    history = _history()
    for line in history:
        log(engine, line)
    other = make_engine(new_database_url())
    try:
        assert import_jsonl(other, history).errors == []
        assert (_index(other), _due(other)) == (_index(engine), _due(engine))
    finally:
        other.dispose()


def test_a_database_upgraded_with_cases_and_no_case_rows_is_found_and_filled(engine: Engine) -> None:
    for line in _history():
        log(engine, line)
    expected = (_index(engine), _due(engine))
    with writing(engine) as connection:
        assert not casework_missing(connection)
        connection.execute(sa.delete(case_due))
        connection.execute(sa.delete(case_index))
        assert casework_missing(connection)

        refresh_all(connection)

    assert (_index(engine), _due(engine)) == expected


def test_refreshing_a_reference_with_no_events_leaves_no_row(engine: Engine) -> None:
    log(engine, notice("warning-letter", "ASB-1"))
    with writing(engine) as connection:
        refresh_cases(connection, ["asb-1", "ASB-404"])
    assert set(_index(engine)) == {"ASB-1"}
