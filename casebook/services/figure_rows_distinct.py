"""A page of a distinct figure's values, in the order each first appeared, found by walking the
figure's events in the order stored until the page's last value has appeared: the walk is as
long as the page is deep, not as long as the period (which grouping every event would be)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from casebook.services.figure_sql import group_key, matching, not_voided, where_clause
from events.tables import events
from projections.definitions import Figure

#: The fewest events a walk reads first.
_BATCH = 500
_WALKS: dict[tuple[str, str, tuple[int, ...], int], sa.Select[Any]] = {}


def _walk(figure: Figure, dialect: str, periods: tuple[int, ...], reach: int) -> sa.Select[Any]:
    """`_build_walk`, built once per figure, quarters and reach (a figure's `where` is a dict:
    figures are not hashable, their text is)."""
    key = (repr(figure), dialect, periods, reach)
    if key not in _WALKS:
        if len(_WALKS) >= 64:
            _WALKS.clear()
        _WALKS[key] = _build_walk(figure, dialect, periods, reach)
    return _WALKS[key]


def _build_walk(figure: Figure, dialect: str, periods: tuple[int, ...],
                reach: int) -> sa.Select[Any]:
    """The first `reach` of the figure's events with a value, their positions and values, in the
    order stored: one ordered walk of the (scheme, period, type, position) index per quarter and
    type, merged (with the types in one arm, SQLite would rather walk the scheme's every event)."""
    key = group_key(figure, dialect)
    arms = [
        sa.select(events.c.position.label("position"), key.label("key")).where(
            events.c.scheme == figure.scheme, events.c.period == period,
            events.c.type == type_name, not_voided(), where_clause(figure, dialect),
            key.is_not(None))
        for period in sorted(set(periods)) for type_name in figure.types
    ]
    if len(arms) == 1:
        return arms[0].order_by(events.c.position).limit(reach)
    if dialect == "postgresql":
        # Told each walk's end, PostgreSQL walks each on the index instead of reading every
        # arm whole to sort them; SQLite merges the walks as it goes, and would read each
        # bounded one whole first.
        arms = [sa.select(*arm.order_by(events.c.position).limit(reach).subquery().c)
                for arm in arms]
    return sa.union_all(*arms).order_by(sa.column("position")).limit(  # type: ignore[return-value]
        reach)


def first_values(connection: Connection, figure: Figure, periods: Sequence[int], first: int,
                 size: int, known: int | None) -> list[str]:
    """The values of rows `first` to `first + size`, in the order each first appeared: the
    first events are read, four times as many each time, until those values (or all `known`
    values, the read model's count, if any) have appeared or there are no more events."""
    wanted = first + size if known is None else min(first + size, known)
    reach = max(_BATCH, 4 * wanted)
    while wanted > 0:
        found = connection.execute(_walk(figure, connection.dialect.name, tuple(periods),
                                         reach)).all()
        seen = list(dict.fromkeys(str(value) for _position, value in found))
        if len(seen) >= wanted or len(found) < reach:
            return seen[first:first + size]
        reach *= 4
    return []


def positions_of(figure: Figure, dialect: str, periods: Sequence[int],
                 key: sa.ColumnElement[Any], values: list[str]) -> sa.Select[Any]:
    """The positions of the figure's events in these quarters with one of these values: a case
    is looked up on the case reference index (its few events), a data field's value on the
    (scheme, period, type, position) index a quarter and type at a time."""
    if figure.argument == "case":
        # The cases' events first, on their index alone: told the scheme and quarters too,
        # SQLite would walk every event of the scheme's year to test each one's case.
        cases = sa.select(events.c.position).where(key.in_(values)).scalar_subquery()
        return sa.select(events.c.position).where(events.c.position.in_(cases),
                                                  *matching(figure, dialect, periods))
    arms = [sa.select(events.c.position).where(
        events.c.scheme == figure.scheme, events.c.period == period, events.c.type == type_name,
        not_voided(), where_clause(figure, dialect), key.in_(values))
        for period in sorted(set(periods)) for type_name in figure.types]
    return arms[0] if len(arms) == 1 else sa.union_all(*arms)  # type: ignore[return-value]
