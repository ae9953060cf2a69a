"""The log's hash chain: each event row carries the hash of the row before it and its own content.

The triggers stop a change to the log from anyone who connects as casebook does, but not from
someone who owns the tables (or the SQLite file) and drops them first. The chain makes such a
change visible: every row's `chain` is SHA-256 of the previous row's chain and the row's own
canonical content, so changing, removing or inserting a row breaks the link at that row or the
next, and `verify` finds it. Appends write the chain as they write the row (`events.batch`).
A change that rewrites every later row's chain too is found only against a chain value kept
elsewhere: `verify` reports the newest row's chain for the nightly log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring_ascii as _text
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events.db import reading
from events.tables import events

#: The columns a row's content is made of, in the order they are hashed (after its position).
CONTENT = (
    "event_id", "type", "version", "scheme", "case_ref", "stream_version", "occurred_at",
    "local_date", "period", "recorded_at", "recorded_by", "data", "key_id",
)
#: Rows `verify` reads at a time: its memory stays the same whatever the log's size.
PAGE = 5000

_SELECT = sa.select(events.c.position, events.c.chain, *(events.c[name] for name in CONTENT))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def link(previous: str | None, position: int, row: Mapping[Any, Any]) -> str:
    """The chain value of the row at `position`, after a row whose chain is `previous`.

    The content is a JSON array (ASCII only, no spaces) of the position and the `CONTENT`
    columns, times as microseconds since 1970 UTC and the date in ISO form, so it can be worked
    out again elsewhere; the hash is SHA-256 of the previous chain, a newline and that text.
    """
    # Written out rather than by json.dumps, which took four times as long for the same text.
    content = (
        f"[{position},{_text(row['event_id'])},{_text(row['type'])},{row['version']},"
        f"{_text(row['scheme'])},{_maybe(row['case_ref'])},{_number(row['stream_version'])},"
        f"{(row['occurred_at'] - _EPOCH) // _MICROSECOND},{_text(row['local_date'].isoformat())},"
        f"{row['period']},{(row['recorded_at'] - _EPOCH) // _MICROSECOND},"
        f"{_text(row['recorded_by'])},{_text(row['data'])},{_maybe(row['key_id'])}]"
    )
    return hashlib.sha256(f"{previous or ''}\n{content}".encode()).hexdigest()


def _maybe(value: str | None) -> str:
    return "null" if value is None else _text(value)


def _number(value: int | None) -> str:
    return "null" if value is None else str(value)


@dataclass(frozen=True)
class Broken:
    """The first row whose chain does not follow from the row before it and its own content."""

    position: int
    event_id: str

    def __str__(self) -> str:
        return (f"the event at position {self.position} (id {self.event_id}) does not match its "
                "chain: it, or the event before it, was changed, removed or inserted outside "
                "casebook")


@dataclass(frozen=True)
class Verified:
    """What `verify` found: rows checked, the newest row whose link held, the first broken."""

    checked: int
    position: int
    chain: str | None
    broken: Broken | None

    def __str__(self) -> str:
        if self.broken is not None:
            return f"The log has been changed: {self.broken} ({self.checked} events before it hold)."
        if not self.checked:
            return "The log is empty: 0 events checked."
        return (f"The log is intact: {self.checked} events checked, up to position "
                f"{self.position} (chain {self.chain}).")


def verify(
    engine: Engine, *, page: int = PAGE, on_progress: Callable[[int, int], None] | None = None
) -> Verified:
    """Walk the log in position order, page by page, and stop at the first row that breaks."""
    checked, position, previous = 0, 0, None
    while True:
        # A transaction per page: a long walk holds no snapshot (nor SQLite's WAL) open.
        with reading(engine) as connection:
            rows = connection.execute(
                _SELECT.where(events.c.position > position).order_by(events.c.position).limit(page)
            ).all()
            newest = _newest(connection) if on_progress is not None else 0
        for row in rows:
            if row.chain != link(previous, row.position, row._mapping):
                return Verified(checked, position, previous, Broken(row.position, row.event_id))
            checked, position, previous = checked + 1, row.position, row.chain
        if on_progress is not None:
            on_progress(position, max(newest, position))
        if len(rows) < page:
            return Verified(checked, position, previous, None)


def _newest(connection: sa.Connection) -> int:
    return int(connection.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.position), 0)))
               .scalar_one())
