"""The log's hash chain: every stored event is linked to the one before it, so `casebook verify`
finds a change made by someone who got past the triggers, and the nightly job reports it."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from alembic import command
from flask.testing import FlaskCliRunner
from sqlalchemy.engine import Engine

from casebook import scheduler
from casebook.database import migrate, migrations_config
from events.chain import verify
from events.db import make_engine, writing
from events.tables import events
from tests.helpers import event, import_jsonl, log, notice, referral, void


def _history(engine: Engine) -> list[str]:
    """Events through every writing path: single and multi-event appends, voids, an import."""
    first, second = log(engine, referral(case="DA-1", subject="S-1", risk="high"),
                        notice("cpw", case="ASB-1"))
    log(engine, void(first, reason="Wrong case"))
    log(engine, event("case.closed", "davss", "2024-06-01", "DA-1", outcome="engaged"))
    report = import_jsonl(engine, [referral(case=f"DA-I{n}", subject=f"S-{n}") for n in range(60)]
                          + [notice("warning-letter", case="ASB-2")])
    assert report.errors == [] and report.written == 61
    with engine.connect() as connection:
        return list(connection.exec_driver_sql(
            "SELECT event_id FROM events ORDER BY position").scalars())


def _without_triggers(engine: Engine, backend: str, statement: str) -> None:
    """Run `statement` as the tables' owner would, after taking the triggers out of the way."""
    with engine.begin() as connection:
        if backend == "postgresql":
            for table in ("events", "event_voids"):
                connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            names = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars().all()
            for name in names:
                connection.exec_driver_sql(f"DROP TRIGGER {name}")
        connection.exec_driver_sql(statement)


def _position_of(engine: Engine, event_id: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(
            sa.text("SELECT position FROM events WHERE event_id = :e"), {"e": event_id}
        ).scalar_one())


def test_verify_finds_every_event_written_by_every_path_linked(
    engine: Engine, runner: FlaskCliRunner
) -> None:
    ids = _history(engine)
    result = runner.invoke(args=["casebook", "verify"])
    assert result.exit_code == 0, result.output
    assert f"{len(ids)} events checked" in result.output
    found = verify(engine)
    assert found.broken is None and found.checked == len(ids)
    with engine.connect() as connection:
        chains = connection.exec_driver_sql("SELECT chain FROM events").scalars().all()
    assert len(set(chains)) == len(ids) and all(len(c) == 64 for c in chains)


def test_a_row_changed_with_the_triggers_out_of_the_way_is_named_by_verify(
    engine: Engine, backend: str, runner: FlaskCliRunner
) -> None:
    ids = _history(engine)
    target = ids[3]
    _without_triggers(engine, backend,
                      f"UPDATE events SET data = '{{\"outcome\": \"x\"}}' WHERE event_id = '{target}'")
    result = runner.invoke(args=["casebook", "verify"])
    assert result.exit_code == 1
    assert f"position {_position_of(engine, target)}" in result.output
    assert target in result.output
    found = verify(engine)
    assert found.broken is not None and found.broken.event_id == target


def test_a_row_removed_with_the_triggers_out_of_the_way_breaks_the_link_of_the_next(
    engine: Engine, backend: str
) -> None:
    ids = _history(engine)
    _without_triggers(engine, backend, f"DELETE FROM events WHERE event_id = '{ids[10]}'")
    found = verify(engine)
    assert found.broken is not None
    assert (found.broken.event_id, found.broken.position) == (ids[11], _position_of(engine, ids[11]))
    assert found.checked == 10


def test_verify_walks_the_log_a_page_at_a_time_and_reports_progress(
    engine: Engine, backend: str
) -> None:
    ids = _history(engine)
    _without_triggers(engine, backend,
                      f"UPDATE events SET recorded_by = 'someone' WHERE event_id = '{ids[-2]}'")
    progress: list[tuple[int, int]] = []
    found = verify(engine, page=7, on_progress=lambda done, total: progress.append((done, total)))
    assert found.broken is not None and found.broken.event_id == ids[-2]
    assert len(progress) >= len(ids) // 7
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)


def test_the_nightly_verify_job_logs_that_the_log_is_intact_and_then_what_was_changed(
    engine: Engine, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    ids = _history(engine)
    scheduler._Target.engine = engine
    try:
        with caplog.at_level(logging.INFO, logger="casebook.scheduler"):
            scheduler.verify_job()
            assert any(r.levelno == logging.INFO and f"{len(ids)} events checked" in r.message
                       for r in caplog.records), caplog.text
            caplog.clear()
            _without_triggers(engine, backend,
                              f"UPDATE events SET scheme = 'idva' WHERE event_id = '{ids[0]}'")
            scheduler.verify_job()
    finally:
        scheduler._Target.engine = None
    errors = [r.message for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and ids[0] in errors[0] and "position" in errors[0]


def test_0007_links_the_events_already_stored_and_can_be_undone(
    new_database_url: Callable[..., str],
) -> None:
    engine = make_engine(new_database_url())
    try:
        ids = [e.event_id for e in log(engine, referral(case="DA-1", subject="S-1"),
                                       notice("cpw", case="ASB-1"))]
        log(engine, referral(case="DA-2"))
        with engine.connect() as connection:
            chained = connection.exec_driver_sql(
                "SELECT position, chain FROM events ORDER BY position").all()
        with writing(engine) as connection:
            command.downgrade(migrations_config(connection), "0006")
        columns = {c["name"] for c in sa.inspect(engine).get_columns("events")}
        assert "chain" not in columns
        migrate(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql(
                "SELECT position, chain FROM events ORDER BY position").all() == chained
        assert verify(engine).broken is None and verify(engine).checked == len(ids) + 1
        log(engine, referral(case="DA-3"))
        assert verify(engine).broken is None
    finally:
        engine.dispose()


def test_a_link_is_sha256_of_the_previous_link_and_the_rows_content_as_json(engine: Engine) -> None:
    # The format is plain enough to check the chain without casebook (spelled out here again).
    log(engine, referral(case="DA-1", subject="S-1", risk="high"), notice("cpw", case="ASB-1"))
    with engine.connect() as connection:
        rows = connection.execute(sa.select(events).order_by(events.c.position)).all()
    previous = ""
    for row in rows:
        content = [
            row.position, row.event_id, row.type, row.version, row.scheme, row.case_ref,
            row.stream_version, round(row.occurred_at.timestamp() * 1_000_000),
            row.local_date.isoformat(), row.period, round(row.recorded_at.timestamp() * 1_000_000),
            row.recorded_by, row.data, row.key_id,
        ]
        text = json.dumps(content, separators=(",", ":"))
        assert row.chain == hashlib.sha256(f"{previous}\n{text}".encode()).hexdigest()
        previous = row.chain
