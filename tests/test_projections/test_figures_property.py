"""For any valid history with voids, the projected figures equal figures recomputed naively."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from events.db import make_engine
from events.store import import_lines
from projections.rebuild import project, rebuild
from tests.helpers import log, summary
from tests.naive_figures import LONDON, moment_of, naive_summary
from tests.void_rules import voidable

FIRST_DAY = date(2022, 10, 1)
DAYS = (date(2025, 3, 31) - FIRST_DAY).days
SUBJECTS = [None, "S-000001", "S-000002", "S-000003"]
QUARTERS = [f"{y}/{(y + 1) % 100:02d} Q{n}" for y in (2022, 2023, 2024) for n in (1, 2, 3, 4)]
COMPARED = ("value", "previous", "breakdown", "base")
KINDS = [
    "davss", "davss", "davss", "mediation", "asb", "cpw", "cpn", "cpn-fpn", "application",
    "threshold", "panel", "freedom", "cctv", "kenward", "enrol", "leave", "join", "quit",
    "return", "return", "incident", "engagement", "void", "void", "void",
]


class History:
    """Draws a valid event history, keeping what the rules of spec §3 need to know."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]):
        self.draw = draw
        self.lines: list[dict[str, Any]] = []
        self.voided: set[str] = set()

    def occurred_at(self) -> str:
        day = FIRST_DAY + timedelta(days=self.draw(st.integers(0, DAYS)))
        # Times near midnight, where UTC and London disagree about the date, come up often.
        hour = self.draw(st.sampled_from([0, 0, 1, 12, 22, 23, 23]))
        minute = self.draw(st.sampled_from([0, 15, 30, 59]))
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)
        form = self.draw(st.sampled_from(["date", "naive", "utc", "offset"]))
        if form == "date":
            return day.isoformat()
        if form == "naive":
            return local.replace(tzinfo=None).isoformat()
        if form == "utc":
            return local.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return local.isoformat()

    def add(self, type_: str, scheme: str, case: str | None = None, at: str | None = None,
            **data: Any) -> dict[str, Any]:
        line: dict[str, Any] = {
            "id": str(uuid.UUID(int=len(self.lines) + 1)),
            "type": type_,
            "scheme": scheme,
            "occurred_at": at or self.occurred_at(),
            "recorded_by": "tester",
            "data": {k: v for k, v in data.items() if v is not None},
        }
        if case is not None:
            line["case"] = case
        self.lines.append(line)
        return line

    def standing(self, type_: str, case: str | None = None, **data: Any) -> list[dict[str, Any]]:
        return [line for line in self.lines
                if line["type"] == type_ and line["id"] not in self.voided
                and (case is None or line.get("case") == case)
                and all(line["data"].get(k) == v for k, v in data.items())]

    def step(self, kind: str) -> None:
        pick = self.draw
        if kind == "davss":
            self.add("referral.received", "davss", f"DA-{pick(st.integers(1, 6))}",
                     subject=pick(st.sampled_from(SUBJECTS)),
                     risk=pick(st.sampled_from([None, "standard", "medium", "high"])),
                     gender=pick(st.sampled_from([None, "female", "male", "other"])))
        elif kind == "mediation":
            self.add("referral.received", "mediation", f"MED-{pick(st.integers(1, 3))}",
                     category=pick(st.sampled_from([None, "neighbour", "family"])))
        elif kind == "asb":
            self.add("referral.received", "asb-casework", f"ASB-{pick(st.integers(1, 4))}")
        elif kind == "cpw":
            self.add("notice.issued", "asb-casework", f"ASB-{pick(st.integers(1, 4))}",
                     notice="cpw")
        elif kind in ("cpn", "cpn-fpn"):
            case = f"ASB-{pick(st.integers(1, 4))}"
            needed = "cpw" if kind == "cpn" else "cpn"
            at = self.occurred_at()
            if any(moment_of(e["occurred_at"]) <= moment_of(at)
                   for e in self.standing("notice.issued", case, notice=needed)):
                self.add("notice.issued", "asb-casework", case, at, notice=kind)
        elif kind == "application":
            self.add("application.received", "asb-case-review", f"ACR-{pick(st.integers(1, 2))}")
        elif kind == "threshold":
            case = f"ACR-{pick(st.integers(1, 2))}"
            at = self.occurred_at()
            applications = [e for e in self.standing("application.received", case)
                            if moment_of(e["occurred_at"]) <= moment_of(at)]
            if len(applications) > len(self.standing("threshold.decided", case)):
                self.add("threshold.decided", "asb-case-review", case, at,
                         met=pick(st.booleans()))
        elif kind == "panel":
            self.add("panel.held", "asb-case-review", None, panel="case-review",
                     recommendations=pick(st.sampled_from([None, 0, 1, 3])))
        elif kind == "freedom":
            self.add("programme.delivered", "freedom-programme", run="Run",
                     attendees=pick(st.integers(0, 12)))
        elif kind == "cctv":
            self.add("deployment.made", "mobile-cctv", asset=pick(st.sampled_from("ABC")),
                     location=pick(st.sampled_from(["High St", "Park", "Station", "Quay"])))
        elif kind == "kenward":
            self.add("engagement.recorded", "kenward-trust", kind="outreach",
                     people=pick(st.integers(0, 40)),
                     location=pick(st.sampled_from([None, "Tonbridge", "Snodland"])))
        elif kind in ("enrol", "leave"):
            self.add("participant.enrolled" if kind == "enrol" else "participant.left", "cdap",
                     f"CDAP-{pick(st.integers(1, 3))}")
        elif kind in ("join", "quit"):
            self.add("member.joined" if kind == "join" else "member.left", "safer-towns",
                     member=pick(st.sampled_from(["Shop", "Cafe", "Bank"])))
        elif kind == "return":
            self.add("return.submitted", "idva",
                     indicator=pick(st.sampled_from(["people-supported", "people-supported",
                                                     "calls"])),
                     quarter=pick(st.sampled_from(QUARTERS)), value=pick(st.integers(0, 90)))
        elif kind == "incident":
            self.add("incident.reported", "asb-enforcement",
                     category=pick(st.sampled_from(["flytipping", "littering"])),
                     location="Tonbridge")
        elif kind == "engagement":
            self.add("engagement.recorded", "community-events",
                     kind=pick(st.sampled_from(["community-event", "outreach"])),
                     people=pick(st.integers(0, 200)))
        elif kind == "void":
            targets = [line for line in self.lines
                       if line["type"] != "event.voided" and line["id"] not in self.voided
                       and voidable(self.lines, line, self.voided)]
            if targets:
                target = pick(st.sampled_from(targets))
                self.voided.add(target["id"])
                self.add("event.voided", target["scheme"], target=target["id"],
                         reason="Logged in error")


def _store(engine: Engine, lines: list[dict[str, Any]], draw: Callable[..., Any]) -> None:
    """Store the lines in random batches, some appended interactively, some imported."""
    start = 0
    while start < len(lines):
        size = draw(st.integers(1, 12))
        batch = lines[start:start + size]
        start += size
        if draw(st.booleans()):
            log(engine, *batch)
            continue
        with engine.connect() as connection:
            transaction = connection.execution_options(casebook_write=True).begin()
            report = import_lines(connection, [json.dumps(line) for line in batch],
                                  default_recorded_by="importer", project=project,
                                  chunk_size=draw(st.integers(1, 5)))
            assert report.errors == [], report.errors
            transaction.commit()


def _projected(engine: Engine, year: str, quarter: str | None) -> dict[str, Any]:
    return {figure_id: {k: v for k, v in entry.items() if k in COMPARED}
            for figure_id, entry in summary(engine, year, quarter)["figures"].items()}


def _assert_projections_match(engine: Engine, lines: list[dict[str, Any]]) -> None:
    for start_year in (2022, 2023, 2024):
        year = f"{start_year}/{(start_year + 1) % 100:02d}"
        for number in (None, 1, 2, 3, 4):
            expected = naive_summary(lines, start_year, number)
            actual = _projected(engine, year, f"Q{number}" if number else None)
            assert actual == expected, (year, number)


@pytest.mark.slow
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_projected_figures_equal_figures_recomputed_from_the_raw_events_before_and_after_rebuild(
    new_database_url: Callable[[], str], data: st.DataObject
) -> None:
    history = History(data.draw)
    for _ in range(data.draw(st.integers(1, 60), label="events")):
        history.step(data.draw(st.sampled_from(KINDS)))
    engine = make_engine(new_database_url())
    try:
        _store(engine, history.lines, data.draw)
        _assert_projections_match(engine, history.lines)
        rebuild(engine, batch_size=data.draw(st.integers(1, 50)))
        _assert_projections_match(engine, history.lines)
    finally:
        engine.dispose()
