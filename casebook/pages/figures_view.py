"""The dashboard's numbers: each figure per quarter and year to date, against a year earlier."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from events.quarters import FinancialYear, Quarter
from projections.definitions import Figure
from projections.figures import FigureReader, FigureValue, Period

#: Measures whose part-year value is the sum of its quarters.
ADDITIVE = ("count", "sum", "latest-return")


@dataclass(frozen=True)
class Cell:
    """One figure for one period, and the same period a year earlier (None: no comparison)."""

    value: int | float | None
    previous: int | float | None


@dataclass
class FigureRow:
    """One figure's line on the dashboard."""

    figure: Figure
    quarters: list[Cell]
    to_date: Cell
    trend: list[tuple[Quarter, int | float | None]]


@dataclass
class SchemeGroup:
    scheme: str
    rows: list[FigureRow] = field(default_factory=list)


@dataclass
class PriorityGroup:
    priority: str
    schemes: list[SchemeGroup] = field(default_factory=list)


@dataclass
class Dashboard:
    """Everything the dashboard shows for a year, up to one of its quarters."""

    year: FinancialYear
    up_to: Quarter
    priorities: list[PriorityGroup]


def build_dashboard(connection: Connection, year: FinancialYear, up_to: Quarter,
                    today: Quarter) -> Dashboard:
    """Read every figure for the year, the year before and the last eight quarters."""
    reader = FigureReader(connection)
    trend = [Quarter.from_index(up_to.index - n) for n in range(7, -1, -1)]
    earlier = year.previous()
    periods: list[Period] = [*year.quarters, *earlier.quarters, year, earlier, *trend]
    values = reader.values(list(dict.fromkeys(periods)))
    schemes = sorted({f.scheme for f in reader.figures})
    started = {q: reader.scheme_started(schemes, q) for q in earlier.quarters}

    priorities: dict[str, PriorityGroup] = {}
    for figure in reader.figures:
        group = priorities.setdefault(figure.priority, PriorityGroup(figure.priority))
        existing = [s for s in group.schemes if s.scheme == figure.scheme]
        scheme_group = existing[0] if existing else SchemeGroup(figure.scheme)
        if not existing:
            group.schemes.append(scheme_group)

        quarters = [
            Cell(
                values[(figure.id, q)].value,
                values[(figure.id, q.year_earlier())].value
                if figure.scheme in started[q.year_earlier()] else None,
            )
            for q in year.quarters
        ]
        to_date = Cell(
            _to_date(figure, values, year, up_to, whole_year_so_far=up_to >= today),
            _to_date(figure, values, earlier, up_to.year_earlier())
            if figure.scheme in started[up_to.year_earlier()] else None,
        )
        scheme_group.rows.append(
            FigureRow(figure, quarters, to_date, [(q, values[(figure.id, q)].value) for q in trend])
        )
    return Dashboard(year, up_to, list(priorities.values()))


def _to_date(figure: Figure, values: dict[tuple[str, Period], FigureValue],
             year: FinancialYear, up_to: Quarter, *,
             whole_year_so_far: bool = False) -> int | float | None:
    """The figure from the start of the year to the end of `up_to`."""
    # Up to this quarter, the later quarters are still to come: the year's value is to date.
    if up_to.number == 4 or whole_year_so_far:
        return values[(figure.id, year)].value
    if figure.measure in ADDITIVE:
        return sum(values[(figure.id, q)].value or 0 for q in year.quarters[: up_to.number])
    if figure.measure == "active":
        return values[(figure.id, up_to)].value
    if figure.measure == "distinct" and up_to.number == 1:
        return values[(figure.id, up_to)].value
    # A distinct count or a rate over part of a year is not the sum of its quarters, and the
    # read models keep them per quarter and per whole year only.
    return None


def format_value(figure: Figure, value: int | float | None) -> str:
    """A figure value as people read it: rates as percentages, counts with thousands commas."""
    if value is None:
        return "–"
    if figure.measure == "repeat-rate":
        return f"{value * 100:.1f}%"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def change(cell: Cell) -> str:
    """How a value compares with a year earlier, in words."""
    if cell.value is None or cell.previous is None:
        return ""
    if cell.value > cell.previous:
        return "up"
    if cell.value < cell.previous:
        return "down"
    return "same"


def points(figure: Figure, trend: Sequence[tuple[Quarter, int | float | None]]
           ) -> list[tuple[str, float | None, str]]:
    """The chart's points for a figure's trend."""
    return [
        (f"{q.year} {q.label}", None if v is None else float(v), format_value(figure, v))
        for q, v in trend
    ]
