"""Checking and appending events a chunk at a time, for `events.store`'s append and import.

A `Batch` looks up what the rules need to know of the stored log (one round trip on
PostgreSQL), checks each event against the rules and against the events before it in the same
batch, seals personal fields, writes the events, their cases and voids, and hands them to the
projections, all in the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from events import rules, statements
from events.chain import link
from events.db import lock_for_append
from events.driver import COPY_FROM, DriverSQL
from events.model import NewEvent, StoredEvent
from events.sealing import Sealer
from events.subjects import stored_text
from events.types import EVENT_TYPES, VOIDED

Projector = Callable[[Connection, Sequence[StoredEvent]], None]

_RULE_TYPES = statements.RULE_TYPES


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


@dataclass(frozen=True)
class LineError:
    """One reason one input event was refused: `line` counts from 1 in the input."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass
class AppendReport:
    """What an append or import did: stored events, skipped duplicates, refused lines."""

    stored: list[StoredEvent] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    written: int = 0


@dataclass
class _Found:
    """What the stored log says about a chunk's events, as its lookups returned it."""

    known: set[str]
    targets: dict[str, dict[str, Any]]
    voided: set[str]
    cases: dict[str, tuple[str, int]]
    history: dict[str, list[rules.CaseEntry]]


class Batch:
    """Checks and appends chunks of events, remembering what earlier chunks established."""

    def __init__(
        self, connection: Connection, project: Projector, recorded_at: datetime, *, locked: bool
    ):
        self.connection = connection
        self.project = project
        self.recorded_at = recorded_at
        #: Whether the append lock is held already; if not, the first chunk's lookups take it.
        self.locked = locked
        self.driver = DriverSQL.of(connection)
        self.sealer = Sealer(connection, self.driver)
        #: Scheme id -> retired, read for the schemes the events name as they come (the table
        #: can change from the admin pages at any time, so it is never kept past this batch).
        self.schemes: dict[str, bool] = {}
        #: Stored events not yet folded into the read models (an import folds them in bulk).
        self.unprojected: list[StoredEvent] = []
        #: The newest row's position and chain, read under the lock by the first lookups and
        #: kept up to date by each write: where the next rows' positions and links start.
        self.head: tuple[int, str | None] | None = None
        #: PostgreSQL: positions taken with a small chunk's lookups, for its write.
        self.taken: list[int] = []

    def project_pending(self) -> None:
        """Fold the events stored but not yet projected, in this transaction."""
        if self.unprojected:
            self.project(self.connection, self.unprojected)
            self.unprojected = []

    def run(
        self,
        chunk: list[tuple[int, NewEvent]],
        report: AppendReport,
        *,
        keep_stored: bool,
        expected_versions: Mapping[str, int] | None = None,
        visible_schemes: AbstractSet[str] | None = None,
        defer_projection: bool = False,
    ) -> None:
        found = self._look_up(chunk, expected_versions or {})
        _check_versions(found.cases, expected_versions or {}, visible_schemes)
        contents: dict[str, dict[str, Any] | NewEvent] = dict(
            statements.stored_contents(self.connection, found.known) if found.known else {}
        )
        targets_known, voided = found.targets, found.voided
        case_state, stored_cases, history = found.cases, set(found.cases), found.history

        accepted: list[tuple[NewEvent, int | None]] = []
        for line, event in chunk:
            try:
                if event.event_id in contents:
                    if _same_content(_content_of(contents[event.event_id]), event):
                        report.duplicates.append(event.event_id)
                        continue
                    raise rules.RuleBroken(
                        "id",
                        f"An event with id {event.event_id} is already stored with different "
                        "content.",
                    )
                rules.check_scheme(event, self.schemes)
                if event.type == VOIDED:
                    target_id = event.data["target"]
                    target = targets_known.get(target_id)
                    rules.check_void(
                        event,
                        None if target is None else rules.VoidTarget(
                            target_id, target["type"], target["scheme"], target_id in voided
                        ),
                    )
                case_scheme, version = case_state.get(event.case_ref or "", (None, 0))
                rules.check_case(event, case_scheme, history.get(event.case_ref or "", []))
            except rules.RuleBroken as broken:
                report.errors.append(LineError(line, broken.field, broken.message))
                continue

            stream_version = None
            if event.case_ref is not None:
                stream_version = version + 1
                case_state[event.case_ref] = (event.scheme, stream_version)
                if event.type in _RULE_TYPES:
                    history.setdefault(event.case_ref, []).append(_entry(event, voided=False))
            if event.type == VOIDED:
                voided.add(event.data["target"])
                _mark_voided(history, event.data["target"])
            # Compared (its data as canonical JSON) only if the same id comes again: rarely.
            contents[event.event_id] = event
            targets_known[event.event_id] = {"type": event.type, "scheme": event.scheme}
            accepted.append((event, stream_version))

        if accepted:
            stored = self._write(accepted, stored_cases)
            if defer_projection:
                self.unprojected.extend(stored)
            else:
                self.project(self.connection, stored)
            report.written += len(stored)
            if keep_stored:
                report.stored.extend(stored)

    def _look_up(self, chunk: list[tuple[int, NewEvent]], expected: Mapping[str, int]) -> _Found:
        """Everything the rules need to know of the stored log: one round trip on PostgreSQL."""
        driver = self.driver
        events_ = [e for _, e in chunk]
        targets = [e.data["target"] for e in events_ if e.type == VOIDED]
        with driver.pipeline():
            if not self.locked:
                # Sent first in the pipeline: the lookups behind it run under the lock.
                lock_for_append(self.connection)
                self.locked = True
            known = statements.stored_ids(driver, (e.event_id for e in events_))
            target_rows = statements.void_targets(driver, targets)
            voided = statements.voided(driver, targets)
            scheme_rows = statements.schemes(
                driver, {e.scheme for e in events_} - self.schemes.keys()
            )
            case_rows = statements.case_versions(
                driver, {e.case_ref for e in events_ if e.case_ref is not None} | set(expected)
            )
            history = statements.histories(
                driver, {e.case_ref for e in events_ if e.case_ref and e.type in _RULE_TYPES}
            )
            head = statements.head(driver) if self.head is None else None
            # A small chunk (an interactive append) takes its positions now, in this round trip:
            # its rows' chains need them before they are sent. A bulk chunk takes them later.
            taken = (statements.next_positions(driver, len(chunk))
                     if not driver.sqlite and len(chunk) < COPY_FROM else None)
            self.sealer.expect(events_)
        self.schemes.update(scheme_rows())
        if head is not None:
            self.head = head()
        self.taken = taken() if taken is not None else []
        return _Found(known(), target_rows(), voided(), case_rows(), history())

    def _write(
        self, accepted: list[tuple[NewEvent, int | None]], stored_cases: set[str]
    ) -> list[StoredEvent]:
        try:
            # On PostgreSQL an append's keys, events, cases and voids go in one round trip (two
            # where sealing has to look up subjects' keys first); a chunk of an import goes
            # without a pipeline, so its rows can go by COPY (see `DriverSQL.insert`).
            bulk = len(accepted) >= COPY_FROM
            positions = self._positions(len(accepted))
            with nullcontext() if bulk else self.driver.pipeline():
                rows = self._rows(accepted, self.sealer.seal([e for e, _ in accepted]), positions)
                statements.insert_events(self.driver, rows)
                self._write_cases(accepted, stored_cases)
                voids = [
                    {
                        "target_id": e.data["target"],
                        "void_id": e.event_id,
                        "reason": stored_text(json.loads(row["data"])["reason"]),
                    }
                    for row, (e, _) in zip(rows, accepted, strict=True)
                    if e.type == VOIDED
                ]
                if voids:
                    statements.insert_voids(self.driver, voids)
        except IntegrityError as error:
            # The rules above ran under the append lock, so this is a writer that bypassed it.
            raise ConcurrencyConflict("(unknown)", -1, -1) from error
        self.head = (positions[-1], rows[-1]["chain"])
        return [
            StoredEvent(
                position=position,
                event_id=row["event_id"],
                type=row["type"],
                version=row["version"],
                scheme=row["scheme"],
                case_ref=row["case_ref"],
                stream_version=row["stream_version"],
                occurred_at=row["occurred_at"],
                local_date=row["local_date"],
                period=row["period"],
                recorded_at=self.recorded_at,
                recorded_by=row["recorded_by"],
                data=event.data,
                key_id=row["key_id"],
            )
            for position, row, (event, _) in zip(positions, rows, accepted, strict=True)
        ]

    def _positions(self, count: int) -> list[int]:
        """The positions of the next `count` rows, in order (the append lock is held)."""
        taken, self.taken = self.taken, []
        if len(taken) >= count:
            return taken[:count]
        if self.driver.sqlite:
            # The write lock is held and rows are never removed: the next positions are known.
            start = self._head[0] + 1
            return list(range(start, start + count))
        return statements.next_positions(self.driver, count)()

    @property
    def _head(self) -> tuple[int, str | None]:
        if self.head is None:
            raise RuntimeError("the log's head is read by the batch's first lookups")
        return self.head

    def _rows(
        self,
        accepted: list[tuple[NewEvent, int | None]],
        sealed: list[tuple[str | None, str]],
        positions: list[int],
    ) -> list[dict[str, Any]]:
        """The events table's row for each accepted event, its data sealed, linked in the chain."""
        rows: list[dict[str, Any]] = [
            {
                "position": position,
                "event_id": e.event_id,
                "type": e.type,
                "version": EVENT_TYPES[e.type].version,
                "scheme": e.scheme,
                "case_ref": e.case_ref,
                "stream_version": stream_version,
                "occurred_at": e.occurred_at,
                "local_date": e.local_date,
                "period": e.period.index,
                "recorded_at": self.recorded_at,
                "recorded_by": e.recorded_by,
                "data": data_json,
                "key_id": key_id,
            }
            for position, (e, stream_version), (key_id, data_json)
            in zip(positions, accepted, sealed, strict=True)
        ]
        previous = self._head[1]
        for row in rows:
            row["chain"] = previous = link(previous, row["position"], row)
        return rows

    def _write_cases(
        self, accepted: list[tuple[NewEvent, int | None]], stored_cases: set[str]
    ) -> None:
        """Create or bump each case's row; `stored_cases` are those stored before this chunk."""
        latest: dict[str, tuple[NewEvent, int]] = {}
        first_seen: dict[str, NewEvent] = {}
        for event, version in accepted:
            if event.case_ref is None or version is None:
                continue
            latest[event.case_ref] = (event, version)
            first_seen.setdefault(event.case_ref, event)
        new_rows: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for case_ref, (event, version) in latest.items():
            if case_ref in stored_cases:
                updates.append({"ref": case_ref, "v": version, "at": event.occurred_at})
            else:
                first = first_seen[case_ref]
                new_rows.append({
                    "case_ref": case_ref,
                    "scheme": event.scheme,
                    "version": version,
                    "opened_on": first.local_date,
                    "last_occurred_at": event.occurred_at,
                })
        if new_rows:
            statements.insert_cases(self.driver, new_rows)
        if updates:
            statements.update_cases(self.driver, updates)


def _check_versions(
    cases: Mapping[str, tuple[str, int]], expected: Mapping[str, int],
    visible_schemes: AbstractSet[str] | None,
) -> None:
    """Raise `ConcurrencyConflict` for a case whose version is not the one expected.

    A case of a scheme outside `visible_schemes` (None: every scheme) is compared as a case not
    yet opened, version 0, so the answer is the same as for a reference nobody has used.
    """
    for case_ref, version in expected.items():
        scheme, current = cases.get(case_ref, (None, 0))
        if visible_schemes is not None and scheme not in visible_schemes:
            current = 0
        if current != version:
            raise ConcurrencyConflict(case_ref, version, current)


def _entry(event: NewEvent, *, voided: bool) -> rules.CaseEntry:
    return rules.CaseEntry(
        event.event_id, event.type, event.data.get("notice"), event.occurred_at, voided
    )


def _mark_voided(history: dict[str, list[rules.CaseEntry]], target_id: str) -> None:
    for entries in history.values():
        for i, entry in enumerate(entries):
            if entry.event_id == target_id:
                entries[i] = rules.CaseEntry(
                    entry.event_id, entry.type, entry.notice, entry.occurred_at, True
                )
                return


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
    return all(stored[k] == new[k] for k in keys)
