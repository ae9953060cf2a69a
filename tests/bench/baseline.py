"""The limits casebook is compared with: the plain driver writing and reading the same rows."""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
import sqlalchemy as sa

from events.db import SQLITE_BUSY_TIMEOUT_MS, SQLITE_SYNCHRONOUS
from events.interchange import parse_event
from events.tables import events
from events.types import EVENT_TYPES
from projections.tables import generation, projection_state
from tests.bench.databases import Scratch
from tests.bench.measure import Latencies

_COLUMNS = ("event_id", "type", "version", "scheme", "case_ref", "stream_version", "occurred_at",
            "local_date", "period", "recorded_at", "recorded_by", "data")
_INSERT = f"INSERT INTO events ({', '.join(_COLUMNS)}) VALUES ({{marks}})"
#: The read-model tables `append_shape` writes to, as casebook makes them.
_SHAPE_TABLES = generation(1)


def event_rows(
    lines: Sequence[dict[str, Any]], backend: str, versions: Counter[str] | None = None
) -> list[tuple[Any, ...]]:
    """The rows casebook would store for these lines, in the driver's own types.

    `versions` carries each case's stream version from one chunk of lines to the next.
    """
    recorded_at = datetime.now(UTC)
    versions = Counter() if versions is None else versions
    rows = []
    for line in lines:
        event = parse_event(line, default_recorded_by="bench")
        stream_version = None
        if event.case_ref is not None:
            versions[event.case_ref] += 1
            stream_version = versions[event.case_ref]
        occurred_at, local_date, at = event.occurred_at, event.local_date, recorded_at
        if backend == "sqlite":
            # SQLAlchemy's storage format for DATETIME and DATE on SQLite.
            occurred_at = occurred_at.strftime("%Y-%m-%d %H:%M:%S.%f")  # type: ignore[assignment]
            local_date = local_date.isoformat()  # type: ignore[assignment]
            at = at.strftime("%Y-%m-%d %H:%M:%S.%f")  # type: ignore[assignment]
        rows.append((event.event_id, event.type, EVENT_TYPES[event.type].version, event.scheme,
                     event.case_ref, stream_version, occurred_at, local_date, event.quarter.index,
                     at, event.recorded_by, event.data_json))
    return rows


def create_events_table(db: Scratch) -> None:
    """The casebook `events` table, with its indexes, in an otherwise empty database."""
    _create(db, events)


def create_shape_tables(db: Scratch) -> None:
    """The `events` table and, beside it, the read-model tables `append_shape` writes: empty
    but for the state row naming them current."""
    _create(db, events, _SHAPE_TABLES.totals, _SHAPE_TABLES.activity, projection_state)
    engine = sa.create_engine(db.url)
    try:
        with engine.begin() as connection:
            connection.execute(projection_state.insert().values(
                generation=_SHAPE_TABLES.number, status="current", position=0,
                definitions_hash="-", started_at=datetime.now(UTC)))
    finally:
        engine.dispose()


def _create(db: Scratch, *tables: sa.Table) -> None:
    engine = sa.create_engine(db.url)
    try:
        with engine.begin() as connection:
            for table in tables:
                table.create(connection)
    finally:
        engine.dispose()


def _sqlite(db: Scratch) -> sqlite3.Connection:
    connection = sqlite3.connect(str(db.path), isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute(f"PRAGMA synchronous = {SQLITE_SYNCHRONOUS}")
    return connection


def insert_one_per_transaction(db: Scratch, rows: Sequence[tuple[Any, ...]]) -> Latencies:
    """Each row in its own committed transaction; the latency of each commit."""
    if db.backend == "sqlite":
        sql = _INSERT.format(marks=", ".join("?" * len(_COLUMNS)))
        return _sqlite_transactions(db, rows, lambda connection, row: connection.execute(sql, row))
    latencies = Latencies()
    sql = _INSERT.format(marks=", ".join(["%s"] * len(_COLUMNS)))
    with psycopg.connect(db.libpq_dsn) as pg:
        for row in rows:
            start = time.perf_counter()
            with pg.transaction():
                pg.execute(sql, row)
            latencies.add(time.perf_counter() - start)
    return latencies


def append_shape(db: Scratch, rows: Sequence[tuple[Any, ...]]) -> Latencies:
    """The plain driver sending, per event, what any append that checks before it writes must
    send: the lock and its reads (is the id stored? which read models are current?), then the
    event, the read models' position, one figure and one activity count, then the commit.

    On PostgreSQL the reads go in one round trip and the writes in a second (psycopg's
    pipeline), the fewest an append can take when its rules and projections run in the client.
    No validation, rules or folding: what the database and its driver cost for that shape.
    """
    sqlite = db.backend == "sqlite"
    mark = "?" if sqlite else "%s"
    totals, activity = _SHAPE_TABLES.totals.name, _SHAPE_TABLES.activity.name
    last = "last_insert_rowid()" if sqlite else "currval(pg_get_serial_sequence('events', 'position'))"
    id_read = f"SELECT event_id FROM events WHERE event_id {'IN (?)' if sqlite else '= ANY(%s)'}"
    state_read = "SELECT generation, definitions_hash FROM projection_state WHERE status = 'current'"
    writes = (
        _INSERT.format(marks=", ".join([mark] * len(_COLUMNS))),
        f"UPDATE projection_state SET position = {last} WHERE generation = {_SHAPE_TABLES.number}",
        f"INSERT INTO {totals} (figure_id, kind, period, field, value_key, value)"
        f" VALUES ({mark}, 'q', {mark}, '', '', 1)"
        " ON CONFLICT (figure_id, kind, period, field, value_key)"
        f" DO UPDATE SET value = {totals}.value + 1",
        f"INSERT INTO {activity} (scheme, period, n) VALUES ({mark}, {mark}, 1)"
        f" ON CONFLICT (scheme, period) DO UPDATE SET n = {activity}.n + 1",
    )

    def write_args(row: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return [row, (), (row[1], row[8]), (row[3], row[8])]

    if sqlite:
        def append(connection: sqlite3.Connection, row: tuple[Any, ...]) -> None:
            connection.execute(id_read, (row[0],)).fetchall()
            connection.execute(state_read).fetchall()
            for sql, args in zip(writes, write_args(row), strict=True):
                connection.execute(sql, args)

        return _sqlite_transactions(db, rows, append)
    latencies = Latencies()
    with psycopg.connect(db.libpq_dsn) as pg:
        for row in rows:
            start = time.perf_counter()
            with pg.transaction():
                with pg.pipeline():
                    pg.execute("LOCK TABLE events IN EXCLUSIVE MODE")
                    found = [pg.execute(id_read, ([row[0]],)), pg.execute(state_read)]
                for cursor in found:
                    cursor.fetchall()
                with pg.pipeline():
                    for sql, args in zip(writes, write_args(row), strict=True):
                        pg.execute(sql, args)
            latencies.add(time.perf_counter() - start)
    return latencies


def _sqlite_transactions(
    db: Scratch, rows: Sequence[tuple[Any, ...]],
    body: Callable[[sqlite3.Connection, tuple[Any, ...]], object],
) -> Latencies:
    """`body` for each row in its own committed transaction; the latency of each."""
    latencies = Latencies()
    connection = _sqlite(db)
    try:
        for row in rows:
            start = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            body(connection, row)
            connection.execute("COMMIT")
            latencies.add(time.perf_counter() - start)
    finally:
        connection.close()
    return latencies


def insert_batched(db: Scratch, rows: Sequence[tuple[Any, ...]], batch: int = 1000) -> float:
    """Rows in transactions of `batch` (executemany); the seconds it took."""
    start = time.perf_counter()
    if db.backend == "sqlite":
        connection = _sqlite(db)
        sql = _INSERT.format(marks=", ".join("?" * len(_COLUMNS)))
        try:
            for i in range(0, len(rows), batch):
                connection.execute("BEGIN IMMEDIATE")
                connection.executemany(sql, rows[i : i + batch])
                connection.execute("COMMIT")
        finally:
            connection.close()
        return time.perf_counter() - start
    sql = _INSERT.format(marks=", ".join(["%s"] * len(_COLUMNS)))
    with psycopg.connect(db.libpq_dsn) as pg:
        for i in range(0, len(rows), batch):
            with pg.transaction(), pg.cursor() as pg_cursor:
                pg_cursor.executemany(sql, rows[i : i + batch])
    return time.perf_counter() - start


def read_and_fold(db: Scratch) -> tuple[float, int]:
    """Read every row in order, decode its data and count per type and quarter: (seconds, rows)."""
    counts: Counter[tuple[str, int]] = Counter()
    rows = 0
    start = time.perf_counter()
    sql = f"SELECT position, {', '.join(_COLUMNS)} FROM events ORDER BY position"
    if db.backend == "sqlite":
        connection = _sqlite(db)
        try:
            for row in connection.execute(sql):
                json.loads(row[12])
                counts[(row[2], row[9])] += 1
                rows += 1
        finally:
            connection.close()
    else:
        with psycopg.connect(db.libpq_dsn) as pg, pg.transaction():
            with pg.cursor(name="fold") as server_cursor:
                server_cursor.itersize = 5000
                server_cursor.execute(sql)
                for row in server_cursor:
                    json.loads(row[12])
                    counts[(row[2], row[9])] += 1
                    rows += 1
    return time.perf_counter() - start, rows
