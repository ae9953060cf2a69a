"""The store's tables: the append-only event log and the small indexes the store keeps beside it."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData()


class UTCDateTime(sa.TypeDecorator[datetime]):
    """An aware datetime stored in UTC; SQLite, which has no time zones, gets naive UTC text."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: casebook stores aware times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

events = sa.Table(
    "events",
    metadata,
    sa.Column("position", Position, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("version", sa.SmallInteger, nullable=False),
    sa.Column("scheme", sa.String(64), nullable=False),
    sa.Column("case_ref", sa.String(64)),
    sa.Column("stream_version", sa.Integer),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("local_date", sa.Date, nullable=False),
    sa.Column("period", sa.Integer, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("recorded_by", sa.String(128), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    #: The subject key its personal fields are sealed with (events.subjects); None if none.
    sa.Column("key_id", sa.String(36), index=True),
    #: SHA-256 of the previous row's chain and this row's content (events.chain): a row changed
    #: by someone who got past the triggers no longer matches it.
    sa.Column("chain", sa.String(64)),
    sa.UniqueConstraint("case_ref", "stream_version", name="uq_events_case_stream_version"),
    #: A figure's events, a quarter and type at a time in the order stored (migration 0015).
    sa.Index("ix_events_scheme_period_type_position", "scheme", "period", "type", "position"),
    #: References are case-insensitive (events.references): a case's events are found by this.
    sa.Index("ix_events_case_ref_upper", sa.func.upper(sa.column("case_ref"))),
    #: The event log's filters, each followed by the position it pages by (migration 0014).
    sa.Index("ix_events_scheme_position", "scheme", "position"),
    sa.Index("ix_events_type_position", "type", "position"),
    sa.Index("ix_events_recorded_by_position", "recorded_by", "position"),
    sa.Index("ix_events_local_date_position", "local_date", "position"),
)

#: The events table's columns in its order: what every insert into the log names, and (all but
#: the chain) what a `events.model.StoredEvent` carries.
EVENT_COLUMNS: tuple[str, ...] = tuple(events.c.keys())


@lru_cache(maxsize=32)
def column_kinds(table: sa.Table) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """A table's columns, and which of them are times ("time") or dates ("date") to bind."""
    names = tuple(column.name for column in table.columns)
    kinds = tuple(
        "time" if isinstance(c.type, UTCDateTime) else "date" if isinstance(c.type, sa.Date)
        else None
        for c in table.columns
    )
    return names, kinds


#: One row per voided event: the primary key makes voiding the same event twice impossible.
event_voids = sa.Table(
    "event_voids",
    metadata,
    sa.Column("target_id", sa.String(36), primary_key=True),
    sa.Column("void_id", sa.String(36), nullable=False, unique=True),
    sa.Column("reason", sa.Text, nullable=False),
)

#: Each case's scheme and version (its number of events): the optimistic concurrency check.
#: Keyed by `events.references.case_key` (capitals), whatever the case of its events' references.
cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_ref", sa.String(64), primary_key=True),
    sa.Column("scheme", sa.String(64), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("last_occurred_at", UTCDateTime, nullable=False),
    sqlite_with_rowid=False,
)

schemes = sa.Table(
    "schemes",
    metadata,
    sa.Column("scheme_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("lead", sa.String(200), nullable=False),
    sa.Column("priority", sa.String(200), nullable=False),
    sa.Column("retired_at", UTCDateTime),
    #: The start of its case references, before a hyphen ("ASB" for ASB-2026-0042).
    sa.Column("case_prefix", sa.String(16)),
    #: What falls due on its cases and when (`projections.due_items.DueRules`): JSON of the
    #: settings changed from the defaults; NULL where none are.
    sa.Column("due_rules", sa.Text),
)
