"""Helpers that let tests speak at the domain's level: `log(engine, referral(scheme="davss"))`."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from casebook.database import default_schemes, load_defaults, migrate
from events.clock import utc_now
from events.db import make_engine, reading, writing
from events.interchange import parse_event
from events.model import StoredEvent
from events.quarters import FinancialYear, parse_occurred_at, parse_quarter_label
from events.store import AppendReport, append, import_lines
from events.types import EVENT_TYPES
from projections.adopt import adopt
from projections.catalogue import load_plans
from projections.plan_check import read_plan
from projections.rebuild import project, rebuild
from projections.summary import build_summary

LOGGABLE = frozenset(name for name, kind in EVENT_TYPES.items() if kind.loggable)
#: The PostgreSQL server the tests create their databases on.
POSTGRES_ADMIN_URL = os.environ.get(
    "CASEBOOK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

#: For a module of page and permission tests whose outcome does not depend on the database kind:
#: its tests that use a database run on SQLite only (`pytestmark = ON_SQLITE_ONLY`; see
#: tests/conftest.py). Storage, query and projection tests stay on both databases.
ON_SQLITE_ONLY = pytest.mark.sqlite_only


def prepare_database(url: str) -> None:
    """Migrate, load the default schemes and figures, and build the first projections."""
    engine = make_engine(url)
    try:
        migrate(engine)
        load_defaults(engine)
        rebuild(engine)
    finally:
        engine.dispose()


def adopt_edited(engine: Engine, year: str, edit: Callable[[dict[str, Any]], None]) -> int:
    """Adopt a new version of `year`'s plan: the plan in force for it, changed by `edit` (on
    the plan file's content), through the check and adoption `casebook plan adopt` uses."""
    with writing(engine) as connection:
        plans = load_plans(connection)
        document = plans.for_year(FinancialYear.parse(year)).plan.as_file()
        document["year"] = year
        edit(document)
        schemes = [s["id"] for s in default_schemes()]
        checked = read_plan(document, schemes=schemes, adopted=plans.vocabulary)
        assert checked.plan is not None, [str(p) for p in checked.problems]
        return adopt(connection, checked.plan, by="tests", reason="a test's plan",
                     now=utc_now())


def adopt_figures(engine: Engine, *figures: dict[str, Any], year: str = "2024/25",
                  without: Sequence[str] = ()) -> int:
    """Adopt a new version of `year`'s plan with these figures added (and `without` removed)."""
    def edit(document: dict[str, Any]) -> None:
        document["figure"] = [f for f in document["figure"] if f["id"] not in without]
        document["figure"] += [dict(f) for f in figures]

    return adopt_edited(engine, year, edit)


def let_log_any_type(engine: Engine, scheme: str, years: Sequence[str]) -> None:
    """Let `scheme` log every loggable type in these years' plans (tests that try them all)."""
    def edit(document: dict[str, Any]) -> None:
        entries = [e for e in document["scheme"] if e["id"] != scheme]
        document["scheme"] = [*entries, {"id": scheme, "types": sorted(LOGGABLE)}]

    for year in years:
        adopt_edited(engine, year, edit)


def event(type_: str, scheme: str, occurred_at: str, case: str | None = None,
          event_id: str | None = None, **data: Any) -> dict[str, Any]:
    """One event in the interchange format."""
    line: dict[str, Any] = {
        "id": event_id or str(uuid.uuid4()),
        "type": type_,
        "scheme": scheme,
        "occurred_at": occurred_at,
        "data": data,
    }
    if case is not None:
        line["case"] = case
    return line


def referral(scheme: str = "davss", occurred_at: str = "2024-05-03", case: str | None = None,
             **data: Any) -> dict[str, Any]:
    return event("referral.received", scheme, occurred_at,
                 case or f"R-{uuid.uuid4().hex[:8]}", **data)


def notice(kind: str, case: str | None = None, occurred_at: str = "2024-05-03",
           scheme: str = "asb-casework") -> dict[str, Any]:
    return event("notice.issued", scheme, occurred_at, case, notice=kind)


def void(target: dict[str, Any] | StoredEvent, reason: str = "Logged in error",
         occurred_at: str = "2024-06-01") -> dict[str, Any]:
    target_id = target.event_id if isinstance(target, StoredEvent) else target["id"]
    scheme = target.scheme if isinstance(target, StoredEvent) else target["scheme"]
    return event("event.voided", scheme, occurred_at, target=target_id, reason=reason)


def log(engine: Engine, *lines: dict[str, Any], user: str = "tester",
        expected_versions: dict[str, int] | None = None,
        recorded_at: str | None = None) -> list[StoredEvent]:
    """Append events through the store's interactive path; raises if any is refused.

    `recorded_at` (an ISO date or time) records them as at that moment instead of now.
    """
    events = [parse_event(line, default_recorded_by=user) for line in lines]
    at = parse_occurred_at(recorded_at) if recorded_at is not None else None
    with writing(engine) as connection:
        report = append(connection, events, project=project, expected_versions=expected_versions,
                        recorded_at=at)
    return report.stored


def import_jsonl(engine: Engine, lines: Sequence[dict[str, Any] | str],
                 user: str = "importer") -> AppendReport:
    """Import lines as `casebook import` does: all or nothing."""
    texts = [line if isinstance(line, str) else json.dumps(line) for line in lines]
    with engine.connect() as connection:
        transaction = connection.execution_options(casebook_write=True).begin()
        report = import_lines(connection, texts, default_recorded_by=user, project=project)
        if report.errors:
            transaction.rollback()
        else:
            transaction.commit()
    return report


def summary(engine: Engine, year: str = "2024/25", quarter: str | None = None) -> dict[str, Any]:
    with reading(engine) as connection:
        return build_summary(connection, FinancialYear.parse(year),
                             parse_quarter_label(quarter) if quarter else None)


def value(engine: Engine, figure: str, year: str = "2024/25", quarter: str | None = None) -> Any:
    return summary(engine, year, quarter)["figures"][figure]["value"]
