"""Spec §5 computed the slow, obvious way from a plain list of events, to check the projections:
the packaged figures (`naive_summary`) or any plan's definitions (`naive_figures`, spec §8)."""

# Nothing here is shared with projections/: the definitions are read from figures.toml afresh and
# every measure is a direct scan of the events, so a mistake in the engine cannot hide here too.

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
FIGURES_TOML = Path(__file__).resolve().parent.parent / "projections" / "figures.toml"
ALL_TYPES = [
    "referral.received", "notice.issued", "application.received", "threshold.decided",
    "panel.held", "case.closed", "case.assigned", "compliance.checked", "participant.enrolled", "participant.left",
    "programme.delivered", "engagement.recorded", "incident.reported", "deployment.made",
    "member.joined", "member.left", "return.submitted",
]
JOINS = {"participant.enrolled", "member.joined"}
LEAVINGS = {"participant.left", "member.left"}


@dataclass(frozen=True)
class Logged:
    """One stored, not voided event: its line, where it stands in the log, and its quarter."""

    line: dict[str, Any]
    position: int
    moment: datetime
    day: date
    quarter: tuple[int, int]

    @property
    def data(self) -> dict[str, Any]:
        return self.line.get("data", {})


def moment_of(text: str) -> datetime:
    """An occurred_at as an aware UTC time: a bare date or no offset is London time."""
    if len(text) == 10:
        return datetime(*map(int, text.split("-")), tzinfo=LONDON).astimezone(UTC)  # type: ignore[misc]
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LONDON)
    return parsed.astimezone(UTC)


def quarter_of_day(day: date) -> tuple[int, int]:
    """(start year of the financial year, quarter number) of a local date."""
    if day.month >= 4:
        return day.year, (day.month - 4) // 3 + 1
    return day.year - 1, 4


def quarter_named(text: str) -> tuple[int, int]:
    year, label = text.split(" ")
    return int(year[:4]), int(label[1])


def last_day(quarter: tuple[int, int]) -> date:
    start_year, number = quarter
    month = 4 + 3 * number  # the month after the quarter
    following = date(start_year + (month > 12), (month - 1) % 12 + 1, 1)
    return following - timedelta(days=1)


def a_year_before(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return date(day.year - 1, day.month, day.day)


def standing_events(lines: list[dict[str, Any]]) -> list[Logged]:
    """The events that count: every stored event except voids and what they voided."""
    voided = {line["data"]["target"] for line in lines if line["type"] == "event.voided"}
    found = []
    for position, line in enumerate(lines, start=1):
        if line["type"] == "event.voided" or line["id"] in voided:
            continue
        moment = moment_of(line["occurred_at"])
        day = moment.astimezone(LONDON).date()
        quarter = (quarter_named(line["data"]["quarter"]) if line["type"] == "return.submitted"
                   else quarter_of_day(day))
        found.append(Logged(line, position, moment, day, quarter))
    return found


def definitions() -> list[dict[str, Any]]:
    return list(tomllib.loads(FIGURES_TOML.read_text("utf-8"))["figure"])


def _passes(where: dict[str, Any], data: dict[str, Any]) -> bool:
    for name, wanted in where.items():
        value = data.get(name)
        if isinstance(wanted, dict):
            if type(value) not in (int, float):
                return False
            if "min" in wanted and value < wanted["min"]:
                return False
            if "max" in wanted and value > wanted["max"]:
                return False
        elif type(value) is not type(wanted) or value != wanted:
            return False
    return True


def _key(value: Any) -> str:
    if value is None:
        return "not-recorded"
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def naive_summary(lines: list[dict[str, Any]], year: int, quarter: int | None) -> dict[str, Any]:
    """{figure id: {value, previous[, breakdown][, base]}} of the packaged figures."""
    return naive_figures(lines, definitions(), year, quarter)


def naive_figures(lines: list[dict[str, Any]], figures: list[dict[str, Any]], year: int,
                  quarter: int | None) -> dict[str, Any]:
    """{figure id: {value, previous[, breakdown][, base]}} of these definitions (one year's plan)
    for the year or one of its quarters; `previous` is the same definition over the year before."""
    events = standing_events(lines)
    quarters = _quarters(year, quarter)
    earlier = [(y - 1, n) for y, n in quarters]
    result = {}
    for figure in figures:
        entry = _figure(figure, events, quarters)
        before = _figure(figure, events, earlier)
        started = any(e.line["scheme"] == figure["scheme"] and e.quarter <= earlier[-1]
                      for e in events)
        entry["previous"] = before["value"] if started else None
        result[figure["id"]] = entry
    return result


def figure_value(lines: list[dict[str, Any]], figure: dict[str, Any], year: int,
                 quarter: int | None = None) -> dict[str, Any]:
    """One definition's {value[, breakdown][, base]} for a year (its start) or one of its
    quarters, from events in the interchange format, voids and what they voided left out."""
    return _figure(figure, standing_events(lines), _quarters(year, quarter))


def _quarters(year: int, quarter: int | None) -> list[tuple[int, int]]:
    return [(year, quarter)] if quarter else [(year, n) for n in (1, 2, 3, 4)]


def days_value(lines: list[dict[str, Any]], figure: dict[str, Any], first: date,
               last: date) -> dict[str, Any]:
    """One definition's {value[, base]} over the local days `first` to `last`: a return counts
    for every quarter the days touch (a return is for a quarter, not a day)."""
    touched = sorted({quarter_of_day(first + timedelta(days=n))
                      for n in range((last - first).days + 1)})
    return _figure(figure, standing_events(lines), touched, days=(first, last))


def _figure(figure: dict[str, Any], events: list[Logged], quarters: list[tuple[int, int]],
            days: tuple[date, date] | None = None) -> dict[str, Any]:
    types = figure.get("types") or ALL_TYPES
    measure, _, argument = figure["measure"].partition(":")
    mine = [e for e in events if e.line["scheme"] == figure["scheme"] and e.line["type"] in types
            and _passes(figure.get("where", {}), e.data)]
    if days is None:
        inside = [e for e in mine if e.quarter in quarters]
    else:
        inside = [e for e in mine if days[0] <= e.day <= days[1]]

    if measure == "active":
        end = last_day(quarters[-1]) if days is None else days[1]
        value = sum((1 if e.line["type"] in JOINS else -1) for e in mine
                    if e.line["type"] in JOINS | LEAVINGS and e.day <= end)
        return {"value": value}
    if measure == "distinct":
        # A case reference names one case whatever its letters' case (spec: references).
        seen = {(e.line.get("case") or "").upper() or None if argument == "case"
                else e.data.get(argument)
                for e in inside}
        seen.discard(None)
        return {"value": len(seen)}
    if measure == "repeat-rate":
        repeats = 0
        for referral in inside:
            subject = referral.data.get("subject")
            since = a_year_before(referral.day)
            if subject is not None and any(
                other.data.get("subject") == subject
                and (other.moment, other.position) < (referral.moment, referral.position)
                and other.day >= since
                for other in mine
            ):
                repeats += 1
        rate = round(repeats / len(inside), 4) if inside else None
        return {"value": rate, "base": len(inside)}
    if measure == "latest-return":
        total = 0
        for q in quarters:
            returns = [e for e in mine
                       if e.quarter == q and e.data.get("indicator") == argument]
            if returns:
                total += max(returns, key=lambda e: e.position).data["value"]
        return {"value": total}

    def amount(e: Logged) -> int:
        return 1 if measure == "count" else int(e.data.get(argument, 0))

    entry: dict[str, Any] = {"value": sum(amount(e) for e in inside)}
    if figure.get("breakdown"):
        entry["breakdown"] = {}
        for name in figure["breakdown"]:
            counts = {"not-recorded": 0}
            for e in inside:
                key = _key(e.data.get(name))
                counts[key] = counts.get(key, 0) + amount(e)
            entry["breakdown"][name] = dict(sorted(
                (k, v) for k, v in counts.items() if v or k == "not-recorded"))
    return entry
