"""The dashboard's breakdowns: each figure's risk, gender or category counts for the year to
date, as the reader may see them (small numbers hidden, typed-in names withheld), in labels."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Connection

from events.quarters import FinancialYear, Quarter
from projections.definitions import NOT_RECORDED, Figure
from projections.disclosure import EVERYTHING, DisclosureOf
from projections.figures import FigureReader
from projections.presentation.labels import BreakdownTable, Vocabulary, breakdown_tables
from projections.publish import hide_breakdowns, unname


def breakdowns_to_date(
    connection: Connection, year: FinancialYear, up_to: Quarter,
    shown: Iterable[tuple[Figure, Any]], *, disclosure_of: DisclosureOf | None = None,
    threshold: int = 5, vocabulary: Vocabulary | None = None,
) -> dict[str, list[BreakdownTable]]:
    """Figure id -> its breakdown tables from the start of `year` to the end of `up_to`.

    `shown` pairs each figure with its year-to-date value as the dashboard shows it: where that
    is hidden, so is every breakdown cell (they would add up to it). Only `count` and `sum`
    figures have breakdowns, and their span is the sum of its quarters.
    """
    chosen = {figure.id: (figure, value) for figure, value in shown if figure.breakdown}
    if not chosen:
        return {}
    reader = FigureReader(connection, year)
    narrowed = FigureReader.over(connection, reader.tables, [f for f, _ in chosen.values()])
    quarters = [q for q in year.quarters if q <= up_to]
    values = narrowed.values(quarters)
    tables: dict[str, list[BreakdownTable]] = {}
    for figure_id, (figure, value) in chosen.items():
        summed: dict[str, dict[str, Any]] = {}
        for quarter in quarters:
            for name, counts in values[(figure_id, quarter)].breakdown.items():
                into = summed.setdefault(name, {})
                for key, count in counts.items():
                    into[key] = into.get(key, 0) + count
        entry = {"value": value, "breakdown": {n: dict(sorted(c.items())) for n, c in summed.items()}}
        _disclose(entry, figure, disclosure_of(figure.scheme) if disclosure_of else EVERYTHING,
                  threshold)
        tables[figure_id] = breakdown_tables(entry["breakdown"], figure.types, vocabulary)
    return tables


def _disclose(entry: dict[str, Any], figure: Figure, disclosure: Any, threshold: int) -> None:
    """As `projections.disclosure` narrows a summary: the published cells, unnamed free text."""
    free_text = figure.free_text_breakdowns()
    if not disclosure.full and figure.counts_people:
        hide_breakdowns(entry, threshold, free_text)
    elif not disclosure.labels:
        for name in free_text & set(entry["breakdown"]):
            counts = entry["breakdown"][name]
            keys = [key for key in counts if key != NOT_RECORDED]
            if keys:
                entry["breakdown"][name] = unname(counts, keys)
