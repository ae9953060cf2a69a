"""Folds stored events into the read models, inside the transaction that appended them.

One pass gathers every change a batch of events makes (voids subtract what their target added);
a flush then writes them with a handful of set-based statements. The same code serves the
interactive append, the import and the rebuild.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from events.model import StoredEvent, stored_from_row
from events.quarters import Quarter, one_year_before
from events.tables import events
from events.types import VOIDED
from projections.definitions import NOT_RECORDED, Figure, FigureIndex
from projections.tables import Generation, projection_state

TotalKey = tuple[str, str, int, str, str]  # figure, kind, period, field, value_key
MemberKey = tuple[str, str, int, str]  # figure, kind, period, member
_IN_CHUNK = 400


@dataclass
class Referral:
    """A referral with a subject, as the repeat-rate measure sees it."""

    event_id: str
    subject: str
    occurred_at: datetime
    position: int
    local_date: date
    period: int
    repeat: bool = False

    @property
    def order(self) -> tuple[datetime, int]:
        return (self.occurred_at, self.position)


@dataclass
class Changes:
    """Everything one batch of events changes in the read models, before it is written."""

    totals: defaultdict[TotalKey, int] = field(default_factory=lambda: defaultdict(int))
    members: defaultdict[MemberKey, int] = field(default_factory=lambda: defaultdict(int))
    activity: defaultdict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    #: (figure, subject) -> event id -> the referral, or None where a void removed it.
    referrals: dict[tuple[str, str], dict[str, Referral | None]] = field(default_factory=dict)
    #: (figure, period) -> event id -> (position, value), or None where a void removed it.
    returns: dict[tuple[str, int], dict[str, tuple[int, int] | None]] = field(default_factory=dict)


def mark_repeats(referrals: list[Referral]) -> None:
    """Flag each referral whose subject had another referral in the 12 months before it."""
    ordered = sorted(referrals, key=lambda r: r.order)
    for i, referral in enumerate(ordered):
        since = one_year_before(referral.local_date)
        referral.repeat = i > 0 and ordered[i - 1].local_date >= since


def gather(
    index: FigureIndex, batch: Sequence[StoredEvent], targets: dict[str, StoredEvent]
) -> Changes:
    """The changes a batch makes; `targets` holds the events its voids point at."""
    changes = Changes()
    for event in batch:
        if event.type == VOIDED:
            target = targets[event.data["target"]]
            _fold(changes, index, target, sign=-1)
        else:
            _fold(changes, index, event, sign=1)
    return changes


def _fold(changes: Changes, index: FigureIndex, event: StoredEvent, sign: int) -> None:
    changes.activity[(event.scheme, event.period)] += sign
    for figure in index.for_event(event.scheme, event.type):
        if not figure.matches(event.data):
            continue
        _MEASURES[figure.measure](changes, figure, event, sign)


def _count(changes: Changes, figure: Figure, event: StoredEvent, sign: int) -> None:
    _add_with_breakdown(changes, figure, event, sign)


def _sum(changes: Changes, figure: Figure, event: StoredEvent, sign: int) -> None:
    amount = event.data.get(figure.argument or "", 0)
    if amount:
        _add_with_breakdown(changes, figure, event, sign * amount)


def _add_with_breakdown(changes: Changes, figure: Figure, event: StoredEvent, amount: int) -> None:
    changes.totals[(figure.id, "q", event.period, "", "")] += amount
    for name in figure.breakdown:
        value = event.data.get(name)
        changes.totals[(figure.id, "q", event.period, name, breakdown_key(value))] += amount


def breakdown_key(value: Any) -> str:
    """The key a data value is counted under in a breakdown."""
    if value is None:
        return NOT_RECORDED
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _distinct(changes: Changes, figure: Figure, event: StoredEvent, sign: int) -> None:
    member = event.case_ref if figure.argument == "case" else event.data.get(figure.argument or "")
    if member is None:
        return
    member = str(member)
    changes.members[(figure.id, "q", event.period, member)] += sign
    changes.members[(figure.id, "y", Quarter.from_index(event.period).start_year, member)] += sign


def _active(changes: Changes, figure: Figure, event: StoredEvent, sign: int) -> None:
    changes.totals[(figure.id, "q", event.period, "", "")] += sign * figure.active_step(event.type)


def _repeat_rate(changes: Changes, figure: Figure, event: StoredEvent, sign: int) -> None:
    changes.totals[(figure.id, "q", event.period, "#base", "")] += sign
    if event.data.get("subject") is None:
        return
    # The key id, not the reference: stable, not personal, and unchanged by an erasure.
    subject = event.key_id or event.data["subject"]
    slot = changes.referrals.setdefault((figure.id, subject), {})
    slot[event.event_id] = (
        Referral(
            event.event_id, subject, event.occurred_at, event.position, event.local_date,
            event.period,
        )
        if sign > 0
        else None
    )


def _latest_return(changes: Changes, figure: Figure, event: StoredEvent, sign: int) -> None:
    if event.data.get("indicator") != figure.argument:
        return
    slot = changes.returns.setdefault((figure.id, event.period), {})
    slot[event.event_id] = (event.position, event.data["value"]) if sign > 0 else None


_MEASURES = {
    "count": _count,
    "sum": _sum,
    "distinct": _distinct,
    "active": _active,
    "repeat-rate": _repeat_rate,
    "latest-return": _latest_return,
}


class Projector:
    """Applies batches of stored events to one generation of the read models."""

    def __init__(self, index: FigureIndex, tables: Generation):
        self.index = index
        self.tables = tables

    def apply(self, connection: Connection, batch: Sequence[StoredEvent]) -> None:
        """Fold `batch` into the tables and move the generation's position past it."""
        if not batch:
            return
        targets = _load_targets(connection, [e.data["target"] for e in batch if e.type == VOIDED])
        changes = gather(self.index, batch, targets)
        self._write_referrals(connection, changes)
        self._write_returns(connection, changes)
        self._write_members(connection, changes)
        self._write_totals(connection, changes)
        _upsert_add(
            connection,
            self.tables.activity,
            ["scheme", "period"],
            "n",
            [{"scheme": s, "period": p, "n": n} for (s, p), n in changes.activity.items() if n],
        )
        connection.execute(
            sa.update(projection_state)
            .where(projection_state.c.generation == self.tables.number)
            .values(position=batch[-1].position)
        )

    def _write_totals(self, connection: Connection, changes: Changes) -> None:
        rows = [
            {"figure_id": f, "kind": k, "period": p, "field": fl, "value_key": vk, "value": v}
            for (f, k, p, fl, vk), v in changes.totals.items()
            if v
        ]
        _upsert_add(
            connection,
            self.tables.totals,
            ["figure_id", "kind", "period", "field", "value_key"],
            "value",
            rows,
        )

    def _write_members(self, connection: Connection, changes: Changes) -> None:
        touched = [(key, dn) for key, dn in changes.members.items() if dn]
        if not touched:
            return
        table = self.tables.members
        old: dict[MemberKey, int] = {}
        for part in _chunks([key for key, _ in touched]):
            query = sa.select(table).where(
                sa.tuple_(table.c.figure_id, table.c.kind, table.c.period, table.c.member).in_(part)
            )
            for row in connection.execute(query):
                old[(row.figure_id, row.kind, row.period, row.member)] = row.n
        upserts: list[dict[str, Any]] = []
        deletes: list[dict[str, Any]] = []
        for key, dn in touched:
            before = old.get(key, 0)
            after = before + dn
            if before <= 0 < after:
                changes.totals[(key[0], key[1], key[2], "", "")] += 1
            elif after <= 0 < before:
                changes.totals[(key[0], key[1], key[2], "", "")] -= 1
            entry = {"figure_id": key[0], "kind": key[1], "period": key[2], "member": key[3],
                     "n": after}
            (upserts if after > 0 else deletes).append(entry)
        _upsert_set(connection, table, ["figure_id", "kind", "period", "member"], "n", upserts)
        if deletes:
            connection.execute(
                sa.delete(table).where(
                    table.c.figure_id == sa.bindparam("f"),
                    table.c.kind == sa.bindparam("k"),
                    table.c.period == sa.bindparam("p"),
                    table.c.member == sa.bindparam("m"),
                ),
                [
                    {"f": r["figure_id"], "k": r["kind"], "p": r["period"], "m": r["member"]}
                    for r in deletes
                ],
            )

    def _write_referrals(self, connection: Connection, changes: Changes) -> None:
        if not changes.referrals:
            return
        table = self.tables.referrals
        stored: dict[tuple[str, str], list[Referral]] = defaultdict(list)
        for part in _chunks(list(changes.referrals)):
            query = sa.select(table).where(sa.tuple_(table.c.figure_id, table.c.subject).in_(part))
            for row in connection.execute(query):
                stored[(row.figure_id, row.subject)].append(
                    Referral(row.event_id, row.subject, row.occurred_at, row.position,
                             row.local_date, row.period, row.repeat)
                )
        inserts, deletes, flips = [], [], []
        for (figure_id, subject), edits in changes.referrals.items():
            before = {r.event_id: r for r in stored.get((figure_id, subject), [])}
            was_repeat = {event_id: r.repeat for event_id, r in before.items()}
            after = dict(before)
            for event_id, referral in edits.items():
                if referral is None:
                    after.pop(event_id, None)
                else:
                    after[event_id] = referral
            mark_repeats(list(after.values()))
            for event_id, referral in before.items():
                if event_id not in after:
                    deletes.append({"f": figure_id, "e": event_id})
                    if referral.repeat:
                        changes.totals[(figure_id, "q", referral.period, "", "")] -= 1
            for event_id, referral in after.items():
                if event_id not in before:
                    inserts.append({
                        "figure_id": figure_id, "event_id": event_id, "subject": subject,
                        "occurred_at": referral.occurred_at, "position": referral.position,
                        "local_date": referral.local_date, "period": referral.period,
                        "repeat": referral.repeat,
                    })
                    if referral.repeat:
                        changes.totals[(figure_id, "q", referral.period, "", "")] += 1
                elif was_repeat[event_id] != referral.repeat:
                    flips.append({"f": figure_id, "e": event_id, "r": referral.repeat})
                    changes.totals[(figure_id, "q", referral.period, "", "")] += (
                        1 if referral.repeat else -1
                    )
        key = (table.c.figure_id == sa.bindparam("f")) & (table.c.event_id == sa.bindparam("e"))
        if deletes:
            connection.execute(sa.delete(table).where(key), deletes)
        if inserts:
            connection.execute(sa.insert(table), inserts)
        if flips:
            connection.execute(sa.update(table).where(key).values(repeat=sa.bindparam("r")), flips)

    def _write_returns(self, connection: Connection, changes: Changes) -> None:
        if not changes.returns:
            return
        table = self.tables.returns
        stored: dict[tuple[str, int], dict[str, tuple[int, int]]] = defaultdict(dict)
        for part in _chunks(list(changes.returns)):
            query = sa.select(table).where(sa.tuple_(table.c.figure_id, table.c.period).in_(part))
            for row in connection.execute(query):
                stored[(row.figure_id, row.period)][row.event_id] = (row.position, row.value)
        inserts, deletes = [], []
        for (figure_id, period), edits in changes.returns.items():
            before = stored.get((figure_id, period), {})
            after = dict(before)
            for event_id, entry in edits.items():
                if entry is None:
                    after.pop(event_id, None)
                else:
                    after[event_id] = entry
            delta = _latest(after) - _latest(before)
            if delta:
                changes.totals[(figure_id, "q", period, "", "")] += delta
            deletes += [{"f": figure_id, "e": e} for e in before if e not in after]
            inserts += [
                {"figure_id": figure_id, "event_id": e, "period": period,
                 "position": after[e][0], "value": after[e][1]}
                for e in after
                if e not in before
            ]
        if deletes:
            connection.execute(
                sa.delete(table).where(
                    (table.c.figure_id == sa.bindparam("f")) & (table.c.event_id == sa.bindparam("e"))
                ),
                deletes,
            )
        if inserts:
            connection.execute(sa.insert(table), inserts)


def _latest(returns: dict[str, tuple[int, int]]) -> int:
    """The value of the return stored last (0 where there is none)."""
    return max(returns.values())[1] if returns else 0


def _load_targets(connection: Connection, target_ids: list[str]) -> dict[str, StoredEvent]:
    found: dict[str, StoredEvent] = {}
    for part in _chunks(target_ids):
        for row in connection.execute(sa.select(events).where(events.c.event_id.in_(part))):
            found[row.event_id] = stored_from_row(row)
    return found


@lru_cache(maxsize=64)
def _upsert(dialect: str, table: sa.Table, keys: tuple[str, ...], column: str, add: bool) -> Any:
    """The upsert statement, built once: building it costs more than running it for a few rows."""
    statement = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    value = table.c[column] + statement.excluded[column] if add else statement.excluded[column]
    return statement.on_conflict_do_update(index_elements=list(keys), set_={column: value})


def _upsert_add(
    connection: Connection, table: sa.Table, keys: list[str], column: str, rows: list[dict[str, Any]]
) -> None:
    """Insert rows, or add their `column` to the row already there."""
    if not rows:
        return
    connection.execute(_upsert(connection.dialect.name, table, tuple(keys), column, True), rows)


def _upsert_set(
    connection: Connection, table: sa.Table, keys: list[str], column: str, rows: list[dict[str, Any]]
) -> None:
    """Insert rows, or set their `column` on the row already there."""
    if not rows:
        return
    connection.execute(_upsert(connection.dialect.name, table, tuple(keys), column, False), rows)


def _chunks(items: Iterable[Any]) -> Iterable[list[Any]]:
    items = list(items)
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]
