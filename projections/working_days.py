"""England's working days: Monday to Friday, less England's bank holidays (from `holidays`)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

#: Years whose bank holidays are looked up together: a count of working days rarely leaves them.
_SPAN = 8

_DAY = timedelta(days=1)


@lru_cache(maxsize=16)
def bank_holidays(first_year: int, last_year: int) -> frozenset[date]:
    """England's bank holidays from `first_year` to `last_year` (substitute days included)."""
    found = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return frozenset(found)


def _holidays_of(year: int) -> frozenset[date]:
    # Years are looked up in fixed spans so that every date of a span shares one cached set.
    first = year - year % _SPAN
    return bank_holidays(first, first + _SPAN - 1)


def is_working_day(day: date) -> bool:
    """Whether `day` is a working day in England: a weekday that is not a bank holiday."""
    return day.weekday() < 5 and day not in _holidays_of(day.year)


def add_working_days(start: date, count: int) -> date:
    """The `count`th working day after `start`, counting from the day after it (so 1 working
    day after a Friday is the Monday, or the Tuesday after a bank holiday Monday)."""
    if count < 1:
        raise ValueError(f"count must be 1 or more, not {count}")
    day = start
    while count:
        day += _DAY
        if is_working_day(day):
            count -= 1
    return day
