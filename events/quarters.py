"""Local time and the financial calendar: Europe/London dates, financial years and quarters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

_QUARTER_TEXT = re.compile(r"^(\d{4})/(\d{2}) Q([1-4])$")
_YEAR_TEXT = re.compile(r"^(\d{4})/(\d{2})$")
_QUARTER_LABEL = re.compile(r"^[Qq]?([1-4])$")


class BadPeriod(ValueError):
    """A financial year or quarter written in a form casebook does not understand."""


def parse_occurred_at(text: str) -> datetime:
    """Read an ISO timestamp or date as an aware UTC datetime; no offset means Europe/London."""
    text = text.strip()
    if not text:
        raise ValueError("Not a valid date or time.")
    if len(text) == 10:
        moment = datetime.combine(date.fromisoformat(text), time(0, 0), LONDON)
    else:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=LONDON)
    try:
        moment.astimezone(UTC).astimezone(LONDON)
    except OverflowError as error:  # a time at the calendar's very edge, shifted past it
        raise ValueError("Not a valid date or time.") from error
    return moment.astimezone(UTC)


def local_date(moment: datetime) -> date:
    """The Europe/London calendar date of an aware moment."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: casebook only handles aware times")
    return moment.astimezone(LONDON).date()


def one_year_before(day: date) -> date:
    """The same calendar day a year earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True, order=True)
class Quarter:
    """A financial quarter: `start_year` 2024 with `number` 2 is 2024/25 Q2 (July to September)."""

    start_year: int
    number: int

    @classmethod
    def of(cls, day: date) -> Quarter:
        """The financial quarter a local date falls in."""
        if day.month >= 4:
            return cls(day.year, (day.month - 4) // 3 + 1)
        return cls(day.year - 1, 4)

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Read `2024/25 Q3`."""
        match = _QUARTER_TEXT.match(text.strip())
        if not match or not _consecutive(int(match[1]), int(match[2])):
            raise BadPeriod(f"{text!r} is not a quarter like '2024/25 Q3'")
        return cls(int(match[1]), int(match[3]))

    @classmethod
    def from_index(cls, index: int) -> Quarter:
        """The quarter with the given `index` (see `index`)."""
        return cls(index // 4, index % 4 + 1)

    @property
    def index(self) -> int:
        """A whole number that orders quarters: consecutive quarters differ by one."""
        return self.start_year * 4 + self.number - 1

    @property
    def year(self) -> FinancialYear:
        return FinancialYear(self.start_year)

    @property
    def first_day(self) -> date:
        month = 4 + 3 * (self.number - 1)
        return date(self.start_year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter.from_index(self.index + 1)

    def previous(self) -> Quarter:
        return Quarter.from_index(self.index - 1)

    def year_earlier(self) -> Quarter:
        return Quarter(self.start_year - 1, self.number)

    @property
    def label(self) -> str:
        return f"Q{self.number}"

    def __str__(self) -> str:
        return f"{self.year} Q{self.number}"


@dataclass(frozen=True, order=True)
class FinancialYear:
    """A financial year, 1 April to 31 March, written `2024/25`."""

    start_year: int

    @classmethod
    def parse(cls, text: str) -> FinancialYear:
        """Read `2024/25`."""
        match = _YEAR_TEXT.match(text.strip())
        if not match or not _consecutive(int(match[1]), int(match[2])):
            raise BadPeriod(f"{text!r} is not a financial year like '2024/25'")
        return cls(int(match[1]))

    @classmethod
    def of(cls, day: date) -> FinancialYear:
        return Quarter.of(day).year

    def quarter(self, number: int) -> Quarter:
        if number not in (1, 2, 3, 4):
            raise BadPeriod(f"Q{number} is not a quarter: use Q1 to Q4")
        return Quarter(self.start_year, number)

    @property
    def quarters(self) -> list[Quarter]:
        return [Quarter(self.start_year, n) for n in (1, 2, 3, 4)]

    def previous(self) -> FinancialYear:
        return FinancialYear(self.start_year - 1)

    def __str__(self) -> str:
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"


def parse_quarter_label(text: str) -> int:
    """Read a quarter of a year, `Q1`..`Q4` (any case) or `1`..`4`, as its number."""
    match = _QUARTER_LABEL.match(text.strip())
    if not match:
        raise BadPeriod(f"{text!r} is not a quarter: use Q1, Q2, Q3 or Q4")
    return int(match[1])


def _consecutive(start: int, end_two_digits: int) -> bool:
    return (start + 1) % 100 == end_two_digits
