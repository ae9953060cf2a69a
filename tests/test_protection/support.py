"""What the protection tests compare: every figure of every period, the log as exported."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import Engine

from events.db import reading
from events.store import read_events
from tests.helpers import summary

YEARS = ["2023/24", "2024/25", "2025/26"]
PERIODS = [(year, quarter) for year in YEARS for quarter in (None, "Q1", "Q2", "Q3", "Q4")]


def all_figures(engine: Engine) -> dict[tuple[str, str | None], dict[str, Any]]:
    """Every figure (value, previous, breakdowns) for every quarter and year of three years."""
    found = {}
    for year, quarter in PERIODS:
        document = summary(engine, year, quarter)
        found[(year, quarter)] = document["figures"]
    return found


def exported(engine: Engine) -> list[dict[str, Any]]:
    """The log as `casebook export` writes it."""
    with reading(engine) as connection:
        return [json.loads(json.dumps(e.to_interchange())) for e in read_events(connection)]


def timelines(engine: Engine) -> dict[str, list[tuple[str, str, str]]]:
    """Each case's events as (type, occurred_at, data) in order: what a case page shows."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    with reading(engine) as connection:
        for e in read_events(connection):
            if e.case_ref is not None:
                found.setdefault(e.case_ref, []).append(
                    (e.type, e.occurred_at.isoformat(), json.dumps(e.data, sort_keys=True))
                )
    return found
