"""What a figure counts, one row per thing counted: the rows behind a figure's value.

Each measure's rows follow the rule its projection folds by (`projections.fold`), so that the
number of rows is the figure: an event per count, a case (or value) per distinct count, a member
per active count, a referral per rate's base with the repeats the read models flagged, and one
return per quarter. Voided events never appear.

A page of rows is found in SQL (`figure_sql`) and only its own events are read: how many rows
there are comes from the read models (the figure's value) or a count in SQL. The few rules SQL
cannot say exactly (a personal field, a type with upcasters) and the returns, a handful a
quarter, are found among the period's events in Python (`figure_rows_python`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from casebook.services import figure_rows_distinct as distinct
from casebook.services import figure_rows_python as in_python
from casebook.services import figure_rows_returns as returns
from casebook.services import reads
from casebook.services.figure_rows_python import Row, Rows, distinct_value, member_of
from casebook.services.figure_sql import (
    expressible,
    group_key,
    matching,
    nonzero_amount,
    ordered_positions,
)
from events.quarters import Quarter
from events.tables import events
from projections.definitions import Figure
from projections.tables import current_generation

__all__ = ["Row", "Rows", "every_row", "figure_rows", "rows_page"]

#: Rows read at a time for a CSV.
_BATCH = 500


def _in_sql(figure: Figure) -> bool:
    return figure.measure != "latest-return" and expressible(figure)


def _kept(connection: Connection, figure: Figure, periods: Sequence[int]) -> returns.Kept | None:
    """A latest-return figure's returns as its read model keeps them (None for other figures)."""
    if figure.measure != "latest-return":
        return None
    return returns.kept_returns(connection, figure, periods)


def figure_rows(connection: Connection, figure: Figure, quarters: Sequence[Quarter]) -> Rows:
    """How many rows are behind the figure's value for these quarters (a quarter, or a year's
    four), and what they add up to, without reading them."""
    periods = [q.index for q in quarters]
    if (kept := _kept(connection, figure, periods)) is not None:
        return returns.tally(figure, kept)
    if not _in_sql(figure):
        return in_python.tally(figure, in_python.all_rows(connection, figure, periods))
    dialect = connection.dialect.name
    if figure.measure in ("distinct", "active"):
        return _group_tally(connection, figure, periods)
    counted = _read_total(connection, figure, periods, "")
    if figure.measure == "repeat-rate":
        base = _read_total(connection, figure, periods, "#base")
        if base is None:
            base = _count(connection, figure, periods)
        return Rows(figure, base, base, repeats=counted or 0)
    if figure.measure == "sum":
        n = _count(connection, figure, periods, nonzero_amount(figure, dialect))
        return Rows(figure, n, n, total=counted or 0)
    n = counted if counted is not None else _count(connection, figure, periods)
    return Rows(figure, n, n)


def rows_page(connection: Connection, figure: Figure, quarters: Sequence[Quarter], first: int,
              size: int) -> list[Row]:
    """The rows from the `first` (0 for the first row) on, at most `size` of them."""
    periods = [q.index for q in quarters]
    if (kept := _kept(connection, figure, periods)) is not None:
        return returns.rows(connection, kept, first, size)
    if not _in_sql(figure):
        return in_python.all_rows(connection, figure, periods)[first:first + size]
    if figure.measure == "distinct":
        known = _members_tally(connection, figure, periods)
        keys = distinct.first_values(connection, figure, periods, first, size,
                                     None if known is None else known.count)
        return _group_rows(connection, figure, periods, keys)
    if figure.measure == "active":
        return _group_rows(connection, figure, periods,
                           _group_keys(connection, figure, periods, first, size))
    return _event_rows(connection, figure, periods, offset=first, limit=size)


def every_row(connection: Connection, figure: Figure, quarters: Sequence[Quarter]
              ) -> Iterator[Row]:
    """Every row in order, read a batch at a time (a CSV's memory stays flat)."""
    periods = [q.index for q in quarters]
    if (kept := _kept(connection, figure, periods)) is not None:
        yield from returns.rows(connection, kept, 0, None)
        return
    if not _in_sql(figure):
        yield from in_python.all_rows(connection, figure, periods)
        return
    if figure.measure in ("distinct", "active"):
        keys = iter(_group_keys(connection, figure, periods, 0, None))
        while chosen := list(islice(keys, _BATCH)):
            yield from _group_rows(connection, figure, periods, chosen)
        return
    after: int | None = None
    while True:
        batch = _event_rows(connection, figure, periods, after=after, limit=_BATCH)
        yield from batch
        if len(batch) < _BATCH:
            return
        after = batch[-1].first.event.position


def _read_total(connection: Connection, figure: Figure, periods: Sequence[int],
                field: str) -> int | None:
    """The read models' total of the figure over these quarters (None without read models)."""
    current = current_generation(connection)
    if current is None:
        return None
    totals = current[0].totals
    found = connection.execute(sa.select(sa.func.sum(totals.c.value)).where(
        totals.c.figure_id == figure.read_key, totals.c.kind == "q",
        totals.c.period.in_(list(periods)), totals.c.field == field, totals.c.value_key == ""))
    return int(found.scalar() or 0)


def _count(connection: Connection, figure: Figure, periods: Sequence[int],
           *extra: sa.ColumnElement[bool]) -> int:
    """The figure's events in these quarters, counted on the index."""
    query = sa.select(sa.func.count()).select_from(events).where(
        *matching(figure, connection.dialect.name, periods), *extra)
    return int(connection.execute(query).scalar() or 0)


def _event_rows(connection: Connection, figure: Figure, periods: Sequence[int], *,
                limit: int, offset: int = 0, after: int | None = None) -> list[Row]:
    """A page of a figure whose rows are its events: the positions walked on the index, then
    those events alone read whole."""
    dialect = connection.dialect.name
    extra = [nonzero_amount(figure, dialect)] if figure.measure == "sum" else []
    if after is not None:
        extra.append(events.c.position > after)
    positions = ordered_positions(figure, dialect, periods, *extra,
                                  reach=offset + limit).limit(limit).offset(offset)
    listed = reads.events_at(connection, positions)
    if figure.measure == "sum":
        return [Row(e.event.event_id, (e,), amount=int(e.event.data[figure.argument or ""]))
                for e in listed]
    if figure.measure == "repeat-rate":
        flags = _repeat_flags(connection, figure, [e.event.event_id for e in listed])
        return [Row(e.event.event_id, (e,), repeat=flags.get(e.event.event_id, False))
                for e in listed]
    return [Row(e.event.event_id, (e,)) for e in listed]


def _repeat_flags(connection: Connection, figure: Figure, event_ids: list[str]) -> dict[str, bool]:
    """Event id -> whether the read models flag the referral a repeat (a subject's referral in
    the 12 months before); referrals without a subject are in none."""
    current = current_generation(connection)
    if current is None or not event_ids:
        return {}
    table = current[0].referrals
    found = connection.execute(sa.select(table.c.event_id, table.c.repeat).where(
        table.c.figure_id == figure.read_key, table.c.event_id.in_(event_ids)))
    return {row.event_id: bool(row.repeat) for row in found}


def _step(figure: Figure) -> sa.ColumnElement[int]:
    return sa.case(*[(events.c.type == t, figure.active_step(t)) for t in figure.types], else_=0)


def _groups(figure: Figure, dialect: str, periods: Sequence[int]) -> sa.Select[Any]:
    """Each row's key, its first position and (active) its net joinings, one group a row."""
    key = group_key(figure, dialect)
    active = figure.measure == "active"
    query = (sa.select(key.label("key"), sa.func.min(events.c.position).label("first"),
                       sa.func.sum(_step(figure) if active else 1).label("net"),
                       sa.func.count().label("n"))
             .where(*matching(figure, dialect, periods, up_to=max(periods) if active else None),
                    key.is_not(None))
             .group_by(key))
    return query.having(sa.func.sum(_step(figure)) > 0) if active else query


def _group_keys(connection: Connection, figure: Figure, periods: Sequence[int], first: int,
                size: int | None) -> list[str]:
    """The keys of a page of rows, in the order each first appeared."""
    groups = _groups(figure, connection.dialect.name, periods).subquery("groups")
    query = sa.select(groups.c.key).order_by(groups.c.first).offset(first)
    return list(connection.execute(query.limit(size) if size is not None else query).scalars())


def _group_rows(connection: Connection, figure: Figure, periods: Sequence[int],
                keys: list[str]) -> list[Row]:
    """The rows of these keys, each with its events (in the order stored) beneath."""
    if not keys:
        return []
    dialect = connection.dialect.name
    active = figure.measure == "active"
    if active:
        listed = reads.events_where(
            connection, *matching(figure, dialect, periods, up_to=max(periods)),
            group_key(figure, dialect).in_(keys))
    else:
        listed = reads.events_at(connection, distinct.positions_of(
            figure, dialect, periods, group_key(figure, dialect), keys))
    found: dict[str, list[reads.ListedEvent]] = {}
    for each in listed:
        key = member_of(each) if active else distinct_value(figure, each)
        found.setdefault(key or "", []).append(each)
    return [Row(key, tuple(found[key]),
                net=sum(figure.active_step(e.event.type) for e in found[key]) if active else 1)
            for key in keys if key in found]


def _members_tally(connection: Connection, figure: Figure, periods: Sequence[int]
                   ) -> Rows | None:
    """How many values a distinct figure has and the events behind them, as its read model
    keeps them (a value per member row, its events as the row's count); None without one."""
    current = current_generation(connection)
    if current is None:
        return None
    members = current[0].members
    kind, period = (("y", Quarter.from_index(periods[0]).start_year) if len(periods) > 1
                    else ("q", periods[0]))
    found = connection.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(members.c.n), 0)).where(
            members.c.figure_id == figure.read_key, members.c.kind == kind,
            members.c.period == period, members.c.n > 0)).one()
    return Rows(figure, int(found[0]), int(found[1]))


def _group_tally(connection: Connection, figure: Figure, periods: Sequence[int]) -> Rows:
    """How many rows and events a distinct or active figure has (and its net joinings)."""
    if figure.measure == "distinct" and (kept := _members_tally(connection, figure, periods)):
        return kept
    groups = _groups(figure, connection.dialect.name, periods).subquery("groups")
    found = connection.execute(sa.select(
        sa.func.count(), sa.func.coalesce(sa.func.sum(groups.c.n), 0),
        sa.func.coalesce(sa.func.sum(groups.c.net), 0))).one()
    return Rows(figure, int(found[0]), int(found[1]), net=int(found[2]))
