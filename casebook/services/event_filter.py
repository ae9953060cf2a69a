"""The event filter, one for the event log page, its CSV and the API: read from a query string,
applied to a query of `events`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from events.references import case_key
from events.tables import events

#: A scheme filter: None means every scheme, else only these.
Schemes = set[str] | None

#: The text filters, by query-string name, and the column each compares with.
#: Case references are case-insensitive (`events.references`): compared in capitals.
_TEXT_FILTERS: dict[str, sa.ColumnElement[Any]] = {
    "scheme": events.c.scheme, "type": events.c.type, "case": sa.func.upper(events.c.case_ref),
    "recorded_by": events.c.recorded_by}
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
    after: int | None = None, limit: int | None = None,
) -> sa.Select[Any]:
    """The positions of a page of events passing the filters: newest first below `before`, or
    oldest first above `after`; each filter's index ends in the position (migration 0014), so
    the page is a seek and a walk of that index, never a sort of everything that matches."""
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
