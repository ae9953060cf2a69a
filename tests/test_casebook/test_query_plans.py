"""Every page the pages bench measures reads the event log through an index, never by a full
scan of `events`: the statements each page really runs, captured while it is asked for, are
explained by the database itself (SQLite's EXPLAIN QUERY PLAN; PostgreSQL's EXPLAIN with
sequential scans priced out, so that any scan it still chooses is one no index could avoid).

The pages are the bench's own list (`tests.bench.bench_pages.PAGES`): a page added there is
checked here too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.bench import bench_pages
from tests.bench.synth import synthetic_events

#: Enough events for a case of 500 (`synth.LONG_CASE`) and a few pages of every filter.
EVENTS = 5_000
_READS_EVENTS = re.compile(r'\bFROM\s+"?events"?(\s|$)|\bJOIN\s+"?events"?\s', re.IGNORECASE)
#: SQLite's words for reading a whole table or index (a seek is "SEARCH").
_SQLITE_FULL_SCAN = re.compile(r"^SCAN events\b")


def _site(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> bench_pages.Site:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in synthetic_events(EVENTS)), "utf-8")
    result = runner.invoke(args=["casebook", "import", str(path)])
    assert result.exit_code == 0, result.output[-2000:]
    app.config["FROZEN_NOW"] = bench_pages.NOW
    return bench_pages.prepare(app)


def _captured(app: Flask, built: bench_pages.Site, page: bench_pages.Page) -> list[tuple[str, Any]]:
    """The statements reading `events` that asking for the page runs."""
    engine = app.extensions["casebook.engine"]
    address = page.address(built)
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _c: Any, _m: bool) -> None:
        if _READS_EVENTS.search(statement) and not statement.lstrip().upper().startswith(
                ("INSERT", "UPDATE", "DELETE", "EXPLAIN")):
            seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        bench_pages.get(built, page, address)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def _full_scans(app: Flask, statement: str, parameters: Any) -> list[str]:
    """The plan's lines that read the whole of `events`, as the database would run it."""
    engine = app.extensions["casebook.engine"]
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            plan = [str(row[-1]) for row in connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters)]
            return [line for line in plan if _SQLITE_FULL_SCAN.match(line)]
        connection.exec_driver_sql("SET enable_seqscan = off")
        plan = [str(row[0]) for row in connection.exec_driver_sql("EXPLAIN " + statement,
                                                                     parameters)]
        connection.rollback()
        return [line for line in plan if re.search(r"Seq Scan on events\b", line)]


def test_every_page_of_the_bench_reads_events_through_an_index(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    built = _site(app, runner, tmp_path)
    scans: dict[str, list[str]] = {}
    reading_events = set()
    for page in bench_pages.PAGES:
        for statement, parameters in _captured(app, built, page):
            reading_events.add(page.name)
            found = _full_scans(app, statement, parameters)
            if found and not page.walks:
                scans.setdefault(page.name, []).extend(found)
    assert scans == {}
    # The listener saw the pages that list events (else the test would check nothing).
    listing = {p.name for p in bench_pages.PAGES
               if p.name.startswith(("event log", "GET /api/events", "case page", "figure"))}
    assert listing <= reading_events, listing - reading_events
