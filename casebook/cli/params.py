"""The command line's parameter types: financial years, quarters and moments, read by the one
parser each has in `events.quarters`, so every command accepts and refuses the same spellings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from events.quarters import FinancialYear, Quarter, parse_occurred_at, parse_quarter_label


class Parsed(click.ParamType):
    """A parameter read by one of the parsers in `events.quarters`; what it refuses is said in
    its own words (or in `refusal`, given the text typed)."""

    def __init__(self, name: str, parse: Callable[[str], Any], kind: type,
                 refusal: Callable[[str], str] | None = None):
        self.name, self._parse, self._kind, self._refusal = name, parse, kind, refusal

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, self._kind):
            return value
        try:
            return self._parse(str(value))
        except ValueError as error:  # BadPeriod is a ValueError
            self.fail(self._refusal(str(value)) if self._refusal else str(error), param, ctx)


#: A financial year written `2024/25`.
FINANCIAL_YEAR = Parsed("year", FinancialYear.parse, FinancialYear)
#: A quarter of a financial year, `Q1` to `Q4`, as its number.
QUARTER = Parsed("quarter", parse_quarter_label, int)
#: An ISO date or time, read as `events.quarters.parse_occurred_at` reads it (aware, UTC).
MOMENT = Parsed("time", parse_occurred_at, datetime, lambda value: (
    f"{value!r} is not a date or time like 2025-06-01 or 2025-06-01T09:00 "
    "(ISO 8601; without an offset, London time)"))

#: `--year` (required) and `--quarter`, as every command naming a period takes them.
YEAR_OPTION = click.option("--year", "year", type=FINANCIAL_YEAR, required=True,
                           help="Financial year, like 2024/25.")


def quarter_option(help_text: str) -> Any:
    """`--quarter Q1..Q4`, with what leaving it out means for this command."""
    return click.option("--quarter", "quarter", type=QUARTER, default=None, help=f"Q1 to Q4; {help_text}")


def period_of(year: FinancialYear, quarter: int | None) -> FinancialYear | Quarter:
    """The quarter of `year` numbered `quarter`, or the whole year when none is named."""
    return year if quarter is None else year.quarter(quarter)
