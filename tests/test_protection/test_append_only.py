"""The database itself refuses to change or remove a stored event, whoever asks."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from casebook.services.access_log import log_access
from events.chain import verify
from events.db import writing
from events.quarters import FinancialYear
from projections.archive import SCHEDULED, generate
from tests.helpers import log, notice, referral, void

STATEMENTS = {
    "update events": "UPDATE events SET recorded_by = 'someone-else'",
    "update event data": "UPDATE events SET data = '{}'",
    "delete events": "DELETE FROM events",
    "update voids": "UPDATE event_voids SET reason = 'changed'",
    "delete voids": "DELETE FROM event_voids",
}


def _log_contents(engine: Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT * FROM events ORDER BY position")).all()
        voids = connection.execute(sa.text("SELECT * FROM event_voids ORDER BY target_id")).all()
    return [tuple(r) for r in stored], [tuple(r) for r in voids]


def _some_events(engine: Engine) -> None:
    first, _ = log(engine, referral(subject="S-1", risk="high"), notice("cpw", case="ASB-1"))
    log(engine, void(first))


@pytest.mark.parametrize("statement", list(STATEMENTS))
def test_raw_sql_cannot_update_or_delete_the_log(engine: Engine, statement: str) -> None:
    _some_events(engine)
    before = _log_contents(engine)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with engine.begin() as connection:
            connection.exec_driver_sql(STATEMENTS[statement])
    assert _log_contents(engine) == before
    assert len(before[0]) == 3 and len(before[1]) == 1


def test_truncate_is_refused_on_postgresql(engine: Engine, backend: str) -> None:
    _some_events(engine)
    before = _log_contents(engine)
    if backend == "postgresql":
        for table in ("events", "event_voids"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                with engine.begin() as connection:
                    connection.exec_driver_sql(f"TRUNCATE {table} CASCADE")
    else:
        # SQLite has no TRUNCATE; its "truncate optimisation" of an unqualified DELETE is
        # disabled by a DELETE trigger, so the plain DELETE is what must be refused.
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with engine.begin() as connection:
                connection.exec_driver_sql("DELETE FROM events")
    assert _log_contents(engine) == before


def test_the_check_is_the_trigger_without_it_an_update_goes_through(
    engine: Engine, backend: str
) -> None:
    _some_events(engine)
    with engine.begin() as connection:
        if backend == "postgresql":
            connection.exec_driver_sql("DROP TRIGGER events_append_only ON events")
        else:
            connection.exec_driver_sql("DROP TRIGGER events_no_update")
    with engine.begin() as connection:
        changed = connection.exec_driver_sql("UPDATE events SET recorded_by = 'someone-else'")
        assert changed.rowcount == 3
    with engine.connect() as connection:
        authors = connection.exec_driver_sql("SELECT DISTINCT recorded_by FROM events").scalars()
        assert set(authors) == {"someone-else"}


def test_appending_still_works_with_the_triggers_in_place(engine: Engine) -> None:
    _some_events(engine)
    log(engine, referral(subject="S-2"))
    assert len(_log_contents(engine)[0]) == 4


#: The tables whose rows nobody may change or remove, and a text column of each to try it on.
PROTECTED = {
    "events": "recorded_by",
    "event_voids": "reason",
    "stored_summaries": "reason",
    "access_log": "target",
}
REFUSED = "append-only|immutable"


def _all_four_tables_have_rows(engine: Engine) -> None:
    _some_events(engine)
    assert generate(engine, FinancialYear.parse("2024/25").quarter(1), SCHEDULED,
                    only_if_missing=True) is not None
    with writing(engine) as connection:
        log_access(connection, "auditor", "export", "3 events to backup.jsonl")


def _table_rows(engine: Engine, table: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.exec_driver_sql(f"SELECT * FROM {table}")]


def _rewrites(engine: Engine, table: str, backend: str) -> dict[str, str]:
    """Statements that try to put a changed copy of a stored row over the row itself."""
    columns = [c["name"] for c in sa.inspect(engine).get_columns(table)]
    key = sa.inspect(engine).get_pk_constraint(table)["constrained_columns"][0]
    changed = PROTECTED[table]
    names = ", ".join(columns)
    values = ", ".join("'changed'" if c == changed else c for c in columns)
    copy = f"({names}) SELECT {values} FROM {table} WHERE {key} IS NOT NULL"
    upsert = f"INSERT INTO {table} {copy} ON CONFLICT ({key}) DO UPDATE SET {changed} = 'changed'"
    if backend == "postgresql":
        return {"on conflict do update": upsert}
    return {
        "insert or replace": f"INSERT OR REPLACE INTO {table} {copy}",
        "replace into": f"REPLACE INTO {table} {copy}",
        "on conflict do update": upsert,
    }


@pytest.mark.parametrize("table", list(PROTECTED))
def test_no_insert_can_rewrite_or_drop_a_stored_row(engine: Engine, backend: str, table: str) -> None:
    _all_four_tables_have_rows(engine)
    before = _table_rows(engine, table)
    assert before
    for name, statement in _rewrites(engine, table, backend).items():
        with pytest.raises(sa.exc.DBAPIError, match=REFUSED):
            with engine.begin() as connection:
                connection.exec_driver_sql(statement)
        assert _table_rows(engine, table) == before, name


def _plain_sqlite(database_url: str) -> sqlite3.Connection:
    """A connection as the sqlite3 shell or any other tool makes it: without `recursive_triggers`,
    under which REPLACE removes the old row without firing its DELETE trigger."""
    plain = sqlite3.connect(sa.make_url(database_url).database or "")
    assert plain.execute("PRAGMA recursive_triggers").fetchone() == (0,)
    return plain


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("table", [t for t in PROTECTED if t != "events"])
def test_a_replace_from_a_connection_without_casebooks_settings_is_refused_too(
    engine: Engine, database_url: str, table: str
) -> None:
    _all_four_tables_have_rows(engine)
    before = _table_rows(engine, table)
    plain = _plain_sqlite(database_url)
    try:
        for statement in _rewrites(engine, table, "sqlite").values():
            with pytest.raises(sqlite3.IntegrityError, match=REFUSED):
                plain.execute(statement)
            plain.rollback()
    finally:
        plain.close()
    assert _table_rows(engine, table) == before


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_event_replaced_from_a_connection_without_casebooks_settings_is_named_by_verify(
    engine: Engine, database_url: str
) -> None:
    # events has no BEFORE INSERT guard (its cost: migration 0007); its hash chain finds this.
    _all_four_tables_have_rows(engine)
    first = _table_rows(engine, "events")[0]
    plain = _plain_sqlite(database_url)
    try:
        plain.execute(_rewrites(engine, "events", "sqlite")["insert or replace"] + " LIMIT 1")
        plain.commit()
    finally:
        plain.close()
    found = verify(engine)
    assert found.broken is not None and (found.broken.position, found.broken.event_id) == first[:2]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_casebook_connection_to_sqlite_fires_triggers_inside_a_replace(
    engine: Engine,
) -> None:
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA recursive_triggers").scalar_one() == 1


@pytest.mark.parametrize("table", list(PROTECTED))
def test_update_delete_and_truncate_are_refused_on_every_protected_table(
    engine: Engine, backend: str, table: str
) -> None:
    _all_four_tables_have_rows(engine)
    before = _table_rows(engine, table)
    statements = [f"UPDATE {table} SET {PROTECTED[table]} = 'changed'", f"DELETE FROM {table}"]
    if backend == "postgresql":
        statements.append(f"TRUNCATE {table} CASCADE")
    for statement in statements:
        with pytest.raises(sa.exc.DBAPIError, match=REFUSED):
            with engine.begin() as connection:
                connection.exec_driver_sql(statement)
    assert _table_rows(engine, table) == before
