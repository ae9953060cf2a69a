"""The dashboard on a frozen "today" in the middle of a quarter (2 December 2026, on the demo's
events): a period in progress against the same days a year earlier, returns against the same
quarters, nothing for quarters not reached, each value against a naive count of the events."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from casebook.services.demo import demo_events
from events.db import reading
from events.quarters import FinancialYear, Quarter
from projections.dashboard import Dashboard, FigureRow, build_dashboard
from projections.spans import Span
from projections.summary import build_summary
from tests.helpers import import_jsonl
from tests.naive_figures import days_value, definitions

TODAY = date(2026, 12, 2)
YEAR = FinancialYear(2026)
Q3 = YEAR.quarter(3)
SEED = 7


@pytest.fixture(scope="module")
def lines() -> list[dict[str, Any]]:
    return list(demo_events(SEED, TODAY))


@pytest.fixture
def demo(engine: Engine, lines: list[dict[str, Any]]) -> Engine:
    report = import_jsonl(engine, lines)
    assert report.errors == []
    return engine


def _board(engine: Engine, up_to: Quarter = Q3, published: bool = False) -> Dashboard:
    with reading(engine) as connection:
        return build_dashboard(connection, YEAR, up_to, TODAY,
                               published=lambda scheme: published)


def _rows(board: Dashboard) -> dict[str, FigureRow]:
    return {row.figure.id: row for group in board.priorities for scheme in group.schemes
            for row in scheme.rows}


def _naive(lines: list[dict[str, Any]], figure_id: str, first: date, last: date) -> Any:
    figure = {f["id"]: f for f in definitions()}[figure_id]
    return days_value(lines, figure, first, last)["value"]


def test_a_quarter_in_progress_is_compared_with_the_same_days_a_year_earlier(
    demo: Engine, lines: list[dict[str, Any]]
) -> None:
    board = _board(demo)

    assert board.in_progress and board.span == Span(date(2026, 4, 1), TODAY)
    for figure_id, row in _rows(board).items():
        q3 = row.quarters[2]
        assert q3.provisional and not q3.future
        if row.figure.measure == "latest-return" and Q3 not in (row.returned or []):
            # No return for the quarter yet: nothing shown, rather than a fall to 0.
            assert (q3.value, q3.previous) == (None, None), figure_id
            continue
        assert q3.value == _naive(lines, figure_id, Q3.first_day, TODAY), figure_id
        if row.figure.measure != "latest-return":
            assert q3.previous == _naive(lines, figure_id, date(2025, 10, 1), date(2025, 12, 2)), (
                figure_id)
        assert row.to_date.provisional
        if row.figure.measure == "latest-return":
            continue
        assert row.to_date.value == _naive(lines, figure_id, date(2026, 4, 1), TODAY), figure_id
        assert row.to_date.previous == _naive(lines, figure_id, date(2025, 4, 1),
                                              date(2025, 12, 2)), figure_id


def test_quarters_not_reached_show_nothing_and_ended_quarters_are_final(demo: Engine) -> None:
    for row in _rows(_board(demo, up_to=YEAR.quarter(4))).values():
        q1, q2, q3, q4 = row.quarters
        assert q4.future and q4.value is None and q4.previous is None
        assert not (q1.provisional or q2.provisional or q1.future or q2.future)
        assert [q for q, value in row.trend if value is None and q > Q3] == [YEAR.quarter(4)]


def test_a_return_figure_to_date_compares_the_same_quarters_that_have_returns(
    demo: Engine, lines: list[dict[str, Any]]
) -> None:
    returns = [row for row in _rows(_board(demo)).values()
               if row.figure.measure == "latest-return"]
    assert returns
    for row in returns:
        assert row.returned, row.figure.id
        assert max(row.returned) < Q3  # the demo returns each quarter after it ends
        value = sum(_naive(lines, row.figure.id, q.first_day, q.last_day) for q in row.returned)
        previous = sum(_naive(lines, row.figure.id, q.year_earlier().first_day,
                              q.year_earlier().last_day) for q in row.returned)
        assert (row.to_date.value, row.to_date.previous) == (value, previous), row.figure.id


def test_a_year_to_date_of_ended_quarters_is_compared_with_the_same_quarters(
    demo: Engine, lines: list[dict[str, Any]]
) -> None:
    board = _board(demo, up_to=YEAR.quarter(2))

    assert not board.in_progress and board.span == Span(date(2026, 4, 1), date(2026, 9, 30))
    for figure_id, row in _rows(board).items():
        assert not row.to_date.provisional
        if row.figure.measure == "latest-return":
            continue
        assert row.to_date.value == _naive(lines, figure_id, date(2026, 4, 1), date(2026, 9, 30))
        assert row.to_date.previous == _naive(lines, figure_id, date(2025, 4, 1),
                                              date(2025, 9, 30)), figure_id


def test_published_the_same_days_last_year_never_show_a_small_part_of_a_quarter(
    demo: Engine, lines: list[dict[str, Any]]
) -> None:
    rows = _rows(_board(demo, published=True))
    checked = []
    for figure_id, row in rows.items():
        if not row.figure.counts_people or row.figure.measure not in ("count", "sum"):
            continue
        shown = row.quarters[2].previous
        part = _naive(lines, figure_id, date(2025, 10, 1), date(2025, 12, 2))
        rest = _naive(lines, figure_id, date(2025, 12, 3), date(2025, 12, 31))
        if 0 < part < 5 or 0 < rest < 5:
            assert shown == "[c]", figure_id
        else:
            assert shown == part, figure_id
        checked.append(shown)
    assert checked and any(isinstance(v, int) and v >= 5 for v in checked)


@pytest.mark.parametrize("quarter", [3, None])
def test_a_summary_of_a_period_in_progress_compares_the_same_days_a_year_earlier(
    demo: Engine, lines: list[dict[str, Any]], quarter: int | None
) -> None:
    with reading(demo) as connection:
        document = build_summary(connection, YEAR, quarter,
                                 now=datetime(2026, 12, 2, 15, 0, tzinfo=UTC))
    first = date(2025, 10, 1) if quarter else date(2025, 4, 1)

    assert document["provisional"] is True
    assert document["compared_with"] == {"from": first.isoformat(), "to": "2025-12-02"}
    for figure_id, entry in document["figures"].items():
        if entry["measure"].startswith("latest-return"):
            continue
        assert entry["previous"] == _naive(lines, figure_id, first, date(2025, 12, 2)), figure_id


def test_a_summary_of_an_ended_period_compares_the_whole_period_and_says_nothing_more(
    demo: Engine,
) -> None:
    with reading(demo) as connection:
        document = build_summary(connection, YEAR, 2, now=datetime(2026, 12, 2, tzinfo=UTC))

    assert document["provisional"] is False and "compared_with" not in document


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_every_measure_has_a_year_to_date_up_to_each_quarter_of_an_ended_year(
    demo: Engine, lines: list[dict[str, Any]], number: int
) -> None:
    year = FinancialYear(2025)
    with reading(demo) as connection:
        board = build_dashboard(connection, year, year.quarter(number), TODAY)
    last = year.quarter(number).last_day

    measures = set()
    for figure_id, row in _rows(board).items():
        measures.add(row.figure.measure)
        assert not row.to_date.provisional and row.to_date.value is not None, figure_id
        if row.figure.measure == "latest-return":
            continue
        assert row.to_date.value == _naive(lines, figure_id, date(2025, 4, 1), last), figure_id
        earlier = last.replace(year=last.year - 1)
        started = any(line["scheme"] == row.figure.scheme
                      and line["occurred_at"][:10] <= earlier.isoformat() for line in lines)
        expected = _naive(lines, figure_id, date(2024, 4, 1), earlier) if started else None
        assert row.to_date.previous == expected, figure_id
    assert measures >= {"count", "sum", "distinct", "active", "repeat-rate", "latest-return"}
