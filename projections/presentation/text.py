"""Values, changes, periods, dates and times as people in the borough read them, on pages and in files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from events.quarters import LONDON

#: Month names spelt out, whatever the process's locale (strftime's %B follows it).
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
#: What a missing value reads as.
NOTHING = "–"


def format_value(value: Any) -> str:
    """A figure's value as readers see it: 1,234; a rate as 12.3%; none as –; a hidden one as its text.

    The figure engine gives rates, and only rates, as floats (counts and sums are whole numbers).
    """
    if value is None:
        return NOTHING
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:,.1%}"
    return f"{value:,}"


@dataclass(frozen=True)
class Change:
    """How a value compares with a year earlier: the words, and "up", "down" or "" for styling."""

    text: str
    direction: str = ""

    @property
    def known(self) -> bool:
        """Whether the two values could be compared at all (neither missing nor hidden)."""
        return self.text != NOTHING


def change(value: Any, previous: Any) -> Change:
    """The change from a year earlier: +14 (+233%), +2.5 points for a rate, no change, or –."""
    if not _is_number(value) or not _is_number(previous):
        return Change(NOTHING)
    if isinstance(value, float) or isinstance(previous, float):
        points = round((value - previous) * 100, 1)
        return Change(f"{points:+.1f} points" if points else "no change", _direction(points))
    difference = value - previous
    if not difference:
        return Change("no change")
    percent = f" ({difference / previous:+.0%})" if previous else ""
    return Change(f"{difference:+,}{percent}", _direction(difference))


def _is_number(value: Any) -> bool:
    # A hidden value is its text; a bool is no figure.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _direction(amount: float) -> str:
    return "up" if amount > 0 else "down" if amount < 0 else ""


def period_title(year: object, period: str) -> str:
    """A summary's title: "Annual review 2024/25" or "Quarterly summary 2024/25 Q1"."""
    if period == "year":
        return f"Annual review {year}"
    return f"Quarterly summary {year} {period}"


def local_time(moment: datetime | str | None) -> str:
    """A moment (or its ISO text) as a UK reader expects it: 3 May 2024 at 2:30pm, Europe/London."""
    if not moment:
        return ""
    local = _in_london(moment)
    if (local.hour, local.minute) == (12, 0):
        clock = "midday"
    elif (local.hour, local.minute) == (0, 0):
        clock = "midnight"
    else:
        minutes = f":{local.minute:02d}" if local.minute else ""
        clock = f"{local.hour % 12 or 12}{minutes}{'am' if local.hour < 12 else 'pm'}"
    return f"{local_day(local)} at {clock}"


def local_day(moment: datetime | date | str) -> str:
    """A date, or the Europe/London date of a moment (or its ISO text), like 3 May 2024."""
    day = moment if isinstance(moment, date) and not isinstance(moment, datetime) else _in_london(moment)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _in_london(moment: datetime | str) -> datetime:
    return (datetime.fromisoformat(moment) if isinstance(moment, str) else moment).astimezone(LONDON)


#: The formatters as Jinja filters, for the web app's templates and the summary's alike.
FILTERS: dict[str, Callable[..., Any]] = {
    "format_value": format_value,
    "change": change,
    "period_title": period_title,
    "local_time": local_time,
    "local_day": local_day,
}
