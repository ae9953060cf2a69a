"""Writers for the concurrency tests: each appends events and says which were acknowledged."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events.db import make_engine, reading
from events.store import ConcurrencyConflict
from events.tables import cases
from tests.helpers import event, log, referral

CASES = ["DA-C1", "DA-C2", "DA-C3"]


@dataclass
class Tally:
    """What one writer was told: events acknowledged, events refused (and why)."""

    acknowledged: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def line_for(writer: int, n: int) -> dict[str, Any]:
    """Every third event a scheme-level one, the rest referrals to a few shared cases."""
    day = f"2024-{4 + n % 9:02d}-{1 + writer:02d}"
    if n % 3 == 2:
        return event("engagement.recorded", "community-events", day, kind="outreach",
                     people=1 + n % 7, event_id=str(uuid.uuid4()))
    return referral(scheme="davss", case=CASES[(writer + n) % len(CASES)], occurred_at=day,
                    subject=f"S-{(writer + n) % 5}", risk=["standard", "medium", "high"][n % 3])


def write(engine: Engine, writer: int, count: int) -> Tally:
    """Append `count` events one at a time, each against the case version just read."""
    tally = Tally()
    for n in range(count):
        line = line_for(writer, n)
        expected = None
        if "case" in line:
            with reading(engine) as connection:
                version = connection.execute(
                    sa.select(cases.c.version).where(cases.c.case_ref == line["case"])
                ).scalar()
            expected = {line["case"]: version or 0}
        try:
            stored = log(engine, line, user=f"writer-{writer}", expected_versions=expected)
        except ConcurrencyConflict as conflict:
            tally.refused[line["id"]] = str(conflict)
        except sa.exc.OperationalError as busy:
            tally.refused[line["id"]] = str(busy.orig)
        else:
            tally.acknowledged.extend(e.event_id for e in stored)
    return tally


def write_in_process(url: str, writer: int, count: int, out: str) -> None:
    """A whole writer process: its own engine, its tally written to `out` as JSON."""
    engine = make_engine(url)
    try:
        tally = write(engine, writer, count)
    finally:
        engine.dispose()
    Path(out).write_text(json.dumps({"acknowledged": tally.acknowledged, "refused": tally.refused}))
