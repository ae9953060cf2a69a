"""Migrations that change how tables are stored keep every row, and can be undone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from casebook.database import load_defaults, migrate, migrations_config
from events.db import make_engine, reading, writing
from events.subjects import case_subjects, subject_keys
from events.tables import cases
from projections.rebuild import rebuild
from projections.tables import current_generation
from tests.helpers import event, log, referral

KEYED = (cases, case_subjects, subject_keys)


def _rows(engine: Engine) -> dict[str, list[Any]]:
    with reading(engine) as connection:
        return {
            table.name: sorted(tuple(row) for row in connection.execute(sa.select(table)))
            for table in KEYED
        }


def _without_rowid(engine: Engine) -> dict[str, bool]:
    with reading(engine) as connection:
        return {
            table.name: "WITHOUT ROWID" in connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = ?", (table.name,)
            ).scalar_one()
            for table in KEYED
        }


def test_keyed_tables_keep_their_rows_and_indexes_through_0005_up_and_down(
    new_database_url: Callable[..., str], backend: str
) -> None:
    engine = make_engine(new_database_url(empty=True))
    try:
        # Written by today's store, which needs today's tables, then taken back to 0004.
        migrate(engine)
        load_defaults(engine)
        rebuild(engine)
        log(engine, referral(case="DA-1", subject="S-1"),
            referral(case="DA-2", subject="S-2"),
            event("case.closed", "davss", "2024-06-01", "DA-1", outcome="engaged"))
        before = _rows(engine)
        # Two subjects' keys and DA-1's own (its outcome), each linked to its case.
        assert [len(before[t.name]) for t in KEYED] == [2, 3, 3]
        with writing(engine) as connection:
            command.downgrade(migrations_config(connection), "0004")
        assert _rows(engine) == before
        if backend == "sqlite":
            assert _without_rowid(engine) == {t.name: False for t in KEYED}

        migrate(engine)
        assert _rows(engine) == before
        if backend == "sqlite":
            assert _without_rowid(engine) == {t.name: True for t in KEYED}
        inspector = sa.inspect(engine)
        assert {i["name"] for i in inspector.get_indexes("cases")} >= {"ix_cases_scheme"}
        assert {i["name"] for i in inspector.get_indexes("case_subjects")} >= {
            "ix_case_subjects_key_id"
        }
        # The store still works on the new tables: a case's version, a subject's second case.
        log(engine, referral(case="DA-3", subject="S-1"),
            event("case.closed", "davss", "2024-06-02", "DA-2", outcome="engaged"),
            expected_versions={"DA-2": 1})
        after = _rows(engine)
        assert [len(after[t.name]) for t in KEYED] == [3, 5, 4]

        with writing(engine) as connection:
            command.downgrade(migrations_config(connection), "0004")
        assert _rows(engine) == after
        if backend == "sqlite":
            assert _without_rowid(engine) == {t.name: False for t in KEYED}
    finally:
        engine.dispose()


def test_read_models_are_kept_in_key_order_on_sqlite(engine: Engine, backend: str) -> None:
    with reading(engine) as connection:
        tables = current_generation(connection)[0]  # type: ignore[index]
        if backend == "sqlite":
            stored = dict(connection.exec_driver_sql("SELECT name, sql FROM sqlite_master").all())
            keyed = {t.name: "WITHOUT ROWID" in stored[t.name] for t in tables.tables}
            # Referrals and returns are read through a second index (see projections.tables).
            assert keyed == {t.name: t not in (tables.referrals, tables.returns)
                             for t in tables.tables}
        else:
            assert {t.name for t in tables.tables} <= set(sa.inspect(connection).get_table_names())
