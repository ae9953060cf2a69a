"""Set-based writes of read-model rows straight through the driver, in the caller's transaction.

A rebuild writes tens of thousands of rows per batch, and an append a few rows in several
statements; SQLAlchemy's per-row parameter processing and per-statement set-up cost more than
the database's own work. These statements are plain SQL built once per table and dialect, with
the values converted to the driver's types here, exactly as the table's SQLAlchemy types store
them (on SQLite: times as naive UTC text, dates as ISO text, booleans as 0 and 1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from events.tables import UTCDateTime

Convert = Callable[[Any], Any]


def upsert(
    connection: Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    column: str,
    *,
    add: bool,
) -> None:
    """Insert rows; where one with the same `keys` exists, add to its `column` (or set it)."""
    _write(connection, table, rows, (tuple(keys), column, add))


def insert(connection: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows that are not there yet."""
    _write(connection, table, rows, None)


def _write(
    connection: Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    conflict: tuple[tuple[str, ...], str, bool] | None,
) -> None:
    if not rows:
        return
    sql, converts = _statement(connection.dialect, table, conflict)
    values: Sequence[Mapping[str, Any]] = rows
    if converts:
        values = [
            {**row, **{name: convert(row[name]) for name, convert in converts
                       if row[name] is not None}}
            for row in rows
        ]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, values)
    finally:
        cursor.close()


@lru_cache(maxsize=128)
def _statement(
    dialect: Dialect, table: sa.Table, conflict: tuple[tuple[str, ...], str, bool] | None
) -> tuple[str, tuple[tuple[str, Convert], ...]]:
    """The INSERT (… ON CONFLICT DO UPDATE) with named parameters, and the columns to convert."""
    quote = dialect.identifier_preparer.quote
    names = tuple(column.name for column in table.columns)
    mark = ":{}" if dialect.name == "sqlite" else "%({})s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)})"
        f" VALUES ({', '.join(mark.format(n) for n in names)})"
    )
    if conflict is not None:
        keys, column, add = conflict
        target = quote(column)
        value = f"{quote(table.name)}.{target} + excluded.{target}" if add else f"excluded.{target}"
        sql += f" ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {target} = {value}"
    converts = tuple(
        (column.name, convert)
        for column in table.columns
        if (convert := _converter(dialect.name, column.type)) is not None
    )
    return sql, converts


def _converter(dialect: str, kind: Any) -> Convert | None:
    if dialect != "sqlite":
        return None  # psycopg takes datetimes, dates and booleans as they are
    if isinstance(kind, UTCDateTime):
        return _sqlite_time
    if isinstance(kind, sa.Date):
        return date.isoformat
    if isinstance(kind, sa.Boolean):
        return int
    return None


def _sqlite_time(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime: casebook stores aware times only")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
