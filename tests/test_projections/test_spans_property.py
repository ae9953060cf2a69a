"""For any valid history with voids, a figure over any run of days (a quarter so far, a year to
date, the same days a year earlier) equals the figure recomputed naively over those days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from events.db import make_engine, reading
from events.quarters import FinancialYear, Quarter
from projections.figures import FigureReader
from projections.rebuild import rebuild
from projections.spans import Span, SpanReader
from tests.naive_figures import days_value, definitions
from tests.test_projections.test_figures_property import DAYS, FIRST_DAY, KINDS, History, _store


def _spans(draw: Callable[[st.SearchStrategy[Any]], Any]) -> list[Span]:
    """Spans like the dashboard's, and arbitrary ones, over the history's days."""
    spans = []
    for _ in range(4):
        today = FIRST_DAY + timedelta(days=draw(st.integers(0, DAYS)))
        quarter = Quarter.of(today)
        spans += [Span(quarter.first_day, today), Span(quarter.year.quarters[0].first_day, today)]
    first = FIRST_DAY + timedelta(days=draw(st.integers(0, DAYS)))
    spans.append(Span(first, first + timedelta(days=draw(st.integers(0, 400)))))
    spans.append(Span.of(FinancialYear(2023)))
    spans += [span.year_earlier() for span in spans]
    return spans


def _assert_spans_match(engine: Engine, lines: list[dict[str, Any]], spans: list[Span]) -> None:
    figures = {f["id"]: f for f in definitions()}
    with reading(engine) as connection:
        reader = FigureReader(connection, FinancialYear(2024))
        found = SpanReader(connection, reader.tables).values(reader.figures, spans)
    for span in spans:
        for figure in reader.figures:
            expected = days_value(lines, figures[figure.id], span.first, span.last)
            got = found[(figure.id, span)]
            assert got.value == expected["value"], (figure.id, span)
            if "base" in expected:
                assert got.base == expected["base"], (figure.id, span)


@pytest.mark.slow
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_figures_over_any_days_equal_the_naive_count_of_those_days_before_and_after_rebuild(
    new_database_url: Callable[[], str], data: st.DataObject
) -> None:
    history = History(data.draw)
    for _ in range(data.draw(st.integers(1, 60), label="events")):
        history.step(data.draw(st.sampled_from(KINDS)))
    spans = _spans(data.draw)
    engine = make_engine(new_database_url())
    try:
        _store(engine, history.lines, data.draw)
        _assert_spans_match(engine, history.lines, spans)
        rebuild(engine, batch_size=data.draw(st.integers(1, 50)))
        _assert_spans_match(engine, history.lines, spans)
    finally:
        engine.dispose()


def test_a_span_splits_into_whole_quarters_and_the_days_of_the_quarters_it_touches_in_part(
) -> None:
    span = Span(date(2026, 4, 1), date(2026, 12, 2))

    assert [str(q) for q in span.whole_quarters] == ["2026/27 Q1", "2026/27 Q2"]
    assert span.partial_days == [(date(2026, 10, 1).toordinal(), date(2026, 12, 2).toordinal())]
    assert span.year_earlier() == Span(date(2025, 4, 1), date(2025, 12, 2))
    assert Span(date(2024, 1, 1), date(2024, 2, 29)).year_earlier().last == date(2023, 2, 28)
    assert Span.of(FinancialYear(2026)).whole_year == FinancialYear(2026)
    assert span.whole_year is None
