"""Set-based writes of read-model rows straight through the driver, in the caller's transaction.

A rebuild writes tens of thousands of rows per batch, and an append a few rows in several
statements; SQLAlchemy's per-row parameter processing and per-statement set-up cost more than
the database's own work. These statements are plain SQL built once per table, run with
`events.driver.DriverSQL`, which stores every value as the table's SQLAlchemy type would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.driver import DriverSQL
from events.tables import UTCDateTime


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
    driver = DriverSQL(connection)
    sql, names, kinds = _statement(table, conflict)
    values = itemgetter(*names)
    if not any(kinds):
        driver.executemany(sql, [values(row) for row in rows])
        return
    convert = {"time": driver.time, "date": driver.date}
    driver.executemany(sql, [
        tuple([value if kind is None or value is None else convert[kind](value)
               for value, kind in zip(values(row), kinds, strict=True)])
        for row in rows
    ])


@lru_cache(maxsize=128)
def _statement(
    table: sa.Table, conflict: tuple[tuple[str, ...], str, bool] | None
) -> tuple[str, tuple[str, ...], tuple[str | None, ...]]:
    """The INSERT (… ON CONFLICT DO UPDATE), its columns, and which of them are times or dates."""
    names = tuple(column.name for column in table.columns)
    sql = (
        f"INSERT INTO {_q(table.name)} ({', '.join(map(_q, names))})"
        f" VALUES ({', '.join('?' * len(names))})"
    )
    if conflict is not None:
        keys, column, add = conflict
        new = f"excluded.{_q(column)}"
        value = f"{_q(table.name)}.{_q(column)} + {new}" if add else new
        sql += f" ON CONFLICT ({', '.join(map(_q, keys))}) DO UPDATE SET {_q(column)} = {value}"
    kinds = tuple(
        "time" if isinstance(c.type, UTCDateTime) else "date" if isinstance(c.type, sa.Date)
        else None
        for c in table.columns
    )
    return sql, names, kinds


def _q(name: str) -> str:
    """A quoted identifier: read-model columns are called period, value, repeat, position."""
    return f'"{name}"'
