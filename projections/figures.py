"""Figure values for quarters and years, read from the read models (never from the log)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.quarters import FinancialYear, Quarter
from events.tables import events
from projections.catalogue import load_plans
from projections.definitions import NOT_RECORDED, Figure
from projections.plan import Plan
from projections.rebuild import ProjectionsMissing
from projections.tables import Generation, current_generation

Period = Quarter | FinancialYear
RATE_DIGITS = 4


@dataclass
class FigureValue:
    """A figure's value for one period, with its breakdowns and (for rates) the base."""

    value: int | float | None
    breakdown: dict[str, dict[str, int]] = field(default_factory=dict)
    base: int | None = None


def quarters_of(period: Period) -> list[Quarter]:
    return period.quarters if isinstance(period, FinancialYear) else [period]


def last_quarter(period: Period) -> Quarter:
    return quarters_of(period)[-1]


class FigureReader:
    """Reads figure values for any set of periods in a few queries over the read models."""

    def __init__(self, connection: Connection, year: FinancialYear):
        """Read the figures of the plan in force for `year` (for any period asked for: a year's
        `previous` is its own plan's definition applied to the year before, spec §8)."""
        current = current_generation(connection)
        if current is None:
            raise ProjectionsMissing("The read models are missing: run `casebook init`.")
        self.connection = connection
        self.tables: Generation = current[0]
        self.position: int = current[1]
        self.adopted = load_plans(connection).for_year(year)
        self.plan: Plan = self.adopted.plan
        self.figures: list[Figure] = list(self.plan.figures)

    @classmethod
    def over(cls, connection: Connection, tables: Generation,
             figures: Sequence[Figure]) -> FigureReader:
        """A reader of these figures from other tables (a preview's, `projections.preview`)."""
        reader = cls.__new__(cls)
        reader.connection, reader.tables, reader.position = connection, tables, 0
        reader.figures = list(figures)
        return reader

    def as_of(self) -> datetime | None:
        """When the newest event these figures include was recorded."""
        return self.connection.execute(
            sa.select(events.c.recorded_at).where(events.c.position == self.position)
        ).scalar()

    def values(self, periods: Sequence[Period]) -> dict[tuple[str, Period], FigureValue]:
        """Every figure's value for every period asked for."""
        quarter_indexes = sorted({q.index for p in periods for q in quarters_of(p)})
        year_starts = sorted({p.start_year for p in periods if isinstance(p, FinancialYear)})
        totals = self.tables.totals
        keys = sorted({f.read_key for f in self.figures})
        # One select per kind, so each is a lookup of the primary key's leading columns (figure,
        # kind, period) and never a scan past the day rows kept beside them.
        rows = self.connection.execute(sa.union_all(
            sa.select(totals).where(totals.c.figure_id.in_(keys), totals.c.kind == "q",
                                    totals.c.period.in_(quarter_indexes)),
            sa.select(totals).where(totals.c.figure_id.in_(keys), totals.c.kind == "y",
                                    totals.c.period.in_(year_starts)),
        )).all()
        quarter_rows: dict[tuple[str, int], dict[tuple[str, str], int]] = defaultdict(dict)
        year_rows: dict[tuple[str, int], int] = {}
        for row in rows:
            if row.kind == "q":
                quarter_rows[(row.figure_id, row.period)][(row.field, row.value_key)] = row.value
            elif row.field == "":
                year_rows[(row.figure_id, row.period)] = row.value
        running = self._running_totals(max(quarter_indexes) if quarter_indexes else 0)

        result: dict[tuple[str, Period], FigureValue] = {}
        for figure in self.figures:
            for period in periods:
                result[(figure.id, period)] = self._value(
                    figure, period, quarter_rows, year_rows, running
                )
        return result

    def scheme_started(self, schemes: Sequence[str], by: Period) -> set[str]:
        """The schemes that had any (not voided) event in or before the period `by`."""
        activity = self.tables.activity
        return set(
            self.connection.execute(
                sa.select(activity.c.scheme)
                .where(
                    activity.c.scheme.in_(sorted(set(schemes))),
                    activity.c.period <= last_quarter(by).index,
                )
                .group_by(activity.c.scheme)
                .having(sa.func.sum(activity.c.n) > 0)
            ).scalars()
        )

    def _running_totals(self, up_to: int) -> dict[str, dict[int, int]]:
        """For `active` figures: the net change per quarter, to sum into a running total."""
        active = [f.read_key for f in self.figures if f.measure == "active"]
        if not active:
            return {}
        totals = self.tables.totals
        found: dict[str, dict[int, int]] = defaultdict(dict)
        for row in self.connection.execute(
            sa.select(totals.c.figure_id, totals.c.period, totals.c.value).where(
                totals.c.figure_id.in_(active),
                totals.c.kind == "q",
                totals.c.field == "",
                totals.c.period <= up_to,
            )
        ):
            found[row.figure_id][row.period] = row.value
        return found

    def _value(
        self,
        figure: Figure,
        period: Period,
        quarter_rows: dict[tuple[str, int], dict[tuple[str, str], int]],
        year_rows: dict[tuple[str, int], int],
        running: dict[str, dict[int, int]],
    ) -> FigureValue:
        quarters = quarters_of(period)
        key = figure.read_key
        cells = [quarter_rows.get((key, q.index), {}) for q in quarters]
        total = sum(c.get(("", ""), 0) for c in cells)
        if figure.measure == "active":
            end = last_quarter(period).index
            return FigureValue(sum(v for p, v in running.get(key, {}).items() if p <= end))
        if figure.measure == "distinct":
            if isinstance(period, FinancialYear):
                return FigureValue(year_rows.get((key, period.start_year), 0))
            return FigureValue(total)
        if figure.measure == "repeat-rate":
            base = sum(c.get(("#base", ""), 0) for c in cells)
            rate = round(total / base, RATE_DIGITS) if base else None
            return FigureValue(rate, base=base)
        breakdown: dict[str, dict[str, int]] = {}
        for name in figure.breakdown:
            counts: dict[str, int] = {NOT_RECORDED: 0}
            for cell in cells:
                for (field_name, key), value in cell.items():
                    if field_name == name and value:
                        counts[key] = counts.get(key, 0) + value
            breakdown[name] = dict(sorted(counts.items()))
        return FigureValue(total, breakdown)
