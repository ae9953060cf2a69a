"""The event filter, one for the event log page, its CSV and the API: read from a query string,
applied to a query of `events`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from events.quarters import Quarter
from events.references import case_key
from events.tables import events

#: A scheme filter: None means every scheme, else only these.
Schemes = set[str] | None

#: The text filters, by query-string name, and the column each compares with.
#: Case references are case-insensitive (`events.references`): compared in capitals.
_TEXT_FILTERS: dict[str, sa.ColumnElement[Any]] = {
    "scheme": events.c.scheme, "type": events.c.type, "case": sa.func.upper(events.c.case_ref),
    "recorded_by": events.c.recorded_by}
#: A date range alone of at most this many days is walked a day at a time (`_day_arms`).
_DAYS_WALKED = 100
#: A scheme, type and date range of at most this many quarters is walked a quarter at a time.
_QUARTERS_WALKED = 12
_DATE_LABELS = {"from": "The ‘from’ date", "to": "The ‘to’ date"}


@dataclass(frozen=True)
class EventFilter:
    """Which events to list; empty filters do not filter."""

    scheme: str = ""
    type: str = ""
    case: str = ""
    occurred_from: date | None = None
    occurred_to: date | None = None
    recorded_by: str = ""


def read_filter(args: Mapping[str, str]) -> tuple[EventFilter, dict[str, str]]:
    """The filters in a query string (scheme, type, case, recorded_by, from and to, each a date
    like 2024-04-01), and a message naming each one that could not be read."""
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for name, label in _DATE_LABELS.items():
        raw = args.get(name, "").strip()
        dates[name] = None
        if raw:
            try:
                dates[name] = date.fromisoformat(raw)
            except ValueError:
                errors[name] = f"{label} must be a real date, like 2024-04-01"
    texts = {name: args.get(name, "").strip() for name in _TEXT_FILTERS}
    return EventFilter(occurred_from=dates["from"], occurred_to=dates["to"], **texts), errors


def apply_filter(query: sa.Select[Any], chosen: EventFilter, readable: Schemes) -> sa.Select[Any]:
    """`query` (of a select from `events`) narrowed to `chosen` and to the schemes readable."""
    if readable is not None:
        query = query.where(events.c.scheme.in_(sorted(readable)))
    for name, column in _TEXT_FILTERS.items():
        if value := getattr(chosen, name):
            query = query.where(column == (case_key(value) if name == "case" else value))
    if chosen.occurred_from is not None:
        query = query.where(events.c.local_date >= chosen.occurred_from)
    if chosen.occurred_to is not None:
        query = query.where(events.c.local_date <= chosen.occurred_to)
    return query


def page_positions(
    chosen: EventFilter, readable: Schemes, *, before: int | None = None,
    after: int | None = None, limit: int | None = None, dialect: str = "",
) -> sa.Select[Any]:
    """The positions of a page of events passing the filters: newest first below `before`, or
    oldest first above `after`; each filter's index ends in the position (migration 0014), so
    the page is a seek and a walk of that index, never a sort of everything that matches."""
    if _quarters_few(chosen):
        return _merged(chosen, readable, _quarter_arms(chosen), before, after, limit)
    if _days_alone(chosen) and dialect == "postgresql" and limit is not None:
        return _day_walks(chosen, readable, before, after, limit)
    if _days_alone(chosen):
        return _merged(chosen, readable, _day_arms(chosen), before, after, limit)
    query = apply_filter(sa.select(events.c.position), chosen, readable)
    if after is not None:
        query = query.where(events.c.position > after).order_by(events.c.position)
    else:
        query = query.order_by(events.c.position.desc())
        if before is not None:
            query = query.where(events.c.position < before)
    # The limit is written into the statement: told only "LIMIT ?", SQLite walks the whole
    # log in position order to a date range rather than sort the range's own index entries.
    return query.limit(sa.literal(limit, literal_execute=True)) if limit is not None else query


def _quarters_few(chosen: EventFilter) -> bool:
    """Whether the filter is a scheme, a type and a date range of few enough quarters to walk
    one at a time (a range of centuries would be a statement of thousands of walks)."""
    if not (chosen.scheme and chosen.type and chosen.occurred_from and chosen.occurred_to):
        return False
    quarters = Quarter.of(chosen.occurred_to).index - Quarter.of(chosen.occurred_from).index + 1
    return quarters <= _QUARTERS_WALKED


def _days_alone(chosen: EventFilter) -> bool:
    """Whether the filter is a date range alone, of few enough days to walk one at a time."""
    if chosen.occurred_from is None or chosen.occurred_to is None:
        return False
    days = (chosen.occurred_to - chosen.occurred_from).days + 1
    return (0 < days <= _DAYS_WALKED and not chosen.scheme and not chosen.type
            and not chosen.case and not chosen.recorded_by)


def _quarter_arms(chosen: EventFilter) -> list[sa.ColumnElement[bool]]:
    """One arm per quarter the range touches: a walk of the (scheme, period, type, position)
    index (migration 0015), so no walk passes the scheme's type outside the range."""
    assert chosen.occurred_from is not None and chosen.occurred_to is not None
    first, last = Quarter.of(chosen.occurred_from).index, Quarter.of(chosen.occurred_to).index
    return [events.c.period == period for period in range(first, last + 1)]


def _day_arms(chosen: EventFilter) -> list[sa.ColumnElement[bool]]:
    """One arm per day of the range: a walk of the (local_date, position) index (migration
    0014) each, so no walk passes the events of other days (PostgreSQL would walk the whole
    log in position order to the range, SQLite sort the range)."""
    assert chosen.occurred_from is not None and chosen.occurred_to is not None
    days = (chosen.occurred_to - chosen.occurred_from).days + 1
    return [events.c.local_date == chosen.occurred_from + timedelta(days=n) for n in range(days)]


def _merged(
    chosen: EventFilter, readable: Schemes, arms: list[sa.ColumnElement[bool]],
    before: int | None, after: int | None, limit: int | None,
) -> sa.Select[Any]:
    """`page_positions` as one ordered walk per arm, merged in position order: each walk stops
    at a page (told the limit, PostgreSQL would read every arm whole and sort)."""
    cursor = (events.c.position > after if after is not None
              else events.c.position < before if before is not None else sa.true())
    ordered = events.c.position if after is not None else events.c.position.desc()
    page = sa.literal(limit, literal_execute=True) if limit is not None else None
    selects = []
    for arm in arms:
        walk = apply_filter(sa.select(events.c.position.label("position")), chosen,
                            readable).where(arm, cursor)
        if page is not None and len(arms) > 1:
            walk = sa.select(walk.order_by(ordered).limit(page).subquery().c.position)
        selects.append(walk)
    if not selects:  # a range that ends before it starts
        return apply_filter(sa.select(events.c.position), chosen, readable).where(sa.false())
    position: sa.ColumnClause[Any] = sa.column("position")
    query: Any = (selects[0].order_by(ordered) if len(selects) == 1 else
                  sa.union_all(*selects).order_by(position if after is not None
                                                  else position.desc()))
    return query.limit(page) if page is not None else query


def _day_walks(chosen: EventFilter, readable: Schemes, before: int | None, after: int | None,
               limit: int) -> sa.Select[Any]:
    """`_day_arms` as PostgreSQL says it in one short statement: a walk of the (local_date,
    position) index for each day of a series (LATERAL), each stopping at a page, then the
    page of them all (a union of a hundred arms costs it more to plan than to run)."""
    assert chosen.occurred_from is not None and chosen.occurred_to is not None
    series = sa.func.generate_series(
        sa.cast(sa.literal(chosen.occurred_from), sa.Date),
        sa.cast(sa.literal(chosen.occurred_to), sa.Date),
        sa.literal_column("interval '1 day'")).table_valued("day").render_derived(name="days")
    cursor = (events.c.position > after if after is not None
              else events.c.position < before if before is not None else sa.true())
    page = sa.literal(limit, literal_execute=True)
    walk = (apply_filter(sa.select(events.c.position.label("position")), chosen, readable)
            .where(events.c.local_date == sa.cast(series.c.day, sa.Date), cursor)
            .order_by(events.c.position if after is not None else events.c.position.desc())
            .limit(page).lateral("walk"))
    return (sa.select(walk.c.position).select_from(series).join(walk, sa.true())
            .order_by(walk.c.position if after is not None else walk.c.position.desc())
            .limit(page))
