"""A figure's rows found among the period's events in Python, for the rules SQL cannot say
exactly (`figure_sql.expressible`) and for returns; and the rows' types, which both ways share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from casebook.services.reads import ListedEvent, period_events
from events.quarters import Quarter
from events.references import case_key
from projections.definitions import Figure
from projections.tables import current_generation


@dataclass(frozen=True)
class Row:
    """One thing the figure counts once, with the events behind it (in the order stored)."""

    #: What is counted: an event id, a case reference, a distinct value, a member, a quarter.
    key: str
    events: tuple[ListedEvent, ...]
    #: The amount the row adds to a sum, or the value of a quarter's counted return.
    amount: int | None = None
    #: For a repeat-rate: whether the referral is a repeat (its subject was referred in the
    #: 12 months before).
    repeat: bool | None = None
    #: For a latest-return: the earlier returns for the same quarter, replaced by this one.
    replaced: tuple[ListedEvent, ...] = ()
    #: For an active figure: joinings less leavings (1 for someone who joined once, still in).
    net: int = 1
    #: For a latest-return on a page: the earlier returns replaced but not listed in `replaced`.
    replaced_more: int = 0

    @property
    def first(self) -> ListedEvent:
        return self.events[0]


@dataclass(frozen=True)
class Rows:
    """How many rows a figure has for a period, and what they add up to."""

    figure: Figure
    #: The rows over every page: the figure's value, or for a rate its base.
    count: int
    #: The events behind the rows.
    event_count: int
    #: The rows' amounts added up (a sum's or a latest-return's value).
    total: int = 0
    repeats: int = 0
    replaced_count: int = 0
    #: Joinings less leavings of the members listed (an active figure's value).
    net: int = 0


def tally(figure: Figure, rows: list[Row]) -> Rows:
    """What these rows (all of the figure's) come to."""
    return Rows(figure, len(rows), sum(len(row.events) for row in rows),
                total=sum(row.amount or 0 for row in rows),
                repeats=sum(1 for row in rows if row.repeat),
                replaced_count=sum(len(row.replaced) for row in rows),
                net=sum(row.net for row in rows))


def all_rows(connection: Connection, figure: Figure, periods: list[int]) -> list[Row]:
    """Every row behind the figure's value for these quarters (by index), from their events."""
    found = period_events(connection, figure.scheme, figure.types, periods,
                          since_the_start=figure.measure == "active")
    matching = [e for e in found if figure.matches(e.event.data)]
    return _BY_MEASURE[figure.measure](connection, figure, periods, matching)


def _each_event(_c: Connection, _f: Figure, _p: list[int], found: list[ListedEvent]) -> list[Row]:
    return [Row(e.event.event_id, (e,)) for e in found]


def _summed(_c: Connection, figure: Figure, _p: list[int], found: list[ListedEvent]) -> list[Row]:
    """Every event with an amount: one without (or of 0) adds nothing to the sum."""
    rows = []
    for listed in found:
        amount = listed.event.data.get(figure.argument or "", 0)
        if amount:
            rows.append(Row(listed.event.event_id, (listed,), amount=int(amount)))
    return rows


def distinct_value(figure: Figure, listed: ListedEvent) -> str | None:
    """What a distinct figure counts the event under: its case, or its argument field's value."""
    event = listed.event
    if figure.argument == "case":
        # One case however its reference was typed, as the figure counts it.
        return None if event.case_ref is None else case_key(event.case_ref)
    value = event.data.get(figure.argument or "")
    return None if value is None else str(value)


def _distinct(_c: Connection, figure: Figure, _p: list[int], found: list[ListedEvent]) -> list[Row]:
    """One row per value, in the order each first appeared, its events beneath."""
    groups: dict[str, list[ListedEvent]] = {}
    for listed in found:
        value = distinct_value(figure, listed)
        if value is not None:
            groups.setdefault(value, []).append(listed)
    return [Row(value, tuple(events)) for value, events in groups.items()]


def _repeats(connection: Connection, figure: Figure, periods: list[int],
             found: list[ListedEvent]) -> list[Row]:
    """Every referral (the rate's base), a repeat where the read models flag it one."""
    flags = _repeat_flags(connection, figure, periods)
    return [Row(e.event.event_id, (e,), repeat=flags.get(e.event.event_id, False)) for e in found]


def _repeat_flags(connection: Connection, figure: Figure, periods: list[int]) -> dict[str, bool]:
    """Event id -> whether it is a repeat, for the figure's referrals with a subject in these
    quarters, as the current read models hold them (referrals without a subject are none)."""
    current = current_generation(connection)
    if current is None:
        return {}
    table = current[0].referrals
    found = connection.execute(
        sa.select(table.c.event_id, table.c.repeat).where(
            table.c.figure_id == figure.read_key, table.c.period.in_(periods))
    )
    return {row.event_id: bool(row.repeat) for row in found}


def member_of(listed: ListedEvent) -> str:
    """Who joins or leaves: the member named (a business or site), else the case (a person)."""
    event = listed.event
    named = event.data.get("member")
    return str(named) if named is not None else event.case_ref or event.event_id


def _active(_c: Connection, figure: Figure, _p: list[int], found: list[ListedEvent]) -> list[Row]:
    """Everyone whose joinings outnumber their leavings by the end of the period, in the order
    they first joined, with those joinings and leavings beneath."""
    groups: dict[str, list[ListedEvent]] = {}
    for listed in found:
        if figure.active_step(listed.event.type):
            groups.setdefault(member_of(listed), []).append(listed)
    rows = []
    for member, events in groups.items():
        net = sum(figure.active_step(e.event.type) for e in events)
        if net > 0:
            rows.append(Row(member, tuple(events), net=net))
    return rows


def _latest(_c: Connection, figure: Figure, _p: list[int], found: list[ListedEvent]) -> list[Row]:
    """Per quarter, the return stored last for the indicator; the earlier ones it replaced."""
    by_quarter: dict[int, list[ListedEvent]] = {}
    for listed in found:
        if listed.event.data.get("indicator") == figure.argument:
            by_quarter.setdefault(listed.event.period, []).append(listed)
    rows = []
    for period in sorted(by_quarter):
        returns = sorted(by_quarter[period], key=lambda e: e.event.position)
        counted = returns[-1]
        rows.append(Row(str(Quarter.from_index(period)), (counted,),
                        amount=int(counted.event.data["value"]),
                        replaced=tuple(reversed(returns[:-1]))))
    return rows


_BY_MEASURE: dict[str, Callable[[Connection, Figure, list[int], list[ListedEvent]], list[Row]]] = {
    "count": _each_event,
    "sum": _summed,
    "distinct": _distinct,
    "repeat-rate": _repeats,
    "active": _active,
    "latest-return": _latest,
}
