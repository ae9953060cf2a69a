"""For random plans, one per year, and random histories over the three years, the figures read
from the projections equal figures recomputed naively from each year's own plan (spec §8):
before and after a rebuild, and after a new version of one year's plan is adopted mid-history."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from casebook.database import default_schemes
from casebook.services.recording import record, record_lines
from events.db import make_engine, writing
from events.interchange import parse_event
from events.types import EVENT_TYPES
from projections.adopt import adopt
from projections.catalogue import load_plans
from projections.plan import Plan, default_plan_files
from projections.plan_check import read_plan
from projections.rebuild import rebuild
from tests.casework_support import add_officers
from tests.helpers import adopt_figures, event, log, summary, void
from tests.naive_figures import LONDON, naive_figures
from tests.void_rules import voidable

YEARS = (2023, 2024, 2025)
SCHEMES = ("asb-casework", "davss", "community-events", "channel")
CASES = {"asb-casework": "ASB", "davss": "DA", "channel": "CH"}
#: Who cases are assigned to: the store refuses anyone who is not an active user.
OFFICERS = ("j.smith", "a.khan")
#: Types a plan's edit may stop (or start again) a scheme logging.
OPTIONAL_TYPES = {"asb-casework": "notice.issued", "channel": "panel.held"}
CLOSURE_ORDER = {"field": "notice", "value": "closure-order", "label": "Closure order"}
#: The fields a `where` or a breakdown may name, per type, and the values drawn for them.
FIELDS = {"referral.received": ("risk", "source"), "notice.issued": ("notice",),
          "engagement.recorded": ("kind",), "panel.held": ("panel",)}
VALUES = {"risk": ["standard", "medium", "high"], "source": ["police", "self", "school"],
          "notice": ["warning-letter", "cpw", "dispersal"], "kind": ["outreach", "community-event"],
          "panel": ["channel", "other"]}
COMPARED = ("value", "previous", "breakdown", "base")
Draw = Callable[[st.SearchStrategy[Any]], Any]


def _label(start: int) -> str:
    return f"{start}/{(start + 1) % 100:02d}"


def _choices(name: str, words: Sequence[str]) -> list[str]:
    return VALUES[name] + (list(words) if name == "notice" else [])


def _definition(draw: Draw, figure_id: str, scheme: str, logged: Sequence[str],
                words: Sequence[str]) -> dict[str, Any]:
    """A random figure over the types `scheme` logs."""
    types = draw(st.lists(st.sampled_from(sorted(logged)), min_size=1, unique=True))
    measures = ["count"]
    if any(EVENT_TYPES[t].case_allowed for t in types):
        measures.append("distinct:case")
    if types == ["engagement.recorded"]:
        measures += ["sum:people", "distinct:location"]
    figure: dict[str, Any] = {"id": figure_id, "label": f"Figure {figure_id}", "scheme": scheme,
                              "types": types, "measure": draw(st.sampled_from(measures))}
    fields = sorted({name for t in types for name in FIELDS.get(t, ())})
    if fields and draw(st.booleans()):
        name = draw(st.sampled_from(fields))
        figure["where"] = {name: draw(st.sampled_from(_choices(name, words)))}
    if fields and figure["measure"] in ("count", "sum:people") and draw(st.booleans()):
        figure["breakdown"] = [draw(st.sampled_from(fields))]
    if draw(st.integers(0, 5)) == 0 and figure["measure"] in ("count", "distinct:case"):
        del figure["types"]  # every type
        figure.pop("where", None)
        figure.pop("breakdown", None)
    return figure


def _edit(draw: Draw, document: dict[str, Any], words: Sequence[str]) -> dict[str, Any]:
    """The plan file with a few figures of SCHEMES added, removed or redefined."""
    document = copy.deepcopy(document)
    logged = {entry["id"]: entry["types"] for entry in document["scheme"]}
    for scheme, optional in OPTIONAL_TYPES.items():
        if draw(st.integers(0, 3)) == 0:
            types = logged[scheme]
            types[:] = [t for t in types if t != optional] if optional in types else types + [
                optional]
    figures = [f for f in document["figure"] if set(f.get("types", ())) <= set(logged[f["scheme"]])]
    for _ in range(draw(st.integers(1, 3))):
        ours = [f["id"] for f in figures if f["scheme"] in SCHEMES]
        change = draw(st.sampled_from(["add", "remove", "redefine"] if ours else ["add"]))
        if change == "add":
            scheme = draw(st.sampled_from(SCHEMES))
            number = 1 + max((int(f["id"][6:]) for f in figures if f["id"].startswith("drawn.")),
                             default=0)
            figures.append(_definition(draw, f"drawn.{number}", scheme, logged[scheme], words))
            continue
        chosen = draw(st.sampled_from(ours))
        at = next(n for n, f in enumerate(figures) if f["id"] == chosen)
        if change == "remove":
            del figures[at]
        else:
            scheme = figures[at]["scheme"]
            figures[at] = _definition(draw, chosen, scheme, logged[scheme], words)
    document["figure"] = figures
    return document


def _adopt(engine: Engine, document: dict[str, Any], now: datetime) -> Plan:
    with writing(engine) as connection:
        plans = load_plans(connection)
        checked = read_plan(document, schemes=[s["id"] for s in default_schemes()],
                            adopted=plans.vocabulary)
        assert checked.problems == [], [str(p) for p in checked.problems]
        assert checked.plan is not None
        adopt(connection, checked.plan, by="tests", reason="a drawn plan", now=now)
    return checked.plan


class History:
    """Draws events that each year's plan lets its schemes log, and voids of them."""

    def __init__(self, draw: Draw):
        self.draw = draw
        self.lines: list[dict[str, Any]] = []
        self.voided: set[str] = set()

    def step(self, plans: dict[int, Plan], words: Sequence[str]) -> dict[str, Any] | None:
        draw = self.draw
        if draw(st.integers(0, 5)) == 0:
            return self._void()
        start = draw(st.sampled_from(YEARS))
        days = (date(start + 1, 4, 1) - date(start, 4, 1)).days
        day = date(start, 4, 1) + timedelta(days=draw(st.integers(0, days - 1)))
        # Late evening in summer is the next day in UTC: the London date decides the year.
        local = datetime(day.year, day.month, day.day, draw(st.sampled_from([0, 12, 23])), 30,
                         tzinfo=LONDON)
        occurred_at = draw(st.sampled_from([
            day.isoformat(), local.isoformat(), local.astimezone(UTC).isoformat()]))
        scheme = draw(st.sampled_from(SCHEMES))
        logged = plans[start].types_of(scheme)
        assert logged is not None
        # A compliance check needs its notice first: the figures here count no check.
        type_ = draw(st.sampled_from(sorted(logged - {"compliance.checked"})))
        case = f"{CASES[scheme]}-{draw(st.integers(1, 4))}" if scheme in CASES else None
        data = self._data(type_, scheme, words)
        if type_ in ("panel.held", "notice.issued") and data.get("notice") != "cpw":
            case = draw(st.sampled_from([None, case]))
        return self._add(event(type_, scheme, occurred_at, case, self._next_id(), **data))

    def _data(self, type_: str, scheme: str, words: Sequence[str]) -> dict[str, Any]:
        draw = self.draw
        if type_ == "referral.received":
            subject = draw(st.sampled_from([None, "S-1", "S-2"])) if scheme == "davss" else None
            found = {"risk": draw(st.sampled_from([None, *VALUES["risk"]])),
                     "source": draw(st.sampled_from([None, *VALUES["source"]])),
                     "subject": subject}
        elif type_ == "notice.issued":
            found = {"notice": draw(st.sampled_from(_choices("notice", words)))}
        elif type_ == "engagement.recorded":
            found = {"kind": draw(st.sampled_from(VALUES["kind"])),
                     "people": draw(st.integers(0, 60)),
                     "location": draw(st.sampled_from([None, "Hall", "Park"]))}
        elif type_ == "panel.held":
            found = {"panel": draw(st.sampled_from(VALUES["panel"]))}
        elif type_ == "case.assigned":
            found = {"officer": draw(st.sampled_from(OFFICERS))}
        else:
            found = {}
        return {k: v for k, v in found.items() if v is not None}

    def _void(self) -> dict[str, Any] | None:
        targets = [line for line in self.lines
                   if line["type"] != "event.voided" and line["id"] not in self.voided
                   and voidable(self.lines, line, self.voided)]
        if not targets:
            return None
        target = self.draw(st.sampled_from(targets))
        self.voided.add(target["id"])
        return self._add({**void(target), "id": self._next_id()})

    def _next_id(self) -> str:
        return f"00000000-0000-4000-8000-{len(self.lines) + 1:012d}"

    def _add(self, line: dict[str, Any]) -> dict[str, Any]:
        self.lines.append(line)
        return line


def _store(engine: Engine, lines: list[dict[str, Any]], draw: Draw) -> None:
    """Store the lines in random batches, some logged as the pages and API do, some imported as
    `casebook import` does: both through the plan's acceptance, so its rules hold."""
    start = 0
    while start < len(lines):
        batch = lines[start:start + draw(st.integers(1, 10))]
        start += len(batch)
        with writing(engine) as connection:
            if draw(st.booleans()):
                acceptance = load_plans(connection).acceptance
                recorded = record(connection, [
                    parse_event(line, default_recorded_by="tester", acceptance=acceptance)
                    for line in batch])
                assert not recorded.refused, recorded.refusals
            else:
                report = record_lines(connection, [json.dumps(line) for line in batch],
                                      default_recorded_by="importer")
                assert report.errors == []


def _assert_figures_match(engine: Engine, lines: list[dict[str, Any]],
                          documents: dict[int, dict[str, Any]]) -> None:
    for start in YEARS:
        for quarter in (None, 1, 2, 3, 4):
            expected = naive_figures(lines, documents[start]["figure"], start, quarter)
            actual = {figure_id: {k: v for k, v in entry.items() if k in COMPARED}
                      for figure_id, entry in summary(
                          engine, _label(start), f"Q{quarter}" if quarter else None
                      )["figures"].items()}
            wrong = {k: (actual.get(k), expected.get(k)) for k in {*actual, *expected}
                     if actual.get(k) != expected.get(k)}
            assert wrong == {}, (_label(start), quarter)


def _draw_plans(draw: Draw) -> dict[int, dict[str, Any]]:
    """2023/24 (new: 2024/25's default, edited), then 2024/25 and 2025/26 edited."""
    later, latest = (copy.deepcopy(d) for d in default_plan_files())
    first = {**copy.deepcopy(later), "year": "2023/24", "reason": "A year before the default"}
    if draw(st.booleans()):
        first["vocabulary"] = [dict(CLOSURE_ORDER)]
    words = [CLOSURE_ORDER["value"]] if "vocabulary" in first else []
    return {2023: _edit(draw, first, words), 2024: _edit(draw, later, words),
            2025: _edit(draw, latest, words)}


@pytest.mark.slow
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_each_years_figures_are_its_own_plans_before_and_after_rebuild_and_a_new_plan(
    new_database_url: Callable[[], str], data: st.DataObject
) -> None:
    draw = data.draw
    documents = _draw_plans(draw)
    words = [w["value"] for w in documents[2023].get("vocabulary", [])]
    engine = make_engine(new_database_url())
    try:
        plans = {start: _adopt(engine, documents[start], datetime(2026, 4, 1, tzinfo=UTC))
                 for start in YEARS}
        add_officers(engine, *OFFICERS)
        history = History(draw)
        for _ in range(draw(st.integers(1, 40), label="events before")):
            history.step(plans, words)
        _store(engine, history.lines, draw)
        _assert_figures_match(engine, history.lines, documents)

        changed = draw(st.sampled_from(YEARS), label="year of the new plan")
        documents[changed] = _edit(draw, documents[changed], words)
        plans[changed] = _adopt(engine, documents[changed], datetime(2026, 4, 2, tzinfo=UTC))
        stored = len(history.lines)
        for _ in range(draw(st.integers(0, 30), label="events after")):
            history.step(plans, words)
        _store(engine, history.lines[stored:], draw)
        _assert_figures_match(engine, history.lines, documents)

        rebuild(engine, batch_size=draw(st.integers(1, 50)))
        _assert_figures_match(engine, history.lines, documents)
    finally:
        engine.dispose()


def _history_over_two_years(engine: Engine) -> None:
    lines = []
    for n, day in enumerate(["2024-05-03", "2024-11-20", "2025-06-10", "2026-01-15"], start=1):
        lines += [event("notice.issued", "asb-casework", day, f"ASB-{n}", notice="cpw"),
                  event("notice.issued", "asb-casework", day, notice="warning-letter"),
                  event("referral.received", "davss", day, f"DA-{n}", risk="high"),
                  event("referral.received", "davss", day, f"DA-{n}b", risk="standard")]
    lines.append(event("notice.issued", "asb-casework", "2025-06-11", notice="warning-letter"))
    log(engine, *lines)


def _summaries(engine: Engine, year: str) -> list[dict[str, Any]]:
    return [summary(engine, year, quarter) for quarter in (None, "Q1", "Q2", "Q3", "Q4")]


@pytest.mark.parametrize(("adopted", "untouched", "figure", "redefined", "new_values"), [
    ("2025/26", "2024/25", "asb.cpw", {"where": {"notice": "warning-letter"}}, (3, 2)),
    ("2024/25", "2025/26", "davss.referrals", {"where": {"risk": "high"}}, (2, None)),
])
def test_adopting_a_plan_for_one_year_leaves_every_figure_of_the_other_unchanged(
    engine: Engine, adopted: str, untouched: str, figure: str, redefined: dict[str, Any],
    new_values: tuple[int, int | None],
) -> None:
    _history_over_two_years(engine)
    before = _summaries(engine, untouched)
    definition = next(f for f in default_plan_files()[0]["figure"] if f["id"] == figure)

    adopt_figures(engine, {**definition, **redefined}, year=adopted, without=[figure])

    assert _summaries(engine, untouched) == before
    # The default definitions give (2, 2) for asb.cpw in 2025/26, (4, None) for davss.referrals.
    new = summary(engine, adopted)["figures"][figure]
    assert (new["value"], new["previous"]) == new_values
