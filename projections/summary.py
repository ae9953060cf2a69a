"""The summary of spec §7: every figure for a quarter or a year, against a year earlier."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Connection

from events.clock import utc_now
from events.quarters import FinancialYear, local_date
from projections.figures import FigureReader, FigureValue, Period, last_quarter, quarters_of
from projections.spans import Span, SpanReader, returned_quarters


def period_of(year: FinancialYear, quarter: int | None) -> Period:
    """The year itself, or one of its quarters."""
    return year if quarter is None else year.quarter(quarter)


def year_earlier(period: Period) -> Period:
    return period.previous() if isinstance(period, FinancialYear) else period.year_earlier()


def last_day(period: Period) -> date:
    """The period's last day (a quarter's, or 31 March for a year)."""
    return last_quarter(period).last_day


def is_provisional(period: Period, at: datetime) -> bool:
    """Whether figures worked out at `at` are provisional: the period had not ended yet, so
    events of its last days were still to come and the figures are not the period's own."""
    return local_date(at) <= last_day(period)


def has_begun(period: Period, at: datetime) -> bool:
    """Whether the period's first day had come by `at` (a later period has no figures yet)."""
    return local_date(at) >= quarters_of(period)[0].first_day


def build_summary(connection: Connection, year: FinancialYear, quarter: int | None = None, *,
                  now: datetime | None = None) -> dict[str, Any]:
    """The summary document for a year or one of its quarters, from the read models.

    `now` (by default the clock's) decides `provisional`: a period not yet ended is labelled
    so wherever its figures appear.
    """
    reader = FigureReader(connection, year)
    period = period_of(year, quarter)
    earlier = year_earlier(period)
    values = reader.values([period, earlier])
    started = reader.scheme_started([f.scheme for f in reader.figures], earlier)
    as_of = reader.as_of()
    at = now or utc_now()
    provisional = is_provisional(period, at)
    days = (Span(quarters_of(period)[0].first_day, local_date(at)).year_earlier()
            if provisional and has_begun(period, at) else None)
    like_for_like = _like_for_like(connection, reader, period, days) if days else {}
    figures: dict[str, Any] = {}
    for figure in reader.figures:
        this = values[(figure.id, period)]
        before = like_for_like.get(figure.id) or values[(figure.id, earlier)]
        entry: dict[str, Any] = {
            "label": figure.label,
            "priority": figure.priority,
            "scheme": figure.scheme,
            "measure": figure.as_dict()["measure"],
            "value": this.value,
            "previous": before.value if figure.scheme in started else None,
        }
        if this.breakdown:
            entry["breakdown"] = this.breakdown
        if this.base is not None:
            entry["base"] = this.base
            if days:
                entry["previous_base"] = before.base
        figures[figure.id] = entry
    compared = ({"compared_with": {"from": days.first.isoformat(), "to": days.last.isoformat()}}
                if days else {})
    return {
        "year": str(year),
        "period": "year" if quarter is None else f"Q{quarter}",
        "as_of": as_of.isoformat() if as_of is not None else None,
        "provisional": provisional,
        **compared,
        "figures": figures,
        "plan": {"year": str(reader.plan.year), "version": reader.adopted.version},
    }


def _like_for_like(connection: Connection, reader: FigureReader, period: Period,
                   days: Span) -> dict[str, FigureValue]:
    """A year earlier for a period in progress: the same days, or for a return figure the same
    quarters that have returns so far."""
    found = SpanReader(connection, reader.tables).values(reader.figures, [days])
    returned = returned_quarters(connection, reader.tables, reader.figures, quarters_of(period))
    earlier = sorted({q.year_earlier() for quarters in returned.values() for q in quarters})
    values = reader.values(earlier)
    like: dict[str, FigureValue] = {}
    for figure in reader.figures:
        if figure.measure == "latest-return":
            total = sum(int(values[(figure.id, q.year_earlier())].value or 0)
                        for q in returned.get(figure.id, ()))
            like[figure.id] = FigureValue(total if figure.id in returned else None)
        else:
            value = found[(figure.id, days)]
            like[figure.id] = FigureValue(value.value, base=value.base)
    return like
