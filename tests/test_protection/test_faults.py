"""Faults: a process killed mid-import or mid-rebuild, and a projection that fails mid-append."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events.db import reading
from projections.projector import Projector
from projections.rebuild import REBUILD_BATCH, rebuild
from projections.tables import projection_state
from tests.helpers import event, import_jsonl, log, referral, value
from tests.test_protection.support import all_figures, exported

CASEBOOK = str(Path(sys.executable).with_name("casebook"))


def _many_lines(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    lines = []
    for n in range(count):
        day = f"{rng.choice([2023, 2024])}-{rng.randrange(4, 13):02d}-{rng.randrange(1, 29):02d}"
        if n % 4 == 0:
            line = referral(scheme="davss", occurred_at=day, subject=f"S-{rng.randrange(400)}",
                            risk=rng.choice(["standard", "medium", "high"]))
        else:
            line = event("engagement.recorded", rng.choice(["kenward-trust", "youth-provision"]),
                         day, kind="outreach", people=rng.randrange(1, 30),
                         location=f"site-{rng.randrange(12)}")
        lines.append(json.dumps(line))
    return lines


def _run(database_url: str, *args: str) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "CASEBOOK_DATABASE_URL": database_url,
                   "CASEBOOK_SECRET_KEY": "fault-test-key",
                   # SQLite's own small page cache: the import's pages then spill into the WAL as
                   # it goes, which is how the test sees it writing (with casebook's 64 MiB they
                   # stay in memory until the commit, and the kill would come after it).
                   "CASEBOOK_SQLITE_CACHE_KIB": "2000"}
    return subprocess.Popen([CASEBOOK, *args], env=environment, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _kill_when(
    condition: Callable[[], bool], process: subprocess.Popen[bytes], what: str, delay: float = 0
) -> None:
    """SIGKILL the process once `condition` holds (and `delay` more seconds have passed)."""
    try:
        deadline = time.monotonic() + 120
        while not condition():
            if process.poll() is not None:
                pytest.fail(f"the process ended (status {process.returncode}) before {what}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}")
            time.sleep(0.02)
        time.sleep(delay)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()


def _import_is_writing(engine: Engine, database_url: str) -> Callable[[], bool]:
    if engine.dialect.name == "sqlite":
        wal = Path(sa.make_url(database_url).database + "-wal")  # type: ignore[operator]
        return lambda: wal.exists() and wal.stat().st_size > 2_000_000

    def writing_on_postgresql() -> bool:
        with engine.connect() as connection:
            return bool(connection.execute(sa.text(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state <> 'idle' AND query LIKE 'INSERT INTO %'")).scalar())
    return writing_on_postgresql


@pytest.mark.slow
def test_a_process_killed_in_the_middle_of_an_import_leaves_the_database_as_before(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    log(engine, referral(subject="S-1", occurred_at="2024-05-01"), referral(occurred_at="2024-06-01"))
    before, figures = exported(engine), all_figures(engine)
    big = tmp_path / "big.jsonl"
    big.write_text("\n".join(_many_lines(60_000)) + "\n")
    process = _run(database_url, "import", str(big), "--as", "importer")
    _kill_when(_import_is_writing(engine, database_url), process, "the import wrote", delay=0.3)
    assert process.returncode == -signal.SIGKILL
    assert exported(engine) == before
    assert all_figures(engine) == figures
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(_many_lines(50, seed=8)) + "\n")
    again = _run(database_url, "import", str(small))
    assert again.wait(timeout=120) == 0
    assert len(exported(engine)) == len(before) + 50


@pytest.mark.slow
def test_a_process_killed_in_the_middle_of_a_rebuild_leaves_figures_readable_and_resumable(
    engine: Engine, database_url: str
) -> None:
    total = REBUILD_BATCH + 5_000  # at least one batch committed before the kill, more to do
    assert not import_jsonl(engine, _many_lines(total)).errors
    figures = all_figures(engine)

    def building_past_first_batch() -> bool:
        with reading(engine) as connection:
            row = connection.execute(
                sa.select(projection_state.c.generation, projection_state.c.position)
                .where(projection_state.c.status == "building")
            ).first()
        return row is not None and row.position > 0

    process = _run(database_url, "rebuild")
    _kill_when(building_past_first_batch, process, "the rebuild committed a batch")
    assert process.returncode == -signal.SIGKILL
    with reading(engine) as connection:
        building = connection.execute(
            sa.select(projection_state).where(projection_state.c.status == "building")
        ).one()
    assert 0 < building.position < total
    assert all_figures(engine) == figures
    log(engine, referral(occurred_at="2024-05-01", risk="high"))
    figures_with_late_event = all_figures(engine)
    assert rebuild(engine) == building.generation
    assert all_figures(engine) == figures_with_late_event


def _fails(*_: object) -> None:
    raise RuntimeError("projection failed")


@pytest.mark.parametrize("method", ["_write_totals", "_write_referrals", "_write_members"])
def test_a_failing_projection_rolls_the_append_back(
    engine: Engine, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    log(engine, referral(subject="S-1", occurred_at="2024-05-01"))
    before, figures = exported(engine), all_figures(engine)
    monkeypatch.setattr(Projector, method, _fails)
    with pytest.raises(RuntimeError, match="projection failed"):
        log(engine, referral(subject="S-1", occurred_at="2024-06-01"),
            event("deployment.made", "mobile-cctv", "2024-06-01", asset="camera 1", location="A"))
    assert exported(engine) == before
    assert all_figures(engine) == figures
    with engine.connect() as connection:
        keys = connection.exec_driver_sql("SELECT COUNT(*) FROM subject_keys").scalar_one()
    assert keys == 1
    monkeypatch.undo()
    log(engine, referral(subject="S-1", occurred_at="2024-06-01"))
    assert value(engine, "davss.referrals") == 2


def test_a_failing_projection_rolls_a_whole_import_back(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    original = Projector.apply

    def fails_on_the_third_chunk(self: Projector, connection: object, batch: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("projection failed")
        original(self, connection, batch)  # type: ignore[arg-type]

    monkeypatch.setattr(Projector, "apply", fails_on_the_third_chunk)
    # Fold every 1,000-line chunk, so two folds are written before the third fails.
    monkeypatch.setattr("events.store.PROJECT_EVERY", 1_000)
    with pytest.raises(RuntimeError):
        import_jsonl(engine, _many_lines(3_500))
    assert calls["n"] == 3
    assert exported(engine) == []
    assert all_figures(engine) == all_figures_empty(engine)


def all_figures_empty(engine: Engine) -> dict[tuple[str, str | None], dict[str, object]]:
    """Figures of a database with no events: every value zero or null."""
    figures = all_figures(engine)
    for period in figures.values():
        for figure in period.values():
            assert figure["value"] in (0, None, 0.0)
    return figures
