"""Scratch databases for one benchmark: a temporary SQLite file, or a PostgreSQL database."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from events.db import make_engine
from tests.helpers import prepare_database

POSTGRES_ADMIN_URL = os.environ.get(
    "CASEBOOK_BENCH_POSTGRES_URL",
    os.environ.get("CASEBOOK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
)
BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Scratch:
    """A database that exists for one benchmark: its SQLAlchemy URL and a plain-driver DSN."""

    backend: str
    url: str
    path: Path | None = None

    @property
    def libpq_dsn(self) -> str:
        """The URL in the form psycopg takes."""
        return sa.make_url(self.url).set(drivername="postgresql").render_as_string(
            hide_password=False
        )


@contextmanager
def scratch(backend: str, *, casebook: bool = True) -> Iterator[Scratch]:
    """A fresh database, migrated with casebook's defaults unless `casebook` is False."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="casebook-bench-") as folder:
            path = Path(folder) / "bench.sqlite3"
            db = Scratch("sqlite", f"sqlite:///{path}", path)
            if casebook:
                prepare_database(db.url)
            yield db
        return
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"casebook_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        db = Scratch("postgresql", sa.make_url(POSTGRES_ADMIN_URL).set(database=name)
                     .render_as_string(hide_password=False))
        if casebook:
            prepare_database(db.url)
        yield db
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def durability(url: str) -> dict[str, Any]:
    """The settings that decide whether a commit survives a power cut, read from the database."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                return {
                    "journal_mode": connection.exec_driver_sql("PRAGMA journal_mode").scalar(),
                    "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[
                        int(connection.exec_driver_sql("PRAGMA synchronous").scalar_one())
                    ],
                }
            return {
                name: connection.exec_driver_sql(f"SHOW {name}").scalar()
                for name in ("synchronous_commit", "fsync", "wal_sync_method", "full_page_writes")
            }
    finally:
        engine.dispose()
