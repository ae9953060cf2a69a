"""The dashboard's numbers: each figure per quarter and year to date, against a year earlier."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from events.quarters import FinancialYear, Quarter
from projections.definitions import Figure
from projections.figures import FigureReader, FigureValue, Period
from projections.publish import ADDITIVE
from projections.published_periods import published_to_date, published_year

#: A value as shown: a number, None where there is none, or the text of a hidden value.
Shown = int | float | str | None


@dataclass(frozen=True)
class Cell:
    """One figure for one period, and the same period a year earlier (None: no comparison)."""

    value: Shown
    previous: Shown


@dataclass
class FigureRow:
    """One figure's line on the dashboard."""

    figure: Figure
    quarters: list[Cell]
    to_date: Cell
    trend: list[tuple[Quarter, Shown]]


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
                    today: Quarter, *, published: Callable[[str], bool] = lambda scheme: False,
                    threshold: int = 5) -> Dashboard:
    """Read every figure for the year, the year before and the last eight quarters.

    Schemes for which `published` is true show the published variant: small numbers hidden,
    each year's quarters protected against that year's total.
    """
    reader = FigureReader(connection, year)
    trend = [Quarter.from_index(up_to.index - n) for n in range(7, -1, -1)]
    earlier = year.previous()
    years = list(dict.fromkeys([year, earlier, *(q.year for q in trend)]))
    values = reader.values([p for y in years for p in _year_and_quarters(y)])
    schemes = sorted({f.scheme for f in reader.figures})
    started = {q: reader.scheme_started(schemes, q) for q in earlier.quarters}

    priorities: dict[str, PriorityGroup] = {}
    for figure in reader.figures:
        group = priorities.setdefault(figure.priority, PriorityGroup(figure.priority))
        existing = [s for s in group.schemes if s.scheme == figure.scheme]
        scheme_group = existing[0] if existing else SchemeGroup(figure.scheme)
        if not existing:
            group.schemes.append(scheme_group)
        hidden = published(figure.scheme) and figure.counts_people
        shown = _shown(figure, values, years, threshold if hidden else None)

        quarters = [
            Cell(shown[q], shown[q.year_earlier()]
                 if figure.scheme in started[q.year_earlier()] else None)
            for q in year.quarters
        ]
        to_date = Cell(
            _to_date(figure, shown, year, up_to, threshold if hidden else None,
                     whole_year_so_far=up_to >= today),
            _to_date(figure, shown, earlier, up_to.year_earlier(), threshold if hidden else None)
            if figure.scheme in started[up_to.year_earlier()] else None,
        )
        scheme_group.rows.append(
            FigureRow(figure, quarters, to_date, [(q, shown[q]) for q in trend])
        )
    return Dashboard(year, up_to, list(priorities.values()))


def _shown(figure: Figure, values: dict[tuple[str, Period], FigureValue],
           years: Sequence[FinancialYear], threshold: int | None) -> dict[Period, Shown]:
    """The figure's value for each year and quarter: every number, or (with a threshold) the
    published variant."""
    if threshold is None:
        return {p: values[(figure.id, p)].value for y in years for p in _year_and_quarters(y)}
    shown: dict[Period, Shown] = {}
    for financial_year in years:
        shown.update(published_year(values, figure, financial_year, threshold))
    return shown


def _year_and_quarters(year: FinancialYear) -> list[Period]:
    return [year, *year.quarters]


def _to_date(figure: Figure, shown: dict[Period, Shown], year: FinancialYear, up_to: Quarter,
             threshold: int | None, *, whole_year_so_far: bool = False) -> Shown:
    """The figure from the start of the year to the end of `up_to` (published with a threshold)."""
    # Up to this quarter, the later quarters are still to come: the year's value is to date.
    if up_to.number == 4 or whole_year_so_far:
        return shown[year]
    if figure.measure in ADDITIVE:
        if threshold is not None:
            return published_to_date(shown, year, up_to.number, threshold)
        return sum(_number(shown[q]) for q in year.quarters[: up_to.number])
    if figure.measure == "active":
        return shown[up_to]
    if figure.measure == "distinct" and up_to.number == 1:
        return shown[up_to]
    # A distinct count or a rate over part of a year is not the sum of its quarters, and the
    # read models keep them per quarter and per whole year only.
    return None


def _number(value: Shown) -> int | float:
    return value if isinstance(value, int | float) else 0
