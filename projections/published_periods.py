"""A figure's value for a year and each of its quarters, as the published variant shows them.

The quarters of a year are protected against the year's total, whichever period is asked for,
so that no two answers (a quarter here, the year there) can be subtracted to give a small count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events.quarters import FinancialYear, Quarter
from projections.definitions import Figure
from projections.figures import FigureValue, Period
from projections.publish import ADDITIVE, is_suppressed
from projections.suppression import (
    SECONDARY_TEXT,
    count_text,
    is_small,
    marker,
    protect,
    rate_text,
)


def published_year(values: Mapping[tuple[str, Period], FigureValue], figure: Figure,
                   year: FinancialYear, threshold: int) -> dict[Period, Any]:
    """The figure for the year and its quarters, small numbers and the cells beside them hidden.

    `values` must hold the year and its four quarters.
    """
    periods: list[Period] = [year, *year.quarters]
    raw = {period: values[(figure.id, period)] for period in periods}
    if not figure.counts_people:
        return {period: found.value for period, found in raw.items()}
    if figure.measure == "repeat-rate":
        return {period: _rate(found, threshold) for period, found in raw.items()}
    shown: dict[Period, Any] = {
        period: count_text(threshold) if is_small(found.value, threshold) else found.value
        for period, found in raw.items()
    }
    if figure.measure in ADDITIVE:
        quarters = {q: int(raw[q].value or 0) for q in year.quarters}
        total_shown = not is_suppressed(shown[year])
        for quarter, kind in protect(quarters, threshold, total_shown=total_shown).items():
            shown[quarter] = marker(kind, threshold)
    return shown


def _rate(found: FigureValue, threshold: int) -> Any:
    if found.value is not None and (found.base is None or found.base < threshold):
        return rate_text(threshold)
    return found.value


def published_to_date(shown: Mapping[Period, Any], year: FinancialYear, quarters: int,
                      threshold: int) -> Any:
    """The sum of the year's first `quarters` quarters of an additive figure, if it is safe.

    A part-year sum is shown where it holds none of the hidden quarters (it adds up cells that
    are shown) or all of them (the year's total gives it already), or where it is one hidden
    quarter alone; else it would split the hidden quarters into two sums, and reads [c].
    """
    first = year.quarters[:quarters]
    hidden = {q for q in year.quarters if is_suppressed(shown[q])}
    if is_suppressed(shown[year]):
        # The year is small, so every part of it is: the part-year sum is hidden too.
        return count_text(threshold) if hidden & set(first) else 0
    if not hidden & set(first):
        return sum(shown[q] or 0 for q in first)
    if hidden <= set(first):
        later: list[Quarter] = year.quarters[quarters:]
        return shown[year] - sum(shown[q] or 0 for q in later)
    [*inside] = hidden & set(first)
    if len(inside) == 1 and not any(shown[q] for q in first if q not in hidden):
        # The sum is that one hidden quarter (the others are 0): it reads as the quarter does.
        return shown[inside[0]]
    return SECONDARY_TEXT
