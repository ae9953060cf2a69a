"""What the projector reads back before it writes: the events a batch's voids name, and the
referrals and returns already stored in a generation, or a rebuild's `Memory` of them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.driver import IN_CHUNK, DriverSQL
from events.model import StoredEvent, stored_from_row
from events.tables import events
from projections.fold import MemberKey, Referral
from projections.tables import Generation

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
        memory.referrals.update(read_referrals(driver, tables.referrals, None))
        memory.returns.update(read_returns(driver, tables.returns, None))
        return memory


def load_targets(connection: Connection, target_ids: list[str]) -> dict[str, StoredEvent]:
    """The stored events with these ids (the targets of a batch's voids), by id."""
    found: dict[str, StoredEvent] = {}
    for part in chunks(target_ids):
        for row in connection.execute(sa.select(events).where(events.c.event_id.in_(part))):
            found[row.event_id] = stored_from_row(row)
    return found


def read_referrals(
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


def read_returns(
    driver: DriverSQL, table: sa.Table, keys: list[ReturnKey] | None
) -> dict[ReturnKey, dict[str, tuple[int, int]]]:
    """The stored returns of these figures and periods (all of them where `keys` is None)."""
    stored: dict[ReturnKey, dict[str, tuple[int, int]]] = defaultdict(dict)
    sql = f"SELECT figure_id, period, event_id, position, value FROM {table.name}"
    for where, params in _where_keys("(figure_id = ? AND period = ?)", keys):
        for figure_id, period, event_id, position, value in driver.rows(sql + where, params):
            stored[(figure_id, period)][event_id] = (position, value)
    return stored


def chunks(items: Iterable[Any]) -> Iterable[list[Any]]:
    """`items` in lists small enough for one `IN` (or `OR`) each."""
    items = list(items)
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def _where_keys(
    match: str, keys: Sequence[tuple[Any, ...]] | None
) -> Iterable[tuple[str, list[Any]]]:
    """WHERE clauses matching `keys` a chunk at a time, or none at all for every row."""
    if keys is None:
        yield "", []
        return
    for part in chunks(keys):
        yield " WHERE " + " OR ".join([match] * len(part)), [v for key in part for v in key]
