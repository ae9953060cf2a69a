"""Voids that keep the rules: an event a later standing event needs cannot be voided alone.

The pairs come from the rules themselves (`events.rules.NEEDS`), so a rule added there is tested
here too: each is built, its needed event voided through the store's append and its import, and
refused naming the dependent; voiding the dependent first, or both in one append, is accepted,
and the figures then equal a naive count from the raw events.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine

from events.checks import DEPENDENTS
from events.rules import NEEDS, Kind, Need
from events.store import EventsRefused
from tests.helpers import event, import_jsonl, log, summary, void
from tests.naive_figures import definitions, naive_summary

#: What each type needs beyond what a rule's kind says (its schema's required fields).
_REQUIRED: dict[str, dict[str, Any]] = {"threshold.decided": {"met": True},
                                        "compliance.checked": {"complied": True}}
#: Where a type no packaged figure counts is logged: beside the notices it checks.
_LOGGED_IN = {"compliance.checked": "asb-casework"}


def _scheme_of(kind: Kind) -> str:
    """A scheme whose packaged figures count this type: one that logs it."""
    if kind.type in _LOGGED_IN:
        return _LOGGED_IN[kind.type]
    return next(f["scheme"] for f in definitions() if kind.type in f.get("types", []))


def _needed_by(kind: Kind) -> list[Kind]:
    """The kinds the rules ask for before `kind` can be logged, furthest first."""
    for need in NEEDS:
        if need.dependent == kind:
            return [*_needed_by(need.needed), need.needed]
    return []


def _line(kind: Kind, day: int, case: str) -> dict[str, Any]:
    data = {**({"notice": kind.notice} if kind.notice else {}), **_REQUIRED.get(kind.type, {})}
    return event(kind.type, _scheme_of(kind), f"2024-05-{day:02d}T10:00:00+01:00", case, **data)


def _pair(need: Need, case: str) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """What the needed event itself needs, the needed event (on 10 May), its dependent (20 May)."""
    before = [_line(kind, n + 1, case) for n, kind in enumerate(_needed_by(need.needed))]
    return before, _line(need.needed, 10, case), _line(need.dependent, 20, case)


def _refusal_words(need: Need) -> list[str]:
    return [f"This {need.needed.name} cannot be voided",
            f"the {need.dependent.name} of 20 May 2024 in this case depends on it",
            f"Void the {need.dependent.short} first."]


RULES = pytest.mark.parametrize("need", NEEDS, ids=[
    f"{n.dependent.short} needs {n.needed.short}" for n in NEEDS])


@RULES
def test_a_needed_event_is_not_voided_alone_on_append_or_import(engine: Engine, need: Need) -> None:
    before, needed, dependent = _pair(need, "C-1")
    log(engine, *before, needed, dependent)
    with pytest.raises(EventsRefused) as refused:
        log(engine, void(needed))
    [words] = [e.message for e in refused.value.errors if e.field == "data.target"]
    assert all(part in words for part in _refusal_words(need)), words
    assert [e.message for e in refused.value.errors if e.field == DEPENDENTS] == [dependent["id"]]

    report = import_jsonl(engine, [void(needed)])
    assert report.written == 0
    assert [(e.line, e.field) for e in report.errors] == [(1, "data.target"), (1, DEPENDENTS)]
    assert all(part in report.errors[0].message for part in _refusal_words(need))

    log(engine, void(dependent))
    log(engine, void(needed))


@RULES
def test_a_file_checks_a_void_against_its_own_earlier_lines(engine: Engine, need: Need) -> None:
    before, needed, dependent = _pair(need, "C-2")
    report = import_jsonl(engine, [*before, needed, dependent, void(needed)])
    assert {e.line for e in report.errors} == {len(before) + 3}  # the file is rolled back
    assert import_jsonl(engine, [*before, needed, dependent, void(dependent),
                                 void(needed)]).errors == []


@RULES
def test_a_void_stands_when_another_earlier_event_still_meets_the_rule(
    engine: Engine, need: Need
) -> None:
    before, needed, dependent = _pair(need, "C-3")
    another = _line(need.needed, 12, "C-3")
    log(engine, *before, needed, another, dependent)
    log(engine, void(needed))
    with pytest.raises(EventsRefused):
        log(engine, void(another))


def test_one_decision_per_application_holds_through_a_void(engine: Engine) -> None:
    """Two applications each with its decision: voiding either application leaves a decision
    without one; the message names the decision that loses it."""
    [need] = [n for n in NEEDS if n.one_each is not None]
    first, second = _line(need.needed, 1, "C-4"), _line(need.needed, 3, "C-4")
    decided_first, decided_second = _line(need.dependent, 2, "C-4"), _line(need.dependent, 4, "C-4")
    log(engine, first, decided_first, second, decided_second)
    with pytest.raises(EventsRefused) as refused:
        log(engine, void(second))
    assert "of 4 May 2024" in str(refused.value)
    with pytest.raises(EventsRefused) as refused:
        log(engine, void(first))
    assert "of 2 May 2024" in str(refused.value)
    log(engine, void(decided_first), void(first))


@RULES
def test_voiding_the_chain_in_one_append_removes_every_link_from_the_figures(
    engine: Engine, need: Need
) -> None:
    before, needed, dependent = _pair(need, "C-5")
    other_case = _pair(need, "C-6")
    lines = [*before, needed, dependent, *other_case[0], other_case[1], other_case[2]]
    log(engine, *lines)
    voids = [void(dependent), void(needed)]
    log(engine, *voids)
    _assert_naive(engine, [*lines, *voids])
    with pytest.raises(EventsRefused):
        log(engine, void(needed))  # voided already


def _assert_naive(engine: Engine, lines: list[dict[str, Any]]) -> None:
    year = 2024
    for quarter in (None, 1):
        expected = naive_summary(lines, year, quarter)
        figures = summary(engine, "2024/25", f"Q{quarter}" if quarter else None)["figures"]
        actual = {k: {f: v for f, v in e.items() if f in ("value", "previous", "breakdown",
                                                            "base")}
                  for k, e in figures.items()}
        assert actual == expected, quarter
