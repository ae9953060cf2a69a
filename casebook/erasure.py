"""Erasure and subject access: destroy a subject's key, list everything held about a subject."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.interchange import parse_event
from events.model import StoredEvent, stored_from_row
from events.quarters import utc_now
from events.store import append
from events.subjects import (
    SubjectUnknown,
    destroy_key,
    find_subject,
    linked_cases,
    readable_events,
)
from events.tables import events
from events.types import ERASED
from projections.rebuild import project


@dataclass(frozen=True)
class Erasure:
    """What one erasure did: the key destroyed, the event recording it, the events it sealed."""

    key_id: str
    event: StoredEvent
    events_sealed: int


def erase_subject(connection: Connection, subject_ref: str, *, erased_by: str) -> Erasure:
    """Erase a subject by reference; `SubjectUnknown` where no data is held about them."""
    return erase_key(connection, find_subject(connection, subject_ref), erased_by=erased_by)


def erase_key(connection: Connection, key_id: str, *, erased_by: str) -> Erasure:
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
        "type": ERASED,
        "scheme": first.scheme,
        "occurred_at": utc_now().isoformat(),
        "data": {"key": key_id},
    }
    report = append(connection, [parse_event(line, default_recorded_by=erased_by)], project=project)
    destroy_key(connection, key_id)
    return Erasure(key_id, report.stored[0], int(first.n))


def subject_access(connection: Connection, subject_ref: str) -> dict[str, Any]:
    """Everything held about a subject: their cases and every event sealed with their key or in them."""
    key_id = find_subject(connection, subject_ref)
    cases = linked_cases(connection, key_id)
    query = readable_events().where(
        sa.or_(events.c.key_id == key_id, events.c.case_ref.in_(cases) if cases else sa.false())
    ).order_by(events.c.position)
    held = [stored_from_row(row).to_interchange() for row in connection.execute(query)]
    return {
        "subject": subject_ref,
        "key_id": key_id,
        "exported_at": utc_now().isoformat(),
        "cases": cases,
        "events": held,
    }
