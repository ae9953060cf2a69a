"""The command line's parameter types: financial years, quarters and moments, read by the one
parser each has in `events.quarters`, so every command accepts and refuses the same spellings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from events.quarters import BadPeriod, FinancialYear, Quarter, parse_occurred_at, parse_quarter_label


class FinancialYearType(click.ParamType):
    """A financial year written `2024/25`."""

    name = "year"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> FinancialYear:
        if isinstance(value, FinancialYear):
            return value
        try:
            return FinancialYear.parse(str(value))
        except BadPeriod as error:
            self.fail(str(error), param, ctx)


class QuarterNumberType(click.ParamType):
    """A quarter of a financial year, `Q1` to `Q4`, as its number."""

    name = "quarter"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_quarter_label(str(value))
        except BadPeriod as error:
            self.fail(str(error), param, ctx)


class MomentType(click.ParamType):
    """An ISO date or time, read as `events.quarters.parse_occurred_at` reads it (aware, UTC)."""

    name = "time"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_occurred_at(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date or time like 2025-06-01 or 2025-06-01T09:00 "
                      "(ISO 8601; without an offset, London time)", param, ctx)


FINANCIAL_YEAR = FinancialYearType()
QUARTER = QuarterNumberType()
MOMENT = MomentType()

#: `--year` (required) and `--quarter`, as every command naming a period takes them.
YEAR_OPTION = click.option("--year", "year", type=FINANCIAL_YEAR, required=True,
                           help="Financial year, like 2024/25.")


def quarter_option(help_text: str) -> Any:
    """`--quarter Q1..Q4`, with what leaving it out means for this command."""
    return click.option("--quarter", "quarter", type=QUARTER, default=None, help=f"Q1 to Q4; {help_text}")


def period_of(year: FinancialYear, quarter: int | None) -> FinancialYear | Quarter:
    """The quarter of `year` numbered `quarter`, or the whole year when none is named."""
    return year if quarter is None else year.quarter(quarter)
