"""Figure values over any run of days, from the read models: a quarter so far, a year to date,
and the same days a year earlier, for every measure (never by reading the log).

A span is whole quarters plus, at either end, the days of a quarter it only partly covers. The
whole quarters are read from the quarter rows; the partial days from the day rows, which keep
each figure's headline value (and a rate's base) per local day. A distinct count over a span is
the number of distinct members in its quarters and days, not a sum.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.quarters import FinancialYear, Quarter, one_year_before
from projections.definitions import Figure
from projections.fold import DAY, QUARTER, YEAR
from projections.tables import Generation

RATE_DIGITS = 4


@dataclass(frozen=True, order=True)
class Span:
    """The local days `first` to `last`, both included."""

    first: date
    last: date

    @classmethod
    def of(cls, period: Quarter | FinancialYear) -> Span:
        quarters = period.quarters if isinstance(period, FinancialYear) else [period]
        return cls(quarters[0].first_day, quarters[-1].last_day)

    def year_earlier(self) -> Span:
        """The same days a year earlier (29 February becomes 28 February)."""
        return Span(one_year_before(self.first), one_year_before(self.last))

    @property
    def whole_quarters(self) -> list[Quarter]:
        """The quarters the span covers from their first day to their last."""
        found, quarter = [], Quarter.of(self.first)
        while quarter.first_day <= self.last:
            if quarter.first_day >= self.first and quarter.last_day <= self.last:
                found.append(quarter)
            quarter = quarter.next()
        return found

    @property
    def partial_days(self) -> list[tuple[int, int]]:
        """The day ordinals (first, last) of the parts of quarters the span covers only in part."""
        parts, quarter = [], Quarter.of(self.first)
        while quarter.first_day <= self.last:
            first, last = max(quarter.first_day, self.first), min(quarter.last_day, self.last)
            if (first, last) != (quarter.first_day, quarter.last_day):
                parts.append((first.toordinal(), last.toordinal()))
            quarter = quarter.next()
        return parts

    @property
    def quarters(self) -> list[Quarter]:
        """Every quarter the span touches, whole or in part."""
        found, quarter = [], Quarter.of(self.first)
        while quarter.first_day <= self.last:
            found.append(quarter)
            quarter = quarter.next()
        return found

    @property
    def whole_year(self) -> FinancialYear | None:
        year = FinancialYear.of(self.first)
        return year if Span.of(year) == self else None


@dataclass(frozen=True)
class SpanValue:
    """A figure's headline value over a span (a rate's base beside it)."""

    value: int | float | None
    base: int | None = None


class SpanReader:
    """Reads figure values over spans from one generation of the read models."""

    def __init__(self, connection: Connection, tables: Generation):
        self.connection = connection
        self.tables = tables

    def values(self, figures: Sequence[Figure],
               spans: Sequence[Span]) -> dict[tuple[str, Span], SpanValue]:
        """Every figure's value over every span, by (figure id, span)."""
        found: dict[tuple[str, Span], SpanValue] = {}
        additive = [f for f in figures if f.measure in ("count", "sum", "repeat-rate")]
        # A return is for its quarter: a span holds the returns of every quarter it touches.
        returned = [f for f in figures if f.measure == "latest-return"]
        active = [f for f in figures if f.measure == "active"]
        distinct = [f for f in figures if f.measure == "distinct"]
        for span in spans:
            sums = self._sums([f.read_key for f in additive], span)
            for figure in additive:
                total = sums.get((figure.read_key, ""), 0)
                if figure.measure == "repeat-rate":
                    base = sums.get((figure.read_key, "#base"), 0)
                    rate = round(total / base, RATE_DIGITS) if base else None
                    found[(figure.id, span)] = SpanValue(rate, base)
                else:
                    found[(figure.id, span)] = SpanValue(total)
            whole = Span(span.quarters[0].first_day, span.quarters[-1].last_day)
            sums = self._sums([f.read_key for f in returned], whole)
            for figure in returned:
                found[(figure.id, span)] = SpanValue(sums.get((figure.read_key, ""), 0))
            running = self._active_at([f.read_key for f in active], span.last)
            for figure in active:
                found[(figure.id, span)] = SpanValue(running.get(figure.read_key, 0))
            counted = self._distinct([f.read_key for f in distinct], span)
            for figure in distinct:
                found[(figure.id, span)] = SpanValue(counted.get(figure.read_key, 0))
        return found

    def _sums(self, keys: list[str], span: Span) -> dict[tuple[str, str], int]:
        """The headline and base totals of these figures over the span."""
        totals = self.tables.totals
        rows = self._union(totals, keys, self._parts(totals, span),
                           [totals.c.figure_id, totals.c.field, totals.c.value],
                           totals.c.field.in_(["", "#base"]))
        if rows is None:
            return {}
        found = self.connection.execute(
            sa.select(rows.c.figure_id, rows.c.field, sa.func.sum(rows.c.value))
            .group_by(rows.c.figure_id, rows.c.field))
        return {(row[0], row[1]): int(row[2] or 0) for row in found}

    def _distinct(self, keys: list[str], span: Span) -> dict[str, int]:
        """The number of distinct members of these figures over the span."""
        members = self.tables.members
        year = span.whole_year
        parts: list[sa.ColumnElement[bool]] = (
            [(members.c.kind == YEAR) & (members.c.period == year.start_year)]
            if year is not None else self._parts(members, span))
        rows = self._union(members, keys, parts, [members.c.figure_id, members.c.member],
                           members.c.n > 0)
        if rows is None:
            return {}
        found = self.connection.execute(
            sa.select(rows.c.figure_id, sa.func.count(sa.distinct(rows.c.member)))
            .group_by(rows.c.figure_id))
        return {row[0]: int(row[1]) for row in found}

    def _active_at(self, keys: list[str], day: date) -> dict[str, int]:
        """How many are active at the end of `day`: every net change up to it, summed."""
        totals = self.tables.totals
        quarter = Quarter.of(day)
        earlier = (totals.c.kind == QUARTER) & (totals.c.period < quarter.index)
        parts = [earlier, *self._parts(totals, Span(quarter.first_day, day))]
        rows = self._union(totals, keys, parts, [totals.c.figure_id, totals.c.value],
                           totals.c.field == "")
        if rows is None:
            return {}
        found = self.connection.execute(
            sa.select(rows.c.figure_id, sa.func.sum(rows.c.value)).group_by(rows.c.figure_id))
        return {row[0]: int(row[1] or 0) for row in found}

    @staticmethod
    def _union(table: sa.Table, keys: list[str], parts: list[sa.ColumnElement[bool]],
               columns: list[sa.Column[Any]], also: sa.ColumnElement[bool]) -> Any:
        """The rows of these figures in any of `parts`, one select per part (each a lookup of
        the primary key's leading columns: figure, kind, period), as a subquery; None if none."""
        if not keys or not parts:
            return None
        chosen = sorted(set(keys))
        selects = [sa.select(*columns).where(table.c.figure_id.in_(chosen), part, also)
                   for part in parts]
        return sa.union_all(*selects).subquery()

    @staticmethod
    def _parts(table: sa.Table, span: Span) -> list[sa.ColumnElement[bool]]:
        """The rows of a span: its whole quarters' quarter rows and its other days' day rows."""
        parts: list[sa.ColumnElement[bool]] = []
        whole = [q.index for q in span.whole_quarters]
        if whole:
            parts.append((table.c.kind == QUARTER) & table.c.period.in_(whole))
        for first, last in span.partial_days:
            parts.append((table.c.kind == DAY) & table.c.period.between(first, last))
        return parts


def returned_quarters(connection: Connection, tables: Generation, figures: Sequence[Figure],
                      quarters: Sequence[Quarter]) -> dict[str, set[Quarter]]:
    """For `latest-return` figures: which of these quarters have a return, by figure id."""
    keyed = {f.read_key: f.id for f in figures if f.measure == "latest-return"}
    if not keyed or not quarters:
        return {}
    returns = tables.returns
    by_index = {q.index: q for q in quarters}
    found: dict[str, set[Quarter]] = defaultdict(set)
    for figure_id, period in connection.execute(
        sa.select(returns.c.figure_id, returns.c.period).distinct()
        .where(returns.c.figure_id.in_(sorted(keyed)), returns.c.period.in_(sorted(by_index)))
    ):
        found[keyed[figure_id]].add(by_index[period])
    return found
