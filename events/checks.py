"""Checking a chunk of events against what the stored log says and the events before them in it.

The lookups (`events.batch`) read what the rules need of the log; `check_chunk` decides each
event in order, keeping what the events accepted so far establish (their cases' versions, their
voids, the case histories the rules look back at), so a later event sees an earlier one at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events import dependents, rules, statements
from events.acceptance import SCHEMAS_ONLY, Acceptance
from events.driver import IN_CHUNK, DriverSQL, sorted_parts
from events.model import NewEvent
from events.references import case_key
from events.report import AppendReport, LineError
from events.tables import events
from events.types import VOIDED

#: The field under which a void's refusal lists the ids of the events that depend on its target.
DEPENDENTS = "data.dependents"

#: An accepted event and its stream version (None for an event in no case).
Accepted = tuple[NewEvent, int | None]


class ConcurrencyConflict(Exception):
    """The case changed since the writer last read it: reload and try again."""

    def __init__(self, case_ref: str, expected: int, actual: int):
        self.case_ref = case_ref
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"Case {case_ref} changed while you were working on it (you saw version {expected}, "
            f"it is now {actual}). Reload the case and try again."
        )


class EventIdReused(rules.RuleBroken):
    """An event id already stored with different content: another event needs an id of its own."""

    def __init__(self, event_id: str):
        self.event_id = event_id
        super().__init__(
            "id", f"An event with id {event_id} is already stored with different content."
        )


@dataclass
class Found:
    """What the stored log says about a chunk's events, as its lookups returned it."""

    known: set[str]
    targets: dict[str, dict[str, Any]]
    voided: set[str]
    #: Keyed by `case_key`, as the case index is.
    cases: dict[str, tuple[str, int]]
    history: dict[str, list[rules.CaseEntry]]
    #: Every scheme's case reference prefix (None where it has none).
    prefixes: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Checked:
    """The events of a chunk that may be stored, and the cases stored before the chunk."""

    accepted: list[Accepted]
    stored_cases: set[str]


def check_chunk(
    connection: Connection,
    chunk: list[tuple[int, NewEvent]],
    found: Found,
    schemes: dict[str, bool],
    report: AppendReport,
    *,
    expected_versions: Mapping[str, int],
    visible_schemes: AbstractSet[str] | None,
    acceptance: Acceptance = SCHEMAS_ONLY,
) -> Checked:
    """Decide each (line, event) of the chunk in order; duplicates and refusals go in `report`.

    Raises `ConcurrencyConflict` before anything else if a case is not at its expected version.
    """
    check_versions(found.cases, expected_versions, visible_schemes)
    _look_up_void_cases(connection, chunk, found)
    contents: dict[str, dict[str, Any] | NewEvent] = dict(
        statements.stored_contents(connection, found.known) if found.known else {}
    )
    checked = Checked([], set(found.cases))
    for line, event in chunk:
        try:
            if _is_duplicate(event, contents):
                report.duplicates.append(event.event_id)
                continue
            _check_rules(event, found, schemes, acceptance)
        except EventIdReused as reused:
            report.reused.append(reused.event_id)
            report.refuse(line, reused)
            continue
        except rules.RuleBroken as broken:
            report.refuse(line, broken)
            if isinstance(broken, dependents.DependentsStand):
                # For a program: the ids of the events to void first (or in the same append).
                report.errors.extend(LineError(line, DEPENDENTS, e.event_id)
                                     for e in broken.dependents)
            continue
        checked.accepted.append((event, _accept(event, found)))
        # Compared (its data as canonical JSON) only if the same id comes again: rarely.
        contents[event.event_id] = event
    return checked


def check_versions(
    cases: Mapping[str, tuple[str, int]], expected: Mapping[str, int],
    visible_schemes: AbstractSet[str] | None,
) -> None:
    """Raise `ConcurrencyConflict` for a case whose version is not the one expected.

    A case of a scheme outside `visible_schemes` (None: every scheme) is compared as a case not
    yet opened, version 0, so the answer is the same as for a reference nobody has used.
    """
    for case_ref, version in expected.items():
        scheme, current = cases.get(case_key(case_ref), (None, 0))
        if visible_schemes is not None and scheme not in visible_schemes:
            current = 0
        if current != version:
            raise ConcurrencyConflict(case_ref, version, current)


def _check_rules(event: NewEvent, found: Found, schemes: dict[str, bool],
                 acceptance: Acceptance) -> None:
    """Raise `RuleBroken` if the rules refuse the event, given the log and the events before it."""
    rules.check_scheme(event, schemes)
    rules.check_plan(event, acceptance)
    if event.type == VOIDED:
        target_id = event.data["target"]
        target = found.targets.get(target_id)
        rules.check_void(
            event,
            None if target is None else rules.VoidTarget(
                target_id, target["type"], target["scheme"], target_id in found.voided
            ),
        )
        if target is not None and target.get("case_ref"):
            dependents.check_dependents(
                target_id, found.history.get(case_key(target["case_ref"]), []))
    key = case_key(event.case_ref or "")
    case_scheme, _ = found.cases.get(key, (None, 0))
    rules.check_case(event, case_scheme, found.history.get(key, []), found.prefixes)


def _accept(event: NewEvent, found: Found) -> int | None:
    """Note what the accepted event establishes for the events after it; its stream version."""
    stream_version = None
    if event.case_ref is not None:
        key = case_key(event.case_ref)
        _, version = found.cases.get(key, (None, 0))
        stream_version = version + 1
        found.cases[key] = (event.scheme, stream_version)
        if event.type in statements.RULE_TYPES:
            found.history.setdefault(key, []).append(rules.CaseEntry(
                event.event_id, event.type, event.data.get("notice"), event.occurred_at, False
            ))
    if event.type == VOIDED:
        found.voided.add(event.data["target"])
        _mark_voided(found.history, event.data["target"])
    found.targets[event.event_id] = {
        "type": event.type, "scheme": event.scheme, "case_ref": event.case_ref,
    }
    return stream_version


def _look_up_void_cases(connection: Connection, chunk: list[tuple[int, NewEvent]],
                        found: Found) -> None:
    """Add the cases and histories of the stored events the chunk voids that a rule speaks of.

    A void names no case, so the store's lookups read neither; a second round trip, taken only
    by a chunk that voids a notice, an application or a decision, reads what the rules need to
    tell whether a later event of the target's case depends on it.
    """
    ids = {e.data["target"] for _, e in chunk if e.type == VOIDED}
    ids = {i for i in ids if found.targets.get(i, {}).get("type") in statements.RULE_TYPES
           and "case_ref" not in found.targets[i]}
    if not ids:
        return
    for part in sorted_parts(ids, IN_CHUNK):
        query = sa.select(events.c.event_id, events.c.case_ref).where(events.c.event_id.in_(part))
        for event_id, case_ref in connection.execute(query):
            found.targets[event_id]["case_ref"] = case_ref
    refs = {case_key(ref) for i in ids if (ref := found.targets[i].get("case_ref"))}
    if refs := refs - found.history.keys():
        # Keyed by `case_key`, as the histories the store's lookups read are.
        found.history.update(statements.histories(DriverSQL.of(connection), sorted(refs))())


def void_chain(connection: Connection, target_id: str) -> list[rules.CaseEntry]:
    """The standing events to void with `target_id`, furthest dependents first
    (`dependents.void_chain`), read from the stored log: what a page offers to void together."""
    case_ref = connection.execute(
        sa.select(events.c.case_ref).where(events.c.event_id == target_id)
    ).scalar_one_or_none()
    if case_ref is None:
        return []
    history = statements.histories(DriverSQL.of(connection), [case_ref])()
    return dependents.void_chain(target_id, history.get(case_key(case_ref), []))


def _mark_voided(history: dict[str, list[rules.CaseEntry]], target_id: str) -> None:
    for entries in history.values():
        for i, entry in enumerate(entries):
            if entry.event_id == target_id:
                entries[i] = rules.CaseEntry(
                    entry.event_id, entry.type, entry.notice, entry.occurred_at, True
                )
                return


def _is_duplicate(event: NewEvent, contents: Mapping[str, dict[str, Any] | NewEvent]) -> bool:
    """Whether the event is stored already; `EventIdReused` if its id is, with other content."""
    stored = contents.get(event.event_id)
    if stored is None:
        return False
    if _same_content(_content_of(stored), event):
        return True
    raise EventIdReused(event.event_id)


def _content_of(event: NewEvent | dict[str, Any]) -> dict[str, Any]:
    if isinstance(event, dict):
        return event  # read back from the store already in this form
    return {
        "type": event.type,
        "scheme": event.scheme,
        "case_ref": event.case_ref,
        "occurred_at": event.occurred_at,
        "recorded_by": event.recorded_by,
        "data": event.data_json,
    }


def _same_content(stored: dict[str, Any], event: NewEvent) -> bool:
    new = _content_of(event)
    keys = ["type", "scheme", "case_ref", "occurred_at", "data"]
    if event.recorded_by_given:
        keys.append("recorded_by")
    # A reference stored before references were stored in capitals is the same reference.
    same_case = (stored["case_ref"] is None) == (new["case_ref"] is None) and (
        new["case_ref"] is None or case_key(stored["case_ref"]) == case_key(new["case_ref"]))
    return same_case and all(stored[k] == new[k] for k in keys if k != "case_ref")
