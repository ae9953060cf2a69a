"""Erasure: destroy a subject's key and the keys of the cases they alone are in, or a whole case's.

Each destroyed key is recorded by a `subject.erased` event holding only the key's random id, so
every figure stays as it was. What stays readable is said, with why: a case shared with other
subjects keeps its own free text for them, and a subject also in other cases keeps their key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from casebook.services.recording import record
from events.clock import utc_now
from events.interchange import parse_event
from events.model import StoredEvent
from events.subjects import (
    CASE,
    SUBJECT,
    SubjectUnknown,
    case_subjects,
    destroy_key,
    find_subject,
    linked_cases,
    live_key,
    other_subjects,
    subject_keys,
)
from events.tables import events
from events.types import SUBJECT_ERASED


class CaseUnknown(LookupError):
    """No personal data is held in this case (or it was erased already)."""


class ErasureRefused(RuntimeError):
    """The log refused the event recording an erasure, so no key was destroyed."""


@dataclass(frozen=True)
class DestroyedKey:
    """One key destroyed: its id, how many events it sealed, and the event recording it."""

    key_id: str
    events_sealed: int
    event: StoredEvent


@dataclass
class Erasure:
    """What one erasure destroyed, and what stays readable and why."""

    destroyed: list[DestroyedKey] = field(default_factory=list)
    #: The cases whose own key was destroyed.
    cases_erased: list[str] = field(default_factory=list)
    #: Erasing a subject: case -> (other subjects still in it, events its own key seals).
    shared_cases: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: Erasing a case: subject key id -> the other cases that keep it.
    kept_subjects: dict[str, list[str]] = field(default_factory=dict)


def erase_subject(connection: Connection, subject_ref: str, *, erased_by: str) -> Erasure:
    """Erase a subject by reference, with the own keys of the cases only they are in;
    `SubjectUnknown` where no data is held about them."""
    key_id = find_subject(connection, subject_ref)
    others = other_subjects(connection, key_id, linked_cases(connection, key_id))
    case_keys = {case: live_key(connection, case, kind=CASE) for case in others}
    erasure = Erasure([erase_key(connection, key_id, erased_by=erased_by)])
    for case_ref, count in others.items():
        case_key = case_keys[case_ref]
        if count == 0 and case_key is not None:
            erasure.destroyed.append(erase_key(connection, case_key, erased_by=erased_by))
            erasure.cases_erased.append(case_ref)
        elif count:
            erasure.shared_cases[case_ref] = (count, _sealed_with(connection, case_key))
    return erasure


def erase_case(connection: Connection, case_ref: str, *, erased_by: str) -> Erasure:
    """Erase a case: its own key and every subject only in it; `CaseUnknown` where it holds no
    personal data that is its alone."""
    subjects = connection.execute(
        sa.select(case_subjects.c.key_id)
        .join(subject_keys, subject_keys.c.key_id == case_subjects.c.key_id)
        .where(case_subjects.c.case_ref == case_ref, subject_keys.c.kind == SUBJECT,
               subject_keys.c.key.is_not(None))
        .order_by(case_subjects.c.key_id)
    ).scalars().all()
    case_key = live_key(connection, case_ref, kind=CASE)
    erasure = Erasure()
    alone = []
    for key_id in subjects:
        elsewhere = [c for c in linked_cases(connection, key_id) if c != case_ref]
        if elsewhere:
            erasure.kept_subjects[key_id] = elsewhere
        else:
            alone.append(key_id)
    if not alone and case_key is None:
        raise CaseUnknown(
            f"Each subject of the case {case_ref!r} is in other cases too, and the case holds "
            "no free text of its own: erase the subjects by reference." if subjects
            else f"No personal data is held in the case {case_ref!r}.")
    for key_id in alone:
        erasure.destroyed.append(erase_key(connection, key_id, erased_by=erased_by))
    if case_key is not None:
        erasure.destroyed.append(erase_key(connection, case_key, erased_by=erased_by))
        erasure.cases_erased.append(case_ref)
    return erasure


def erase_key(connection: Connection, key_id: str, *, erased_by: str) -> DestroyedKey:
    """Record a `subject.erased` event and destroy the key, in the caller's write transaction."""
    first = connection.execute(
        sa.select(events.c.scheme, sa.func.count().over().label("n"))
        .where(events.c.key_id == key_id)
        .order_by(events.c.position)
        .limit(1)
    ).first()
    if first is None:
        raise SubjectUnknown(f"No event is sealed with the key {key_id}.")
    line = {
        "type": SUBJECT_ERASED,
        "scheme": first.scheme,
        "occurred_at": utc_now().isoformat(),
        "data": {"key": key_id},
    }
    recorded = record(connection, [parse_event(line, default_recorded_by=erased_by)])
    if not recorded.stored:
        raise ErasureRefused(f"The erasure of the key {key_id} could not be recorded: "
                             f"{recorded.refusals or recorded.conflict}. Nothing was erased.")
    destroy_key(connection, key_id)
    return DestroyedKey(key_id, int(first.n), recorded.stored[0])


def scrub(engine: Engine) -> bool:
    """After an erasure, leave no copy of a destroyed key in SQLite's write-ahead log: fold it into
    the database file (where `secure_delete` has zeroed what was overwritten) and empty it.

    False if readers kept the log from being emptied (it is at the next checkpoint). PostgreSQL
    keeps old row versions until vacuumed, beyond what SQL can read."""
    if engine.dialect.name != "sqlite":
        return True
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        cursor.close()
    finally:
        connection.close()
    return bool(busy == 0)


def _sealed_with(connection: Connection, key_id: str | None) -> int:
    if key_id is None:
        return 0
    return int(connection.execute(
        sa.select(sa.func.count()).select_from(events).where(events.c.key_id == key_id)
    ).scalar_one())
