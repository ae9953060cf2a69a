"""The append-only event store: check the rules, append in order, hand new events to projections.

Everything here runs inside the caller's write transaction (see `events.db.writing`), so the
events, the store's indexes and the projections' rows commit or roll back together.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from events import rules
from events.db import lock_for_append
from events.interchange import InvalidEvent, parse_event
from events.model import NewEvent, StoredEvent, canonical_json, stored_from_row
from events.quarters import utc_now
from events.subjects import Sealer, readable_events, stored_text
from events.tables import cases, event_voids, events, schemes
from events.types import EVENT_TYPES, VOIDED

Projector = Callable[[Connection, Sequence[StoredEvent]], None]

#: Events the case rules look back at.
_RULE_TYPES = ("notice.issued", "application.received", "threshold.decided")
_IN_CHUNK = 500


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


class EventsRefused(ValueError):
    """Some of the events given could not be stored; nothing was."""

    def __init__(self, errors: Sequence[LineError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors[:20]))


@dataclass
class AppendReport:
    """What an append or import did: stored events, skipped duplicates, refused lines."""

    stored: list[StoredEvent] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    written: int = 0


def append(
    connection: Connection,
    new_events: Sequence[NewEvent],
    *,
    project: Projector,
    expected_versions: Mapping[str, int] | None = None,
) -> AppendReport:
    """Append events after checking every rule; raise `EventsRefused` if any one is refused."""
    lock_for_append(connection)
    report = AppendReport()
    batch = _Batch(connection, project, recorded_at=utc_now())
    batch.check_versions(expected_versions or {})
    batch.run(list(enumerate(new_events, start=1)), report, keep_stored=True)
    if report.errors:
        raise EventsRefused(report.errors)
    return report


def import_lines(
    connection: Connection,
    lines: Iterable[str],
    *,
    default_recorded_by: str,
    project: Projector,
    chunk_size: int = 1000,
    on_progress: Callable[[int], None] | None = None,
) -> AppendReport:
    """Check and append JSON lines in chunks; the caller rolls back if `errors` is not empty.

    Valid lines after a bad one are still appended inside the transaction, so later lines are
    checked against everything before them; nothing is committed unless every line is good.
    """
    lock_for_append(connection)
    report = AppendReport()
    batch = _Batch(connection, project, recorded_at=utc_now())
    chunk: list[tuple[int, NewEvent]] = []
    for number, text in enumerate(lines, start=1):
        if on_progress is not None:
            on_progress(len(text.encode()))
        if not text.strip():
            continue
        try:
            line = json.loads(text)
            chunk.append((number, parse_event(line, default_recorded_by=default_recorded_by)))
        except json.JSONDecodeError as error:
            report.errors.append(LineError(number, "line", f"Not valid JSON ({error.msg})."))
        except InvalidEvent as error:
            report.errors.extend(LineError(number, f, " ".join(m)) for f, m in error.errors.items())
        if len(chunk) >= chunk_size:
            batch.run(chunk, report, keep_stored=False)
            chunk = []
    if chunk:
        batch.run(chunk, report, keep_stored=False)
    return report


def read_events(
    connection: Connection, *, after: int = 0, batch_size: int = 5000
) -> Iterator[StoredEvent]:
    """Every stored event after position `after`, in the order stored, read page by page."""
    while True:
        rows = connection.execute(
            readable_events()
            .where(events.c.position > after)
            .order_by(events.c.position)
            .limit(batch_size)
        ).all()
        for row in rows:
            yield stored_from_row(row)
        if len(rows) < batch_size:
            return
        after = rows[-1].position


def get_event(connection: Connection, event_id: str) -> StoredEvent | None:
    """The stored event with this id, if any."""
    row = connection.execute(readable_events().where(events.c.event_id == event_id)).first()
    return stored_from_row(row) if row is not None else None


def last_position(connection: Connection) -> int:
    """The position of the newest event, 0 for an empty log."""
    newest = sa.select(sa.func.coalesce(sa.func.max(events.c.position), 0))
    return int(connection.execute(newest).scalar_one())


class _Batch:
    """Checks and appends chunks of events, remembering what earlier chunks established."""

    def __init__(self, connection: Connection, project: Projector, recorded_at: datetime):
        self.connection = connection
        self.project = project
        self.recorded_at = recorded_at
        self.sealer = Sealer(connection)
        self.schemes = {
            row.scheme_id: row.retired_at is not None
            for row in connection.execute(sa.select(schemes.c.scheme_id, schemes.c.retired_at))
        }

    def check_versions(self, expected: Mapping[str, int]) -> None:
        if not expected:
            return
        actual = self._case_versions(list(expected))
        for case_ref, version in expected.items():
            current = actual.get(case_ref, (None, 0))[1]
            if current != version:
                raise ConcurrencyConflict(case_ref, version, current)

    def run(
        self, chunk: list[tuple[int, NewEvent]], report: AppendReport, *, keep_stored: bool
    ) -> None:
        known = self._known_events([e.event_id for _, e in chunk])
        targets = [e.data["target"] for _, e in chunk if e.type == VOIDED]
        targets_known = self._known_events(targets)
        voided = self._voided(targets)
        case_refs = sorted({e.case_ref for _, e in chunk if e.case_ref is not None})
        case_state = self._case_versions(case_refs)
        history = self._histories(
            sorted({e.case_ref for _, e in chunk if e.case_ref and e.type in _RULE_TYPES})
        )

        accepted: list[tuple[NewEvent, int | None]] = []
        for line, event in chunk:
            try:
                if event.event_id in known:
                    if _same_content(known[event.event_id], event):
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
            content = _content_of(event)
            known[event.event_id] = content
            targets_known[event.event_id] = content
            accepted.append((event, stream_version))

        if accepted:
            stored = self._write(accepted)
            self.project(self.connection, stored)
            report.written += len(stored)
            if keep_stored:
                report.stored.extend(stored)

    def _write(self, accepted: list[tuple[NewEvent, int | None]]) -> list[StoredEvent]:
        sealed = self.sealer.seal([e for e, _ in accepted])
        rows: list[dict[str, Any]] = [
            {
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
            for (e, stream_version), (key_id, data_json) in zip(accepted, sealed, strict=True)
        ]
        try:
            positions = _insert_events(self.connection, rows)
            self._write_cases(accepted)
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
                self.connection.execute(sa.insert(event_voids), voids)
        except IntegrityError as error:
            # The rules above ran under the append lock, so this is a writer that bypassed it.
            raise ConcurrencyConflict("(unknown)", -1, -1) from error
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

    def _write_cases(self, accepted: list[tuple[NewEvent, int | None]]) -> None:
        latest: dict[str, tuple[NewEvent, int]] = {}
        first_seen: dict[str, NewEvent] = {}
        for event, version in accepted:
            if event.case_ref is None or version is None:
                continue
            latest[event.case_ref] = (event, version)
            first_seen.setdefault(event.case_ref, event)
        if not latest:
            return
        existing = self._case_versions(list(latest))
        new_rows: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for case_ref, (event, version) in latest.items():
            if case_ref in existing:
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
            self.connection.execute(sa.insert(cases), new_rows)
        if updates:
            self.connection.execute(
                sa.update(cases)
                .where(cases.c.case_ref == sa.bindparam("ref"))
                .values(
                    version=sa.bindparam("v"),
                    last_occurred_at=sa.case(
                        (cases.c.last_occurred_at < sa.bindparam("at"), sa.bindparam("at")),
                        else_=cases.c.last_occurred_at,
                    ),
                ),
                updates,
            )

    def _known_events(self, event_ids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for part in _chunks(sorted(set(event_ids))):
            query = readable_events().where(events.c.event_id.in_(part))
            for row in self.connection.execute(query):
                stored = stored_from_row(row)
                found[stored.event_id] = {
                    "type": stored.type,
                    "scheme": stored.scheme,
                    "case_ref": stored.case_ref,
                    "occurred_at": stored.occurred_at,
                    "recorded_by": stored.recorded_by,
                    "data": canonical_json(stored.data),
                }
        return found

    def _voided(self, event_ids: list[str]) -> set[str]:
        found: set[str] = set()
        for part in _chunks(sorted(set(event_ids))):
            found.update(
                self.connection.execute(
                    sa.select(event_voids.c.target_id).where(event_voids.c.target_id.in_(part))
                ).scalars()
            )
        return found

    def _case_versions(self, case_refs: list[str]) -> dict[str, tuple[str, int]]:
        found: dict[str, tuple[str, int]] = {}
        for part in _chunks(case_refs):
            for row in self.connection.execute(
                sa.select(cases.c.case_ref, cases.c.scheme, cases.c.version).where(
                    cases.c.case_ref.in_(part)
                )
            ):
                found[row.case_ref] = (row.scheme, row.version)
        return found

    def _histories(self, case_refs: list[str]) -> dict[str, list[rules.CaseEntry]]:
        found: dict[str, list[rules.CaseEntry]] = {}
        for part in _chunks(case_refs):
            query = (
                sa.select(
                    events.c.event_id,
                    events.c.case_ref,
                    events.c.type,
                    events.c.data,
                    events.c.occurred_at,
                    event_voids.c.target_id.is_not(None).label("voided"),
                )
                .select_from(
                    events.outerjoin(event_voids, event_voids.c.target_id == events.c.event_id)
                )
                .where(events.c.case_ref.in_(part), events.c.type.in_(_RULE_TYPES))
                .order_by(events.c.position)
            )
            for row in self.connection.execute(query):
                found.setdefault(row.case_ref, []).append(
                    rules.CaseEntry(
                        row.event_id,
                        row.type,
                        json.loads(row.data).get("notice"),
                        row.occurred_at,
                        bool(row.voided),
                    )
                )
        return found


def _insert_events(connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert event rows; their positions, in the order given."""
    if len(rows) == 1:
        statement = sa.insert(events).returning(events.c.position)
        return [connection.execute(statement, rows[0]).scalar_one()]
    if connection.dialect.name == "sqlite":
        # SQLite cannot return ordered positions from a multi-row insert, so SQLAlchemy would
        # insert row by row; the write lock is held, so the next positions are known: give them.
        start = last_position(connection) + 1
        positions = list(range(start, start + len(rows)))
        connection.execute(
            sa.insert(events),
            [{**row, "position": position} for row, position in zip(rows, positions, strict=True)],
        )
        return positions
    # Taking the positions first lets the driver send a plain batch insert, which costs a third
    # of one that returns them; the append lock keeps them in commit order all the same.
    positions = sorted(connection.execute(_NEXT_POSITIONS, {"n": len(rows)}).scalars())
    connection.execute(
        sa.insert(events),
        [{**row, "position": position} for row, position in zip(rows, positions, strict=True)],
    )
    return positions


_NEXT_POSITIONS = sa.text(
    "SELECT nextval(seq) FROM (SELECT pg_get_serial_sequence('events', 'position')::regclass"
    " AS seq) AS s, generate_series(1, :n)"
)


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


def _content_of(event: NewEvent) -> dict[str, Any]:
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


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]
