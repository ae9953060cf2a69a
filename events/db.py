"""Database engines: SQLite (embedded default) and PostgreSQL, with the settings each needs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

_WRITE = "casebook_write"

#: SQLite's durability: FULL syncs the WAL on every commit, so an acknowledged event survives a
#: power cut. Overridable for a laptop demo; benchmarks report what they ran with.
SQLITE_SYNCHRONOUS = os.environ.get("CASEBOOK_SQLITE_SYNCHRONOUS", "FULL").upper()
SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for `url`, with WAL and IMMEDIATE write transactions on SQLite."""
    engine = sa.create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN, so writes can ask for IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA synchronous = {SQLITE_SYNCHRONOUS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A deferred transaction that reads and then writes fails with "database is locked"
        # under a second writer, which no busy timeout cures; IMMEDIATE takes the lock first.
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction: committed on success, rolled back on any error."""
    with engine.connect() as connection:
        connection = connection.execution_options(**{_WRITE: True})
        with connection.begin():
            yield connection


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read transaction: one consistent view of the database."""
    with engine.connect() as connection, connection.begin():
        yield connection


def lock_for_append(connection: Connection) -> None:
    """Serialise appends so positions become visible in order (PostgreSQL sequences do not)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE events IN EXCLUSIVE MODE")
