"""The dashboard's numbers: each figure per quarter and year to date, against a year earlier,
like for like.

A period still in progress is compared with the same days a year earlier (1 October to
2 December against 1 October to 2 December), and a `latest-return` figure with the same
quarters that have returns. Quarters not reached yet show nothing. Every value is read from the
read models (`projections.spans` for runs of days).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.engine import Connection

from events.quarters import FinancialYear, Quarter
from projections.definitions import Figure
from projections.figures import FigureReader, FigureValue, Period
from projections.publish import ADDITIVE
from projections.published_periods import published_to_date, published_year
from projections.spans import Span, SpanReader, SpanValue, returned_quarters
from projections.suppression import SECONDARY_TEXT, count_text, is_small, rate_text

#: A value as shown: a number, None where there is none, or the text of a hidden value.
Shown = int | float | str | None


@dataclass(frozen=True)
class Cell:
    """One figure for one period, and the same period a year earlier (None: no comparison).

    `provisional`: the period has not ended, the value is so far. `future`: not reached yet,
    nothing to show.
    """

    value: Shown
    previous: Shown
    provisional: bool = False
    future: bool = False


@dataclass
class FigureRow:
    """One figure's line on the dashboard; `returned` lists the quarters a `latest-return`
    figure's year to date holds (the ones with returns), compared with the same a year earlier."""

    figure: Figure
    quarters: list[Cell]
    to_date: Cell
    trend: list[tuple[Quarter, Shown]]
    returned: list[Quarter] | None = None


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
    """Everything the dashboard shows for a year, up to one of its quarters, on `today`."""

    year: FinancialYear
    up_to: Quarter
    priorities: list[PriorityGroup]
    today: date
    #: The days the year to date covers (None: the year has not started).
    span: Span | None

    @property
    def today_quarter(self) -> Quarter:
        return Quarter.of(self.today)

    @property
    def in_progress(self) -> bool:
        """Whether the year to date ends today, before its last quarter has ended."""
        return self.span is not None and self.span.last == self.today < self.up_to.last_day


def build_dashboard(connection: Connection, year: FinancialYear, up_to: Quarter,
                    today: date, *, published: Callable[[str], bool] = lambda scheme: False,
                    threshold: int = 5) -> Dashboard:
    """Read every figure for the year, the year before and the last eight quarters.

    Schemes for which `published` is true show the published variant: small numbers hidden,
    each year's quarters protected against that year's total.
    """
    reader = FigureReader(connection, year)
    now = Quarter.of(today)
    trend = [Quarter.from_index(up_to.index - n) for n in range(7, -1, -1)]
    earlier = year.previous()
    years = list(dict.fromkeys([year, earlier, *(q.year for q in trend)]))
    values = reader.values([p for y in years for p in _year_and_quarters(y)])
    span = _to_date_span(year, up_to, today)
    so_far = Span(now.first_day, today)
    spans = SpanReader(connection, reader.tables).values(
        reader.figures, [s for s in (span, span and span.year_earlier(), so_far.year_earlier())
                         if s is not None])
    returned = returned_quarters(connection, reader.tables, reader.figures, year.quarters)
    schemes = sorted({f.scheme for f in reader.figures})
    started = {q: reader.scheme_started(schemes, q) for q in earlier.quarters}

    priorities: dict[str, PriorityGroup] = {}
    for figure in reader.figures:
        group = priorities.setdefault(figure.priority, PriorityGroup(figure.priority))
        found = [s for s in group.schemes if s.scheme == figure.scheme]
        scheme_group = found[0] if found else SchemeGroup(figure.scheme)
        if not found:
            group.schemes.append(scheme_group)
        limit = threshold if published(figure.scheme) and figure.counts_people else None
        shown = _shown(figure, values, years, limit)
        row = _Row(figure, values, spans, shown, limit, now, today, returned.get(figure.id, set()))
        quarters = [row.quarter(q, figure.scheme in started[q.year_earlier()])
                    for q in year.quarters]
        mine = sorted(returned.get(figure.id, set())) if figure.measure == "latest-return" else None
        to_date = row.to_date(span, year, up_to, figure.scheme in started[up_to.year_earlier()],
                              mine)
        scheme_group.rows.append(FigureRow(
            figure, quarters, to_date,
            [(q, None if q > now else shown[q]) for q in trend], mine))
    return Dashboard(year, up_to, list(priorities.values()), today, span)


def _to_date_span(year: FinancialYear, up_to: Quarter, today: date) -> Span | None:
    """From the year's first day to the end of `up_to`, or to today if that is sooner."""
    first = year.quarters[0].first_day
    last = min(up_to.last_day, today)
    return Span(first, last) if last >= first else None


@dataclass
class _Row:
    """The values of one figure, and how to show each cell of its row."""

    figure: Figure
    values: Mapping[tuple[str, Period], FigureValue]
    spans: Mapping[tuple[str, Span], SpanValue]
    shown: Mapping[Period, Shown]
    threshold: int | None
    now: Quarter
    today: date
    #: For a `latest-return` figure, the quarters of the year with a return.
    returned: set[Quarter]

    def quarter(self, quarter: Quarter, compared: bool) -> Cell:
        if quarter > self.now:
            return Cell(None, None, future=True)
        if self.figure.measure == "latest-return" and quarter == self.now and (
                quarter not in self.returned):
            # No return for the quarter in progress yet: nothing to show, not a fall to 0.
            return Cell(None, None, provisional=True)
        if quarter < self.now or self.figure.measure == "latest-return":
            # A return is for its whole quarter: compared with the whole quarter a year earlier.
            return Cell(self.shown[quarter], self.shown[quarter.year_earlier()] if compared else None,
                        provisional=quarter == self.now)
        same_days = Span(quarter.first_day, self.today).year_earlier()
        previous = self._part(same_days, [], quarter.year_earlier()) if compared else None
        return Cell(self.shown[quarter], previous, provisional=True)

    def to_date(self, span: Span | None, year: FinancialYear, up_to: Quarter, compared: bool,
                returned: list[Quarter] | None) -> Cell:
        if span is None:
            return Cell(None, None, future=True)
        provisional = span.last < up_to.last_day
        quarters = [q for q in year.quarters if q <= min(up_to, self.now)]
        if returned is not None:
            chosen = [q for q in returned if q <= up_to]
            if not chosen:  # no return yet: nothing to compare like for like
                return Cell(self._whole(span, year, len(quarters)), None, provisional)
            previous = self._sum_of([q.year_earlier() for q in chosen], year.previous())
            return Cell(self._sum_of(chosen, year), previous if compared else None, provisional)
        value = self._whole(span, year, len(quarters))
        if not compared:
            return Cell(value, None, provisional)
        earlier = span.year_earlier()
        if not provisional:
            return Cell(value, self._whole(earlier, year.previous(), len(quarters)))
        whole = [q.year_earlier() for q in quarters[:-1]]
        return Cell(value, self._part(earlier, whole, quarters[-1].year_earlier()), True)

    def _whole(self, span: Span, year: FinancialYear, quarters: int) -> Shown:
        """The value over a span of whole quarters, or (this year) up to today."""
        if self.threshold is None:
            return self.spans[(self.figure.id, span)].value
        if span == Span.of(year) or (span.last == self.today and year == self.now.year):
            return self.shown[year]
        if self.figure.measure in ADDITIVE:
            return published_to_date(self.shown, year, quarters, self.threshold)
        return self._small(self.spans[(self.figure.id, span)])

    def _part(self, span: Span, whole: Sequence[Quarter], partial: Quarter) -> Shown:
        """The value over whole quarters and part of `partial`, a year earlier than today.

        Published, the part of the quarter and the rest of it are both checked: either small
        would follow from the quarter's total shown elsewhere, so the value reads [c].
        """
        found = self.spans[(self.figure.id, span)]
        if self.threshold is None:
            return found.value
        if self.figure.measure not in ADDITIVE:
            return self._small(found)
        whole_value = sum(int(self.values[(self.figure.id, q)].value or 0) for q in whole)
        part = int(found.value or 0) - whole_value
        rest = int(self.values[(self.figure.id, partial)].value or 0) - part
        if is_small(part, self.threshold) or is_small(rest, self.threshold):
            return SECONDARY_TEXT
        if whole and any(isinstance(self.shown[q], str) for q in whole):
            return SECONDARY_TEXT
        return found.value

    def _small(self, found: SpanValue) -> Shown:
        assert self.threshold is not None
        if self.figure.measure == "repeat-rate":
            small_base = found.value is not None and (found.base or 0) < self.threshold
            return rate_text(self.threshold) if small_base else found.value
        return count_text(self.threshold) if is_small(found.value, self.threshold) else found.value

    def _sum_of(self, quarters: Sequence[Quarter], year: FinancialYear) -> Shown:
        """A `latest-return` figure over these quarters of `year` (published: as shown)."""
        if self.threshold is not None and len(quarters) < 4:
            # Only whole leading runs of quarters are protected against the year's total.
            run = [q for q in year.quarters[: len(quarters)]]
            if list(quarters) != run:
                return SECONDARY_TEXT
            return published_to_date(self.shown, year, len(quarters), self.threshold)
        if self.threshold is not None:
            return self.shown[year]
        return sum(int(self.values[(self.figure.id, q)].value or 0) for q in quarters)


def _shown(figure: Figure, values: Mapping[tuple[str, Period], FigureValue],
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
