"""Values, changes, periods, dates and times as people in the borough read them, on pages and in
files: the one place each is written, for the web app, the summary's pages, CSV and workbooks."""

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


#: The minus sign a fall is written with (not a hyphen, which screen readers say as "dash").
MINUS = "\u2212"
#: What a change is said as for a screen reader, after its words, by its tone.
TONE_WORDS = {"good": ", better", "bad": ", worse", "": ""}
#: The GOV.UK tag colour of a tone: only figures that say which way is better are coloured.
TONE_TAGS = {"good": "govuk-tag--green", "bad": "govuk-tag--red", "": ""}


@dataclass(frozen=True)
class Change:
    """How a value compares with a year earlier: the words ("up 12 (+14%)"), "up", "down" or ""
    for its direction, and "good", "bad" or "" for its tone (from which way is better).

    The words carry the meaning; a page may colour the tone, and says it in words as well.
    """

    text: str
    direction: str = ""
    tone: str = ""

    @property
    def known(self) -> bool:
        """Whether the two values could be compared at all (neither missing nor hidden)."""
        return self.text != NOTHING

    @property
    def tone_words(self) -> str:
        """", better", ", worse" or nothing: the tone as a screen reader hears it."""
        return TONE_WORDS[self.tone]

    @property
    def tag(self) -> str:
        """The GOV.UK tag modifier class of the tone ("" where the change has none)."""
        return TONE_TAGS[self.tone]


def change(value: Any, previous: Any, better: str = "neither") -> Change:
    """The change from a year earlier: up 14 (+233%), down 3 (−20%), up 2.5 points for a rate,
    no change, or – where either value is missing or hidden.

    `better` is the figure's (`Figure.better`): "higher" or "lower" give the change a tone.
    """
    if not _is_number(value) or not _is_number(previous):
        return Change(NOTHING)
    if isinstance(value, float) or isinstance(previous, float):
        points = round((value - previous) * 100, 1)
        if not points:
            return Change("no change")
        return _moved(points, f"{abs(points):.1f} points", better)
    difference = value - previous
    if not difference:
        return Change("no change")
    percent = f" ({difference / previous:+,.0%})".replace("-", MINUS) if previous else ""
    return _moved(difference, f"{abs(difference):,}{percent}", better)


def _moved(amount: float, size: str, better: str) -> Change:
    direction = "up" if amount > 0 else "down"
    tone = ""
    if better in ("higher", "lower"):
        tone = "good" if (direction == "up") == (better == "higher") else "bad"
    return Change(f"{direction} {size}", direction, tone)


def _is_number(value: Any) -> bool:
    # A hidden value is its text; a bool is no figure.
    return isinstance(value, int | float) and not isinstance(value, bool)


def spreadsheet_format(value: Any) -> str:
    """The number format a spreadsheet cell shows `value` with, as `format_value` says it:
    a rate to one decimal place (12.3%), a count with thousands commas (12,345)."""
    if not _is_number(value):
        return "General"
    return "0.0%" if isinstance(value, float) else "#,##0"


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


#: What makes Excel, LibreOffice or Google Sheets read a cell as a formula (or run it via DDE).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """The text, with a leading quote where its first character would start a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: Any) -> Any:
    """A value for a CSV row: text made safe, numbers as they are, None as empty."""
    if value is None:
        return ""
    return spreadsheet_safe(value) if isinstance(value, str) else value


def number_cell(value: Any) -> int | float | None:
    """The value for a spreadsheet's number column: a number, or nothing where it is hidden
    ("fewer than 5", "[c]") or missing; `hidden_note` says what was left out."""
    return value if _is_number(value) else None


def hidden_note(value: Any, previous: Any = None) -> str:
    """What a row's number columns leave out: "This period: fewer than 5; Same period last
    year: [c]", or "" where nothing is hidden."""
    said = [f"{when}: {hidden}" for when, hidden in (("This period", value),
                                                     ("Same period last year", previous))
            if isinstance(hidden, str)]
    return "; ".join(said)


def reason_words(reason: str, period: str = "") -> str:
    """Why a version was generated, in plain words: the stored reason is a code for scripts.

    "scheduled" -> "automatically when the quarter ended"; "catch-up" -> "automatically after
    the quarter ended"; "by hand: sam" -> "on request by sam"; any other reason as it was given.
    `period` is the summary's ("Q1".."Q4" or "year").
    """
    # Imported here: the archive reads the log, and these formatters must load without it.
    from projections.archive import CATCH_UP, SCHEDULED, by_hand

    span = "year" if period == "year" else "quarter"
    if reason == SCHEDULED:
        return f"automatically when the {span} ended"
    if reason == CATCH_UP:
        return f"automatically after the {span} ended"
    asked = by_hand("")
    if reason.startswith(asked):
        return f"on request by {reason[len(asked):].strip() or 'a user'}"
    return reason


def upper_first(text: str) -> str:
    """The text with its first letter a capital, the rest as it is (Jinja's `capitalize`
    would lower a name: "on request by Sam" -> "On request by Sam")."""
    return text[:1].upper() + text[1:]


def _in_london(moment: datetime | str) -> datetime:
    return (datetime.fromisoformat(moment) if isinstance(moment, str) else moment).astimezone(LONDON)


#: The formatters as Jinja filters, for the web app's templates and the summary's alike.
FILTERS: dict[str, Callable[..., Any]] = {
    "format_value": format_value,
    "change": change,
    "period_title": period_title,
    "local_time": local_time,
    "local_day": local_day,
    "spreadsheet_safe": spreadsheet_safe,
    "reason_words": reason_words,
    "upper_first": upper_first,
}
