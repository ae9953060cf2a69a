"""Database engines: SQLite (embedded default) and PostgreSQL, with the settings each needs."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from events.driver import DriverSQL

_WRITE = "casebook_write"
#: The advisory lock every writer of the log takes on PostgreSQL ("casebook" in ASCII).
APPEND_LOCK_KEY = 0x63617365626F6F6B
_APPEND_LOCK = f"SELECT pg_advisory_xact_lock({APPEND_LOCK_KEY})"

#: SQLite's durability: FULL syncs the WAL on every commit, so an acknowledged event survives a
#: power cut. The app passes its setting (SQLITE_SYNCHRONOUS, for a laptop demo); benchmarks
#: report what they ran with.
SQLITE_SYNCHRONOUS = "FULL"
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: The mode of a new SQLite database file: read and write for its owner only.
PRIVATE_FILE = 0o600
#: SQLite's page cache per connection, in KiB (its own default is 2,000). A large import is one
#: transaction; once the log's indexes outgrow the cache every insert reads pages back.
SQLITE_CACHE_KIB = 65536
#: Where an engine keeps the tuning it was made with (see `sqlite_tuning`).
_TUNING = "_casebook_sqlite_tuning"


@dataclass(frozen=True)
class SQLiteTuning:
    """How SQLite connections run: `synchronous` (FULL, NORMAL, OFF) and the page cache in KiB."""

    synchronous: str = SQLITE_SYNCHRONOUS
    cache_kib: int = SQLITE_CACHE_KIB


#: The store's own tuning, for an engine made without the app's settings.
DEFAULT_TUNING = SQLiteTuning()


#: PostgreSQL plans every statement for the values it is given. psycopg prepares a statement
#: once it has run five times, and the server may then keep one generic plan for it, made for
#: the tables as they were: an import whose lookups were first planned against a nearly empty
#: `cases` table went on scanning it whole, 0.3 s a lookup at 60,000 cases.
POSTGRES_OPTIONS = "-c plan_cache_mode=force_custom_plan"


def make_engine(url: str, *, sqlite: SQLiteTuning = DEFAULT_TUNING, **options: Any) -> Engine:
    """An engine for `url`: WAL and IMMEDIATE write transactions on SQLite (run as `sqlite`
    says), custom plans on PostgreSQL (`POSTGRES_OPTIONS`)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "postgresql":
        # Added to any options the URL or the caller give (connect_args would replace the URL's).
        connect_args = dict(options.pop("connect_args", {}))
        given = connect_args.get("options", parsed.query.get("options", ""))
        given = " ".join(given) if isinstance(given, tuple) else given
        connect_args["options"] = f"{given} {POSTGRES_OPTIONS}".strip()
        options["connect_args"] = connect_args
    engine = sa.create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, sqlite)
    engine.__dict__[_TUNING] = sqlite
    return engine


def sqlite_tuning(engine: Engine) -> SQLiteTuning:
    """The SQLite tuning `engine` was made with, for another engine on the same database."""
    tuning: SQLiteTuning = engine.__dict__.get(_TUNING, DEFAULT_TUNING)
    return tuning


def _configure_sqlite(engine: Engine, tuning: SQLiteTuning) -> None:
    @event.listens_for(engine, "do_connect")
    def _create_privately(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> None:
        # The log holds personal data: a new file is its owner's alone (0600) from its first
        # byte, and SQLite gives its -wal and -shm files the mode of the database file.
        path = cparams.get("database", cargs[0] if cargs else None)
        if isinstance(path, str) and path not in ("", ":memory:") and not path.startswith("file:"):
            with suppress(FileExistsError):
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN, so writes can ask for IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA synchronous = {tuning.synchronous}")
        cursor.execute(f"PRAGMA cache_size = -{tuning.cache_kib}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Without it, INSERT OR REPLACE removes the row it replaces without firing the
        # triggers that refuse a DELETE of the log.
        cursor.execute("PRAGMA recursive_triggers = ON")
        # A destroyed subject key must not survive in freed space of the file or the log
        # (checkpointed after an erasure: casebook.services.erasure.scrub).
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A deferred transaction that reads and then writes fails with "database is locked"
        # under a second writer, which no busy timeout cures; IMMEDIATE takes the lock first.
        write = connection.get_execution_options().get(_WRITE, False)
        # On the driver's cursor: every append begins here, and SQLAlchemy's statement
        # machinery costs ten times what SQLite takes to run a BEGIN.
        statement = "BEGIN IMMEDIATE" if write else "BEGIN"
        dbapi_connection: Any = connection.connection.dbapi_connection
        try:
            dbapi_connection.execute(statement)
        except sqlite3.Error as error:
            # Raised as SQLAlchemy raises it ("database is locked" is an OperationalError).
            raise sa.exc.DBAPIError.instance(statement, (), error, sqlite3.Error) from error


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction: committed on success, rolled back on any error.

    On SQLite, the threads of one process take their turns through a lock of the engine's
    before they ask SQLite for its write lock: SQLite's busy handler polls, and under many
    threads one of them could lose every poll for the whole busy timeout ("database is
    locked"). Waiting on the lock, a thread is woken when the one before it has committed.
    """
    turn = _turns(engine)
    with turn, _writer(engine).connect() as connection, connection.begin():
        yield connection


def _turns(engine: Engine) -> AbstractContextManager[Any]:
    """The engine's lock for writers' turns on SQLite (re-entrant); nothing on PostgreSQL,
    whose writers queue on the server."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    lock: threading.RLock | None = engine.__dict__.get("_casebook_turns")
    if lock is None:
        lock = engine.__dict__.setdefault("_casebook_turns", threading.RLock())
    return lock


def _writer(engine: Engine) -> Engine:
    """The engine with the write option set, made once: setting it on every connection cost
    about a fifth of an empty transaction."""
    writer: Engine | None = engine.__dict__.get("_casebook_writer")
    if writer is None:
        writer = engine.execution_options(**{_WRITE: True})
        engine.__dict__["_casebook_writer"] = writer
    return writer


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read transaction: one consistent view of the database."""
    with engine.connect() as connection, connection.begin():
        yield connection


def lock_for_append(connection: Connection) -> None:
    """Serialise appends so positions become visible in order (PostgreSQL sequences do not).

    A transaction-scoped advisory lock: it needs no right on any table (`LOCK TABLE` needs
    UPDATE), so the role casebook serves with can take it, and it ends with the transaction.
    Every insert into events takes it too (a trigger, migration 0007), for writers that do not
    come through here. Sent on the driver's own cursor, so inside an append's pipeline
    (`events.driver`) the lock goes ahead of the append's lookups in the same round trip.
    """
    if connection.dialect.name == "postgresql":
        DriverSQL.of(connection).execute(_APPEND_LOCK)
