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
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from events.driver import COPY_FROM, DriverSQL
from events.tables import column_kinds as _columns


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
    driver = DriverSQL.of(connection)
    names, kinds = _columns(table)
    values = itemgetter(*names)
    if any(kinds):
        convert = {"time": driver.time, "date": driver.date}
        tuples = [
            tuple([value if kind is None or value is None else convert[kind](value)
                   for value, kind in zip(values(row), kinds, strict=True)])
            for row in rows
        ]
    else:
        tuples = [values(row) for row in rows]
    if driver.sqlite:
        # In process, a prepared statement run once per row costs next to nothing.
        driver.executemany(_statement(table, conflict), tuples)
        return
    if conflict is None and len(tuples) >= COPY_FROM:
        # New rows in bulk (a rebuild's): COPY is PostgreSQL's own fast path for loading.
        driver.copy(_q(table.name), [_q(name) for name in names], tuples)
        return
    # On PostgreSQL a statement per row is a message per row (psycopg's executemany), and a
    # multi-row VALUES is planned anew for every length: send one array per column instead.
    # Rows come aggregated, so no key repeats.
    driver.execute(unnest_statement(table, conflict), columns_of(tuples))



def columns_of(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows (at least one) turned into one list per column, as `unnest_statement` takes them."""
    return [list(column) for column in zip(*rows, strict=True)]


@lru_cache(maxsize=64)
def unnest_statement(
    table: sa.Table,
    conflict: tuple[tuple[str, ...], str, bool] | None,
    returning: tuple[str, ...] = (),
) -> str:
    """PostgreSQL's INSERT of any number of rows given as one array per column: one statement
    text whatever the number of rows, so the server plans it once."""
    names, _ = _columns(table)
    arrays = ", ".join(f"?::{column.type.compile(dialect=_PG)}[]" for column in table.columns)
    sql = (
        f"INSERT INTO {_q(table.name)} ({', '.join(map(_q, names))})"
        f" SELECT * FROM unnest({arrays})" + _on_conflict(table, conflict)
    )
    if returning:
        sql += f" RETURNING {', '.join(map(_q, returning))}"
    return sql


_PG = postgresql.dialect()


@lru_cache(maxsize=64)
def _statement(table: sa.Table, conflict: tuple[tuple[str, ...], str, bool] | None) -> str:
    """The INSERT of one row (… ON CONFLICT DO UPDATE)."""
    names, _ = _columns(table)
    sql = (
        f"INSERT INTO {_q(table.name)} ({', '.join(map(_q, names))})"
        f" VALUES ({', '.join('?' * len(names))})"
    )
    return sql + _on_conflict(table, conflict)


def _on_conflict(table: sa.Table, conflict: tuple[tuple[str, ...], str, bool] | None) -> str:
    if conflict is None:
        return ""
    keys, column, add = conflict
    new = f"excluded.{_q(column)}"
    value = f"{_q(table.name)}.{_q(column)} + {new}" if add else new
    return f" ON CONFLICT ({', '.join(map(_q, keys))}) DO UPDATE SET {_q(column)} = {value}"


def _q(name: str) -> str:
    """A quoted identifier: read-model columns are called period, value, repeat, position."""
    return f'"{name}"'
