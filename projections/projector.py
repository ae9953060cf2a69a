"""Writes folded changes into one generation of the read models, in the caller's transaction.

`projections.fold` turns events into `Changes`; a `Projector` writes them with a handful of
set-based statements. The same code serves the interactive append, the import and the rebuild.
A rebuild's projector remembers what it wrote (`remember=True`): it is the only writer of its
fresh generation, so it never has to read its own rows back (`projections.stored_rows`).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.driver import DriverSQL
from events.model import StoredEvent
from events.types import VOIDED
from projections import bulk
from projections.definitions import FigureIndex
from projections.fold import DAY, QUARTER, Changes, Referral, gather, mark_repeats
from projections.members import write_members
from projections.stored_rows import (
    Memory,
    ReferralKey,
    ReturnKey,
    load_targets,
    read_referrals,
    read_returns,
)
from projections.tables import Generation, projection_state


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
            bulk.upsert(
                connection,
                self.tables.activity,
                [{"scheme": s, "period": p, "n": n} for (s, p), n in changes.activity.items() if n],
                ["scheme", "period"],
                "n",
                add=True,
            )
            if position is not None:
                driver.execute(_MOVE_POSITION, (position, self.tables.number))

    def _write_totals(self, connection: Connection, changes: Changes) -> None:
        rows = [
            {"figure_id": f, "kind": k, "period": p, "field": fl, "value_key": vk, "value": v}
            for (f, k, p, fl, vk), v in changes.totals.items()
            if v
        ]
        bulk.upsert(
            connection,
            self.tables.totals,
            rows,
            ["figure_id", "kind", "period", "field", "value_key"],
            "value",
            add=True,
        )

    def _write_members(self, connection: Connection, changes: Changes) -> None:
        known = self._memory.members if self._memory is not None else None
        write_members(connection, self.tables.members, changes, known)

    def _stored_referrals(
        self, connection: Connection, keys: list[ReferralKey]
    ) -> dict[ReferralKey, dict[str, Referral]]:
        if self._memory is not None:
            return {key: self._memory.referrals.get(key, {}) for key in keys}
        return read_referrals(DriverSQL.of(connection), self.tables.referrals, keys)

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
                        _count_repeat(changes, figure_id, referral, -1)
            for event_id, referral in after.items():
                if event_id not in before:
                    inserts.append({
                        "figure_id": figure_id, "event_id": event_id, "subject": subject,
                        "occurred_at": referral.occurred_at, "position": referral.position,
                        "local_date": referral.local_date, "period": referral.period,
                        "repeat": referral.repeat,
                    })
                    if referral.repeat:
                        _count_repeat(changes, figure_id, referral, 1)
                elif was_repeat[event_id] != referral.repeat:
                    flips.append({"f": figure_id, "e": event_id, "r": referral.repeat})
                    _count_repeat(changes, figure_id, referral, 1 if referral.repeat else -1)
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
        return read_returns(DriverSQL.of(connection), self.tables.returns, keys)

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
                changes.totals[(figure_id, QUARTER, period, "", "")] += delta
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


def _count_repeat(changes: Changes, figure_id: str, referral: Referral, sign: int) -> None:
    """A repeat referral counted in (or out of) its quarter and its day."""
    changes.totals[(figure_id, QUARTER, referral.period, "", "")] += sign
    changes.totals[(figure_id, DAY, referral.local_date.toordinal(), "", "")] += sign


def _latest(returns: dict[str, tuple[int, int]]) -> int:
    """The value of the return stored last (0 where there is none)."""
    return max(returns.values())[1] if returns else 0
