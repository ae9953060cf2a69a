"""Driver SQL for the store's hottest statements, sent on the connection's own DBAPI cursor.

An interactive append is a handful of small statements. Building, caching and compiling a
SQLAlchemy expression for each costs many times what the database takes to run it (on SQLite
about 60 µs against 2 µs for a key lookup; on PostgreSQL the driver alone is a third of it), and
the append has to stay within a small multiple of one bare commit. These statements are written
once as plain SQL with `?` placeholders and run on the cursor of the caller's connection, so
they belong to the same transaction as everything else, and every value is stored exactly as
the SQLAlchemy types in `events.tables` store it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

#: `date` by another name: inside DriverSQL, `date` is the method that binds one.
Day = date


class DriverSQL:
    """Plain SQL inside a SQLAlchemy connection's transaction, values in the stored formats."""

    def __init__(self, connection: Connection):
        if not connection.in_transaction():
            # What a SQLAlchemy statement would do (autobegin): SQLite's driver runs in
            # autocommit mode here, so driver SQL outside a transaction would commit each write.
            connection.begin()
        self.sqlite = connection.dialect.name == "sqlite"
        self._connection: Any = connection.connection.dbapi_connection
        self._errors = _Errors(connection.dialect.loaded_dbapi.Error)
        self._cursor: Any = None
        #: How many `pipeline` blocks are open: outside one, a query is read at once.
        self._pipelines = 0
        #: How many keys `any_of` takes at once: SQLite binds each as a parameter of its own.
        self.keys_at_once = IN_CHUNK if self.sqlite else _POSTGRES_KEYS

    @classmethod
    def of(cls, connection: Connection) -> DriverSQL:
        """The driver SQL of this connection: made on first use, then the same one each time
        (an append's store, projector and bulk writes share it, and its cursor)."""
        driver = _DRIVERS.get(connection)
        if driver is None or driver._connection is not connection.connection.dbapi_connection:
            driver = _DRIVERS[connection] = cls(connection)
        elif not connection.in_transaction():
            connection.begin()
        return driver

    @property
    def cursor(self) -> Any:
        # A cursor is opened on first use: a batch that sends nothing costs nothing.
        if self._cursor is None:
            self._cursor = self._connection.cursor()
        return self._cursor

    @contextmanager
    def pipeline(self) -> Iterator[None]:
        """Statements sent inside go to PostgreSQL together, one round trip until a read.

        Each statement costs a round trip to the server, and the append's lookups (and then its
        writes) do not depend on one another. SQLite, in process, runs each one as it is sent.
        """
        if self.sqlite:
            yield
            return
        self._pipelines += 1
        try:
            with self._errors.translated("(pipeline)"), self._connection.pipeline():
                yield
        finally:
            self._pipelines -= 1

    def send(self, sql: str, params: Sequence[Any] = ()) -> Pending:
        """Send a query now; its rows when `Pending.rows` is called (after a pipeline's sync)."""
        # Errors are translated inline here and below, not with `_Errors.translated`: an append
        # sends a dozen statements, and a context manager per statement was a tenth of its CPU.
        try:
            if self.sqlite or not self._pipelines:
                cursor = self.cursor
                cursor.execute(self._native(sql), params)
                return Pending(self._errors, rows=cursor.fetchall())
            # Each query in a pipeline keeps its own cursor: a cursor holds one result.
            cursor = self._connection.cursor()
            cursor.execute(_format_style(sql), params)
            return Pending(self._errors, cursor=cursor)
        except self._errors.base as error:
            raise self._errors.instance(sql, params, error) from error

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row of a query, as tuples."""
        return self.send(sql, params).rows()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement whose result is not read (SQLite: the cursor, for `lastrowid`)."""
        cursor = self.cursor
        try:
            cursor.execute(self._native(sql), params)
        except self._errors.base as error:
            raise self._errors.instance(sql, params, error) from error
        return cursor

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each parameter row."""
        rows = list(params)
        try:
            self.cursor.executemany(self._native(sql), rows)
        except self._errors.base as error:
            raise self._errors.instance(sql, rows, error) from error

    def any_of(self, column: str, keys: Sequence[Any]) -> tuple[str, list[Any]]:
        """A condition that `column` is one of `keys` (at most `keys_at_once`), and its values.

        SQLite: `column IN (?, ?, …)`. PostgreSQL: `column = ANY(?)` with one array, the same
        statement text whatever the count: psycopg parses every new text anew (a 500-key `IN`
        costs it milliseconds), and the server plans it anew.
        """
        if self.sqlite:
            return f"{column} IN {in_list(len(keys))}", list(keys)
        return f"{column} = ANY(?)", [list(keys)]

    def key_parts(self, keys: Iterable[Any]) -> Iterator[list[Any]]:
        """The distinct keys, sorted, in parts of at most `keys_at_once` for `any_of`."""
        return sorted_parts(keys, self.keys_at_once)

    def send_for_keys(
        self, sql: str, column: str, keys: Iterable[Any], more: Sequence[Any] = ()
    ) -> list[Pending]:
        """Send `sql`, whose `{}` is where the condition that `column` is one of `keys` goes,
        once per part of the keys (see `key_parts`); `more` are the parameters after it."""
        sent: list[Pending] = []
        if not keys:
            return sent
        for part in self.key_parts(keys):
            condition, values = self.any_of(column, part)
            sent.append(self.send(sql.format(condition), [*values, *more]))
        return sent

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Insert rows (values as `time` and `date` give them) into `table`'s `columns`.

        On PostgreSQL, from `COPY_FROM` rows on and outside a pipeline (COPY cannot run in one),
        the rows go by COPY, the server's bulk path: an INSERT per row is a message per row and
        most of an import's driver time. Anywhere else, one prepared INSERT per row.
        """
        rows = list(rows)
        if not rows:
            return
        if self.sqlite or self._pipelines or len(rows) < COPY_FROM:
            names = ", ".join(columns)
            self.executemany(f"INSERT INTO {table} ({names}) VALUES {in_list(len(columns))}", rows)
            return
        self.copy(table, columns, rows)

    def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """PostgreSQL only, outside a pipeline: load rows into `table`'s `columns` by COPY."""
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self._errors.translated(sql), self.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)

    def time(self, value: datetime) -> Any:
        """An aware datetime as `UTCDateTime` binds it: naive UTC text on SQLite."""
        if value.tzinfo is None:
            raise ValueError("naive datetime: casebook stores aware times only")
        if not self.sqlite:
            return value
        # "YYYY-MM-DD HH:MM:SS.ffffff", the offset cut off: an import converts millions of times.
        return (value if value.tzinfo is UTC else value.astimezone(UTC)).isoformat(
            " ", "microseconds")[:26]

    def date(self, value: date) -> Any:
        """A date as `sa.Date` binds it: ISO text on SQLite."""
        return value.isoformat() if self.sqlite else value

    def read_time(self, value: Any) -> datetime:
        """A stored `UTCDateTime` read back as an aware UTC datetime."""
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def read_date(self, value: Any) -> Day:
        """A stored `sa.Date` read back as a date (SQLite keeps ISO text)."""
        return Day.fromisoformat(value) if isinstance(value, str) else value

    def _native(self, sql: str) -> str:
        return sql if self.sqlite else _format_style(sql)


#: Each connection's `DriverSQL`, for as long as the connection lives.
_DRIVERS: WeakKeyDictionary[Connection, DriverSQL] = WeakKeyDictionary()
#: Most keys one `IN` list binds (a parameter each, on either backend): under SQLite's
#: bound-parameter limit. The store's and the projections' key lookups all go in parts this size.
IN_CHUNK = 500
#: Keys per `any_of` on PostgreSQL, where one array takes any number (SQLite binds each: IN_CHUNK).
_POSTGRES_KEYS = 50_000
#: From this many rows on, a bulk insert into the log or a read model goes by COPY on PostgreSQL
#: (`insert` here, `projections.bulk`): below it the COPY's set-up costs more than it saves.
COPY_FROM = 50


class Pending:
    """The rows of a query sent with `DriverSQL.send`, fetched when first asked for."""

    def __init__(
        self, errors: _Errors, *, rows: list[tuple[Any, ...]] | None = None, cursor: Any = None
    ):
        self._errors = errors
        self._rows = rows
        self._cursor = cursor

    def rows(self) -> list[tuple[Any, ...]]:
        if self._rows is None:
            with self._errors.translated("(pipelined query)"):
                self._rows = list(self._cursor.fetchall())
            self._cursor.close()
        return self._rows


class _Errors:
    """Raises the driver's errors as SQLAlchemy raises them (`IntegrityError`, `OperationalError`,
    ...), so callers of the store catch the same exceptions whichever way a statement went."""

    def __init__(self, base: type[Exception]):
        self.base = base

    @contextmanager
    def translated(self, sql: str, params: Any = ()) -> Iterator[None]:
        try:
            yield
        except self.base as error:
            raise self.instance(sql, params, error) from error

    def instance(self, sql: str, params: Any, error: Exception) -> Exception:
        """The SQLAlchemy exception for a driver error."""
        # Parameters stay out of the message: they can hold subject keys and personal data.
        return sa_exc.DBAPIError.instance(sql, params, error, self.base, hide_parameters=True)


def sorted_parts(keys: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """The distinct keys, sorted, in lists of at most `size`."""
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def in_list(count: int) -> str:
    """`(?, ?, …)` with `count` placeholders, for an `IN` over that many values."""
    return _placeholders(count)


@cache
def _placeholders(count: int) -> str:
    return "(" + ", ".join("?" * count) + ")"


@lru_cache(maxsize=1024)
def _format_style(sql: str) -> str:
    # psycopg's placeholder is %s; the store's SQL has no other ? and no literal %.
    return sql.replace("?", "%s")
