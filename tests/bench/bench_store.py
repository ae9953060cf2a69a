"""casebook's own paths: interactive append, the import and rebuild commands, summaries."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from events.db import reading, writing
from events.interchange import parse_event
from events.model import NewEvent
from events.quarters import FinancialYear
from events.store import append
from projections.rebuild import project
from projections.summary import build_summary
from tests.bench.databases import Scratch
from tests.bench.measure import ChildRun, Latencies, run_child
from tests.bench.synth import synthetic_events

CASEBOOK = str(Path(sys.executable).parent / "casebook")
#: The year and quarter the summaries are asked for: inside the synthetic log's span.
SUMMARY_YEAR = FinancialYear.parse("2023/24")
SUMMARY_QUARTER = 2


def interactive_append(engine: Engine, lines: Sequence[dict[str, Any]]) -> Latencies:
    """Each event validated, checked and appended with its projections in its own transaction."""
    latencies = Latencies()
    for line in lines:
        start = time.perf_counter()
        event: NewEvent = parse_event(line, default_recorded_by="bench")
        with writing(engine) as connection:
            append(connection, [event], project=project)
        latencies.add(time.perf_counter() - start)
    return latencies


def write_file(folder: Path, count: int) -> Path:
    """The first `count` synthetic events as a JSON Lines file."""
    path = folder / f"events-{count}.jsonl"
    if not path.exists():
        with path.open("w", encoding="utf-8") as file:
            for line in synthetic_events(count):
                file.write(json.dumps(line) + "\n")
    return path


def _env(db: Scratch) -> dict[str, str]:
    return {**os.environ, "CASEBOOK_DATABASE_URL": db.url}


def _checked(run: ChildRun, what: str) -> ChildRun:
    if run.returncode != 0:
        raise RuntimeError(f"{what} failed ({run.returncode}): {run.stderr[-2000:]}")
    return run


def import_file(db: Scratch, path: Path) -> ChildRun:
    """`casebook import FILE` in a child process."""
    return _checked(run_child([CASEBOOK, "import", str(path)], _env(db)), f"import {path.name}")


def rebuild_command(db: Scratch) -> ChildRun:
    """`casebook rebuild` in a child process."""
    return _checked(run_child([CASEBOOK, "rebuild"], _env(db)), "rebuild")


def startup(db: Scratch) -> ChildRun:
    """A `casebook` command that does no work: the fixed cost in every command's time."""
    return _checked(run_child([CASEBOOK, "--help"], _env(db)), "casebook --help")


def summaries_in_turns(databases: dict[str, Scratch], *, runs: int = 15) -> dict[str, dict[str, float]]:
    """Median (and fastest) milliseconds of the year's and a quarter's summary on each database,
    after a warm-up: one of each per database in every round, so all meet the same conditions."""
    from events.db import make_engine

    engines = {name: make_engine(db.url) for name, db in databases.items()}
    kinds = (("year", None), ("quarter", SUMMARY_QUARTER))
    times: dict[tuple[str, str], list[float]] = {(n, k): [] for n in engines for k, _ in kinds}
    try:
        for attempt in range(runs + 1):
            for name, engine in engines.items():
                for kind, quarter in kinds:
                    start = time.perf_counter()
                    with reading(engine) as connection:
                        summary = build_summary(connection, SUMMARY_YEAR, quarter)
                    if not summary["figures"]:
                        raise RuntimeError("the summary has no figures")
                    if attempt:  # the first round is the warm-up
                        times[(name, kind)].append(time.perf_counter() - start)
    finally:
        for engine in engines.values():
            engine.dispose()
    result: dict[str, dict[str, float]] = {name: {} for name in engines}
    for (name, kind), taken in times.items():
        result[name][kind] = round(statistics.median(taken) * 1000, 2)
        result[name][f"{kind}_fastest"] = round(min(taken) * 1000, 2)
    return result
