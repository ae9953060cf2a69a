"""The database itself refuses to change or remove a stored event, whoever asks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

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
