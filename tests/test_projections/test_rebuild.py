"""Rebuilding the read models from the events gives the same figures, stays readable, resumes."""

from __future__ import annotations

from itertools import islice
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events.db import reading, writing
from events.store import read_events
from projections.catalogue import load_figures
from projections.projector import Projector
from projections.rebuild import _start_or_resume, rebuild
from projections.tables import generation, projection_state
from tests.helpers import import_jsonl, log, referral, summary
from tests.seed_events import published_2019_20_events, published_2024_25_events

PERIODS = [(year, quarter) for year in ("2019/20", "2023/24", "2024/25")
           for quarter in (None, "Q1", "Q2", "Q3", "Q4")]


def _all_summaries(engine: Engine) -> dict[tuple[str, str | None], dict[str, Any]]:
    return {(year, quarter): summary(engine, year, quarter) for year, quarter in PERIODS}


def _load(engine: Engine) -> None:
    report = import_jsonl(engine, published_2019_20_events() + published_2024_25_events())
    assert report.errors == []


def _states(engine: Engine) -> dict[int, str]:
    with reading(engine) as connection:
        return {row.generation: row.status for row in connection.execute(
            sa.select(projection_state.c.generation, projection_state.c.status))}


def test_a_rebuild_gives_identical_summaries_for_every_year_and_quarter(engine: Engine) -> None:
    _load(engine)
    before = _all_summaries(engine)
    old = max(_states(engine))

    number = rebuild(engine)

    assert number == old + 1
    assert _states(engine)[number] == "current" and _states(engine)[old] == "retired"
    assert _all_summaries(engine) == before


def test_a_rebuild_folded_by_forked_workers_gives_identical_summaries(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load(engine)
    before = _all_summaries(engine)
    # Several workers on every batch, however small the log: each folds a range of its own.
    monkeypatch.setattr("projections.rebuild.PARALLEL_MIN", 1)
    progress: list[int] = []
    rebuild(engine, workers=3, batch_size=700,
            on_progress=lambda done, total: progress.append(done))
    assert len(progress) > 2
    assert _all_summaries(engine) == before


def test_figures_stay_readable_from_the_old_tables_while_a_rebuild_runs(engine: Engine) -> None:
    _load(engine)
    before = summary(engine)
    seen: list[tuple[int, int]] = []

    def read_midway(done: int, total: int) -> None:
        seen.append((done, total))
        assert summary(engine) == before

    rebuild(engine, on_progress=read_midway, batch_size=500)

    assert len(seen) >= 4
    assert seen[-1][0] == seen[-1][1]
    assert summary(engine) == before


def test_events_appended_during_a_rebuild_are_counted_once_it_swaps(engine: Engine) -> None:
    _load(engine)
    before = summary(engine)["figures"]["davss.referrals"]["value"]
    appended = []

    def append_midway(done: int, total: int) -> None:
        if len(appended) < 2:
            appended.extend(log(engine, referral(occurred_at="2024-08-01", risk="high")))
            assert summary(engine)["figures"]["davss.referrals"]["value"] == before + len(appended)

    rebuild(engine, on_progress=append_midway, batch_size=700)

    assert summary(engine)["figures"]["davss.referrals"]["value"] == before + 2
    rebuilt_again = summary(engine)
    rebuild(engine)
    assert summary(engine) == rebuilt_again


def test_a_rebuild_stopped_half_way_resumes_where_it_stopped(engine: Engine) -> None:
    _load(engine)
    before = _all_summaries(engine)
    # A rebuild that started, folded some batches, and whose process then stopped.
    with writing(engine) as connection:
        number = _start_or_resume(connection)
    for _ in range(2):
        with writing(engine) as connection:
            done = connection.execute(
                sa.select(projection_state.c.position)
                .where(projection_state.c.generation == number)
            ).scalar_one()
            batch = list(islice(read_events(connection, after=done), 300))
            Projector(load_figures(connection), generation(number)).apply(connection, batch)
    stopped_at = batch[-1].position
    assert _states(engine)[number] == "building"
    assert _all_summaries(engine) == before

    progress: list[int] = []
    resumed = rebuild(engine, on_progress=lambda done, total: progress.append(done),
                      batch_size=300)

    assert resumed == number
    assert progress[0] > stopped_at
    assert _states(engine)[number] == "current"
    assert _all_summaries(engine) == before


def test_a_rebuild_of_an_empty_log_swaps_in_empty_figures(engine: Engine) -> None:
    before = summary(engine)
    rebuild(engine)
    after = summary(engine)
    assert after == before
    assert after["figures"]["davss.referrals"]["value"] == 0
    assert after["as_of"] is None
