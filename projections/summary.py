"""The summary of spec §7: every figure for a quarter or a year, against a year earlier."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from events.quarters import FinancialYear
from projections.figures import FigureReader, Period


def period_of(year: FinancialYear, quarter: int | None) -> Period:
    """The year itself, or one of its quarters."""
    return year if quarter is None else year.quarter(quarter)


def year_earlier(period: Period) -> Period:
    return period.previous() if isinstance(period, FinancialYear) else period.year_earlier()


def build_summary(connection: Connection, year: FinancialYear, quarter: int | None = None) -> dict[str, Any]:
    """The summary document for a year or one of its quarters, from the read models."""
    reader = FigureReader(connection, year)
    period = period_of(year, quarter)
    earlier = year_earlier(period)
    values = reader.values([period, earlier])
    started = reader.scheme_started([f.scheme for f in reader.figures], earlier)
    as_of = reader.as_of()
    figures: dict[str, Any] = {}
    for figure in reader.figures:
        now = values[(figure.id, period)]
        before = values[(figure.id, earlier)]
        entry: dict[str, Any] = {
            "label": figure.label,
            "priority": figure.priority,
            "scheme": figure.scheme,
            "measure": figure.as_dict()["measure"],
            "value": now.value,
            "previous": before.value if figure.scheme in started else None,
        }
        if now.breakdown:
            entry["breakdown"] = now.breakdown
        if now.base is not None:
            entry["base"] = now.base
        figures[figure.id] = entry
    return {
        "year": str(year),
        "period": "year" if quarter is None else f"Q{quarter}",
        "as_of": as_of.isoformat() if as_of is not None else None,
        "figures": figures,
        "plan": {"year": str(reader.plan.year), "version": reader.adopted.version},
    }
