"""Concurrent writers: every acknowledged event stored exactly once, every refusal told, the
figures equal to a rebuild, and a reader following the log by position never skips an event."""

from __future__ import annotations

import json
import multiprocessing
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import events.batch
import events.store
from events import tables
from events.clock import utc_now
from events.db import reading
from events.interchange import parse_event
from events.store import read_events
from projections.rebuild import rebuild
from tests.helpers import log, referral
from tests.test_protection.support import all_figures
from tests.test_protection.writers import Tally, write, write_in_process

WRITERS = 8
PER_WRITER = 24


def _stored(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.exec_driver_sql(  # type: ignore[misc]
            "SELECT position, event_id FROM events ORDER BY position")]


def _check_nothing_lost(engine: Engine, tallies: Sequence[Tally], attempts: int) -> None:
    acknowledged = [e for t in tallies for e in t.acknowledged]
    refused = [e for t in tallies for e in t.refused]
    stored = _stored(engine)
    positions = [p for p, _ in stored]
    assert len(acknowledged) + len(refused) == attempts
    assert len(set(acknowledged)) == len(acknowledged)
    assert sorted(e for _, e in stored) == sorted(acknowledged)
    assert len(set(positions)) == len(positions)
    assert not set(refused) & {e for _, e in stored}
    for tally in tallies:
        assert all("changed while you were working on it" in why or "locked" in why
                   for why in tally.refused.values())
    with engine.connect() as connection:
        versions = dict(connection.exec_driver_sql(
            "SELECT case_ref, COUNT(*) FROM events WHERE case_ref IS NOT NULL GROUP BY case_ref"
        ).all())
        recorded = dict(connection.exec_driver_sql("SELECT case_ref, version FROM cases").all())
    assert versions == recorded
    before = all_figures(engine)
    rebuild(engine)
    assert all_figures(engine) == before


def test_eight_writer_threads_lose_nothing_and_are_told_of_every_refusal(engine: Engine) -> None:
    tallies: list[Tally] = [Tally() for _ in range(WRITERS)]

    def run(n: int) -> None:
        tallies[n] = write(engine, n, PER_WRITER)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _check_nothing_lost(engine, tallies, WRITERS * PER_WRITER)
    assert sum(len(t.acknowledged) for t in tallies) > WRITERS * PER_WRITER // 3


@pytest.mark.slow
def test_eight_writer_processes_lose_nothing_and_are_told_of_every_refusal(
    database_url: str, engine: Engine, backend: str, tmp_path: Path
) -> None:
    processes = WRITERS if backend == "postgresql" else 4
    context = multiprocessing.get_context("spawn")
    outputs = [tmp_path / f"writer-{n}.json" for n in range(processes)]
    workers = [
        context.Process(target=write_in_process, args=(database_url, n, PER_WRITER, str(out)))
        for n, out in enumerate(outputs)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
        assert worker.exitcode == 0
    tallies = []
    for out in outputs:
        found = json.loads(out.read_text())
        tallies.append(Tally(found["acknowledged"], found["refused"]))
    _check_nothing_lost(engine, tallies, processes * PER_WRITER)


def test_a_reader_following_the_log_never_skips_an_event_under_eight_writers(
    engine: Engine,
) -> None:
    done = threading.Event()
    seen: list[int] = []

    def follow() -> None:
        while True:
            finished = done.is_set()
            with reading(engine) as connection:
                after = seen[-1] if seen else 0
                seen.extend(e.position for e in read_events(connection, after=after))
            if finished:
                return

    def append_many(n: int) -> None:
        for i in range(PER_WRITER):
            log(engine, referral(occurred_at=f"2024-{4 + i % 9:02d}-{1 + n:02d}"))

    reader = threading.Thread(target=follow)
    reader.start()
    writers = [threading.Thread(target=append_many, args=(n,)) for n in range(WRITERS)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    reader.join()
    assert seen == [p for p, _ in _stored(engine)]
    assert len(seen) == WRITERS * PER_WRITER


def _late_commit_race(engine: Engine) -> tuple[list[int], list[int]]:
    """A writer holds an insert uncommitted while an append through the store commits; a
    follower reads in between. Returns what the follower saw and every position stored."""
    inside, release = threading.Event(), threading.Event()

    def late() -> None:
        line = parse_event(referral(), default_recorded_by="late")
        with engine.begin() as connection:
            connection.execute(sa.insert(tables.events).values(
                event_id=line.event_id, type=line.type, version=2, scheme=line.scheme,
                case_ref=line.case_ref, stream_version=None, occurred_at=line.occurred_at,
                local_date=line.local_date, period=line.quarter.index, recorded_at=utc_now(),
                recorded_by="late", data=line.data_json,
            ))
            inside.set()
            release.wait(timeout=10)

    late_writer = threading.Thread(target=late)
    late_writer.start()
    assert inside.wait(timeout=10)
    store_writer = threading.Thread(target=lambda: log(engine, referral()))
    store_writer.start()
    store_writer.join(timeout=1.0)
    with reading(engine) as connection:
        seen = [e.position for e in read_events(connection)]
    release.set()
    late_writer.join()
    store_writer.join()
    with reading(engine) as connection:
        seen += [e.position for e in read_events(connection, after=seen[-1] if seen else 0)]
    return seen, [p for p, _ in _stored(engine)]


def test_with_the_append_lock_a_late_commit_is_not_skipped(engine: Engine) -> None:
    seen, stored = _late_commit_race(engine)
    assert seen == stored and len(stored) == 2


def test_without_the_append_lock_a_follower_on_postgresql_skips_a_late_commit(
    engine: Engine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The append takes the lock in its batch's first look-up; the import, before its first chunk.
    monkeypatch.setattr(events.batch, "lock_for_append", lambda connection: None)
    monkeypatch.setattr(events.store, "lock_for_append", lambda connection: None)
    if backend == "postgresql":
        # Every insert into events takes the lock as well (migration 0007): drop that too.
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER events_in_order ON events")
    seen, stored = _late_commit_race(engine)
    if backend == "postgresql":
        # The proof that the lock is what keeps followers whole: without it one is skipped.
        assert len(stored) == 2 and seen == stored[1:]
    else:
        # SQLite's write transaction (BEGIN IMMEDIATE) serialises writers by itself.
        assert seen == stored and len(stored) == 2


def test_a_writer_that_bypasses_the_store_cannot_break_the_case_versions(engine: Engine) -> None:
    log(engine, referral(case="DA-X"))
    with pytest.raises(sa.exc.IntegrityError):
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO events (event_id, type, version, scheme, case_ref, stream_version, "
                "occurred_at, local_date, period, recorded_at, recorded_by, data) SELECT "
                "'00000000-0000-4000-8000-000000000001', type, version, scheme, case_ref, "
                "stream_version, occurred_at, local_date, period, recorded_at, recorded_by, data "
                "FROM events WHERE case_ref = 'DA-X'")
