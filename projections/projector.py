"""Writes folded changes into one generation of the read models, in the caller's transaction.

`projections.fold` turns events into `Changes`; a `Projector` writes them with a handful of
set-based statements. The same code serves the interactive append, the import and the rebuild.
A rebuild's projector remembers what it wrote (`remember=True`): it is the only writer of its
fresh generation, so it never has to read its own rows back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.driver import IN_CHUNK, DriverSQL
from events.model import StoredEvent, stored_from_row
from events.tables import events
from events.types import VOIDED
from projections import bulk
from projections.definitions import FigureIndex
from projections.fold import Changes, MemberKey, Referral, gather, mark_repeats
from projections.tables import Generation, projection_state

ReferralKey = tuple[str, str]  # figure, subject
ReturnKey = tuple[str, int]  # figure, period


@dataclass
class Memory:
    """The rows of a generation that later batches look up, kept by the rebuild that writes them."""

    members: dict[MemberKey, int] = field(default_factory=dict)
    referrals: dict[ReferralKey, dict[str, Referral]] = field(default_factory=dict)
    returns: dict[ReturnKey, dict[str, tuple[int, int]]] = field(default_factory=dict)

    @classmethod
    def load(cls, connection: Connection, tables: Generation) -> Memory:
        """What a generation holds so far: empty when new, a killed rebuild's rows on resume."""
        memory = cls()
        for row in connection.execute(sa.select(tables.members)):
            memory.members[(row.figure_id, row.kind, row.period, row.member)] = row.n
        driver = DriverSQL.of(connection)
        memory.referrals.update(_read_referrals(driver, tables.referrals, None))
        memory.returns.update(_read_returns(driver, tables.returns, None))
        return memory


class Projector:
    """Applies batches of stored events to one generation of the read models."""

    def __init__(
        self,
        index: FigureIndex,
        tables: Generation,
        *,
        remember: bool = False,
        advance: bool = True,
    ):
        """`remember`: keep the rows written in memory (a rebuild's own generation only).
        `advance`: `apply` records the position it folded to (the live append has done so already).
        """
        self.index = index
        self.tables = tables
        self._remember = remember
        self._advance = advance
        self._memory: Memory | None = None

    def apply(self, connection: Connection, batch: Sequence[StoredEvent]) -> None:
        """Fold `batch` into the tables and move the generation's position past it."""
        if not batch:
            return
        targets = load_targets(connection, [e.data["target"] for e in batch if e.type == VOIDED])
        changes = gather(self.index, batch, targets)
        self.write(connection, changes, batch[-1].position if self._advance else None)

    def write(self, connection: Connection, changes: Changes, position: int | None) -> None:
        """Write `changes`, and record `position` as folded (unless None: the caller did)."""
        if self._remember and self._memory is None:
            self._memory = Memory.load(connection, self.tables)
        self._write_referrals(connection, changes)
        self._write_returns(connection, changes)
        self._write_members(connection, changes)
        driver = DriverSQL.of(connection)
        # Nothing from here on is read back: on PostgreSQL it all goes in one round trip.
        with driver.pipeline():
            self._write_totals(connection, changes)
            _upsert_add(
                connection,
                self.tables.activity,
                ["scheme", "period"],
                "n",
                [{"scheme": s, "period": p, "n": n} for (s, p), n in changes.activity.items() if n],
            )
            if position is not None:
                driver.execute(_MOVE_POSITION, (position, self.tables.number))

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
        touched = {key: dn for key, dn in changes.members.items() if dn}
        if not touched:
            return
        table = self.tables.members
        if self._memory is None:
            after = _add_members(connection, table, touched)
            gone = [key for key, n in after.items() if n <= 0]
        else:
            known = self._memory.members
            after = {key: known.get(key, 0) + dn for key, dn in touched.items()}
            # This generation's rows are all in memory: new ones are plain inserts.
            bulk.insert(connection, table, [
                _member_row(key, n) for key, n in after.items() if n > 0 and key not in known
            ])
            _upsert_set(
                connection, table, ["figure_id", "kind", "period", "member"], "n",
                [_member_row(key, n) for key, n in after.items() if n > 0 and key in known],
            )
            gone = [key for key, n in after.items() if n <= 0 and key in known]
            for key, n in after.items():
                if n > 0:
                    known[key] = n
                else:
                    known.pop(key, None)
        for key, dn in touched.items():
            before = after[key] - dn
            if before <= 0 < after[key]:
                changes.totals[(key[0], key[1], key[2], "", "")] += 1
            elif after[key] <= 0 < before:
                changes.totals[(key[0], key[1], key[2], "", "")] -= 1
        if gone:
            connection.execute(
                sa.delete(table).where(
                    table.c.figure_id == sa.bindparam("f"),
                    table.c.kind == sa.bindparam("k"),
                    table.c.period == sa.bindparam("p"),
                    table.c.member == sa.bindparam("m"),
                ),
                [{"f": f, "k": k, "p": p, "m": m} for f, k, p, m in gone],
            )

    def _stored_referrals(
        self, connection: Connection, keys: list[ReferralKey]
    ) -> dict[ReferralKey, dict[str, Referral]]:
        if self._memory is not None:
            return {key: self._memory.referrals.get(key, {}) for key in keys}
        return _read_referrals(DriverSQL.of(connection), self.tables.referrals, keys)

    def _write_referrals(self, connection: Connection, changes: Changes) -> None:
        if not changes.referrals:
            return
        table = self.tables.referrals
        stored = self._stored_referrals(connection, list(changes.referrals))
        inserts, deletes, flips = [], [], []
        for (figure_id, subject), edits in changes.referrals.items():
            before = stored.get((figure_id, subject), {})
            was_repeat = {event_id: r.repeat for event_id, r in before.items()}
            after = dict(before)
            for event_id, referral in edits.items():
                if referral is None:
                    after.pop(event_id, None)
                else:
                    after[event_id] = referral
            mark_repeats(list(after.values()))
            if self._memory is not None:
                self._memory.referrals[(figure_id, subject)] = after
            for event_id, referral in before.items():
                if event_id not in after:
                    deletes.append({"f": figure_id, "e": event_id})
                    if was_repeat[event_id]:
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
        bulk.insert(connection, table, inserts)
        if flips:
            connection.execute(sa.update(table).where(key).values(repeat=sa.bindparam("r")), flips)

    def _stored_returns(
        self, connection: Connection, keys: list[ReturnKey]
    ) -> dict[ReturnKey, dict[str, tuple[int, int]]]:
        if self._memory is not None:
            return {key: self._memory.returns.get(key, {}) for key in keys}
        return _read_returns(DriverSQL.of(connection), self.tables.returns, keys)

    def _write_returns(self, connection: Connection, changes: Changes) -> None:
        if not changes.returns:
            return
        table = self.tables.returns
        stored = self._stored_returns(connection, list(changes.returns))
        inserts, deletes = [], []
        for (figure_id, period), edits in changes.returns.items():
            before = stored.get((figure_id, period), {})
            after = dict(before)
            for event_id, entry in edits.items():
                if entry is None:
                    after.pop(event_id, None)
                else:
                    after[event_id] = entry
            if self._memory is not None:
                self._memory.returns[(figure_id, period)] = after
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
        bulk.insert(connection, table, inserts)


_MOVE_POSITION = f"UPDATE {projection_state.name} SET position = ? WHERE generation = ?"


def _read_referrals(
    driver: DriverSQL, table: sa.Table, keys: list[ReferralKey] | None
) -> dict[ReferralKey, dict[str, Referral]]:
    """The stored referrals of these figures and subjects (all of them where `keys` is None)."""
    stored: dict[ReferralKey, dict[str, Referral]] = defaultdict(dict)
    sql = (
        "SELECT figure_id, subject, event_id, occurred_at, position, local_date, period,"
        f' "repeat" FROM {table.name}'
    )
    for where, params in _where_keys("(figure_id = ? AND subject = ?)", keys):
        for figure_id, subject, event_id, at, position, day, period, repeat in driver.rows(
            sql + where, params
        ):
            stored[(figure_id, subject)][event_id] = Referral(
                event_id, subject, driver.read_time(at), position, driver.read_date(day), period,
                bool(repeat),
            )
    return stored


def _read_returns(
    driver: DriverSQL, table: sa.Table, keys: list[ReturnKey] | None
) -> dict[ReturnKey, dict[str, tuple[int, int]]]:
    """The stored returns of these figures and periods (all of them where `keys` is None)."""
    stored: dict[ReturnKey, dict[str, tuple[int, int]]] = defaultdict(dict)
    sql = f"SELECT figure_id, period, event_id, position, value FROM {table.name}"
    for where, params in _where_keys("(figure_id = ? AND period = ?)", keys):
        for figure_id, period, event_id, position, value in driver.rows(sql + where, params):
            stored[(figure_id, period)][event_id] = (position, value)
    return stored


def _where_keys(
    match: str, keys: Sequence[tuple[Any, ...]] | None
) -> Iterable[tuple[str, list[Any]]]:
    """WHERE clauses matching `keys` a chunk at a time, or none at all for every row."""
    if keys is None:
        yield "", []
        return
    for part in _chunks(keys):
        yield " WHERE " + " OR ".join([match] * len(part)), [v for key in part for v in key]


def _member_row(key: MemberKey, n: int) -> dict[str, Any]:
    return {"figure_id": key[0], "kind": key[1], "period": key[2], "member": key[3], "n": n}


def _add_members(
    connection: Connection, table: sa.Table, touched: dict[MemberKey, int]
) -> dict[MemberKey, int]:
    """Add each member's change to its count in one statement (SQLite: per 500); the counts after."""
    driver = DriverSQL.of(connection)
    rows = [(*key, dn) for key, dn in touched.items()]
    if not driver.sqlite:
        found = driver.rows(
            bulk.unnest_statement(table, _MEMBER_CONFLICT, _MEMBER_COLUMNS),
            bulk.columns_of(rows),
        )
        return {(f, k, p, m): n for f, k, p, m, n in found}
    after: dict[MemberKey, int] = {}
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        part = rows[start : start + _ROWS_PER_STATEMENT]
        params = [value for row in part for value in row]
        for figure_id, kind, period, member, n in driver.rows(_add_members_sql(table, len(part)),
                                                              params):
            after[(figure_id, kind, period, member)] = n
    return after


_ROWS_PER_STATEMENT = 500
_MEMBER_CONFLICT = (("figure_id", "kind", "period", "member"), "n", True)
_MEMBER_COLUMNS = ("figure_id", "kind", "period", "member", "n")


@lru_cache(maxsize=64)
def _add_members_sql(table: sa.Table, count: int) -> str:
    name = table.name
    return (
        f"INSERT INTO {name} (figure_id, kind, period, member, n) VALUES "
        + ", ".join(["(?, ?, ?, ?, ?)"] * count)
        + f" ON CONFLICT (figure_id, kind, period, member) DO UPDATE SET n = {name}.n + excluded.n"
        " RETURNING figure_id, kind, period, member, n"
    )


def _latest(returns: dict[str, tuple[int, int]]) -> int:
    """The value of the return stored last (0 where there is none)."""
    return max(returns.values())[1] if returns else 0


def load_targets(connection: Connection, target_ids: list[str]) -> dict[str, StoredEvent]:
    found: dict[str, StoredEvent] = {}
    for part in _chunks(target_ids):
        for row in connection.execute(sa.select(events).where(events.c.event_id.in_(part))):
            found[row.event_id] = stored_from_row(row)
    return found


def _upsert_add(
    connection: Connection, table: sa.Table, keys: list[str], column: str, rows: list[dict[str, Any]]
) -> None:
    """Insert rows, or add their `column` to the row already there."""
    bulk.upsert(connection, table, rows, keys, column, add=True)


def _upsert_set(
    connection: Connection, table: sa.Table, keys: list[str], column: str, rows: list[dict[str, Any]]
) -> None:
    """Insert rows, or set their `column` on the row already there."""
    bulk.upsert(connection, table, rows, keys, column, add=False)


def _chunks(items: Iterable[Any]) -> Iterable[list[Any]]:
    items = list(items)
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]
