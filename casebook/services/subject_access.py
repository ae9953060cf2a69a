"""Subject access: everything held about one subject, and only about them, as one document.

The subject's events and those of the cases they are in, with the voids of all of these and
their reasons. Another subject of the same case appears as "another person": never their
reference, their free text or the other fields of their referral. After an erasure the subject
is asked for as `erased:<key id>`, and the document says what is still held and why.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.clock import utc_now
from events.model import StoredEvent, stored_from_row
from events.subjects import (
    CASE,
    ERASED_SUBJECT_PREFIX,
    SUBJECT,
    SubjectUnknown,
    find_subject,
    linked_cases,
    live_key,
    other_subjects,
    personal_fields,
    subject_keys,
)
from events.tables import event_voids, events
from events.types import VOIDED

ANOTHER_PERSON = "another person"
ABOUT_ANOTHER_PERSON = "[about another person]"


def subject_access(connection: Connection, subject: str) -> dict[str, Any]:
    """The document for a subject reference, or for `erased:<key id>`; `SubjectUnknown` where
    nothing is held."""
    key_id, erased_at = _subject_key(connection, subject)
    cases = linked_cases(connection, key_id)
    shared = {case: n for case, n in other_subjects(connection, key_id, cases).items() if n}
    held = [_as_held(event, key_id, kind) for event, kind in _events(connection, key_id, cases)]
    return {
        "subject": subject,
        "key_id": key_id,
        "erased_at": None if erased_at is None else erased_at.isoformat(),
        "exported_at": utc_now().isoformat(),
        "cases": cases,
        "shared_cases": shared,
        "still_held": _still_held(connection, key_id, erased_at, cases, shared, len(held)),
        "events": held,
    }


def _subject_key(connection: Connection, subject: str) -> tuple[str, Any]:
    """The subject's key id, and when it was erased (None while live)."""
    if not subject.startswith(ERASED_SUBJECT_PREFIX):
        return find_subject(connection, subject), None
    key_id = subject.removeprefix(ERASED_SUBJECT_PREFIX)
    row = connection.execute(
        sa.select(subject_keys.c.erased_at).where(
            subject_keys.c.key_id == key_id, subject_keys.c.kind == SUBJECT
        )
    ).first()
    if row is None:
        raise SubjectUnknown(f"There is no subject key {key_id}.")
    if row.erased_at is None:
        raise SubjectUnknown(f"The subject key {key_id} is not erased: ask by the subject's "
                             "reference.")
    return key_id, row.erased_at


def _events(connection: Connection, key_id: str, cases: list[str]) -> list[tuple[StoredEvent, Any]]:
    """The subject's events, their cases' events and the voids of any of them, in order, each
    with the kind of key that sealed it."""
    theirs = sa.or_(events.c.key_id == key_id,
                    events.c.case_ref.in_(cases) if cases else sa.false())
    voids = sa.select(event_voids.c.void_id).where(
        event_voids.c.target_id.in_(sa.select(events.c.event_id).where(theirs))
    )
    query = (
        sa.select(events, subject_keys.c.key.label("subject_key"),
                  subject_keys.c.kind.label("key_kind"))
        .select_from(events.outerjoin(subject_keys, subject_keys.c.key_id == events.c.key_id))
        .where(sa.or_(theirs, events.c.event_id.in_(voids)))
        .order_by(events.c.position)
    )
    return [(stored_from_row(row), row.key_kind) for row in connection.execute(query)]


def _as_held(event: StoredEvent, key_id: str, kind: str | None) -> dict[str, Any]:
    """The event as the subject sees it: another subject's own events show only that they
    happened."""
    line = event.to_interchange()
    if kind == SUBJECT and event.key_id != key_id:
        data: dict[str, Any] = {"target": event.data["target"]} if event.type == VOIDED else {}
        for name in personal_fields(event.type) & event.data.keys():
            data[name] = ANOTHER_PERSON if name == "subject" else ABOUT_ANOTHER_PERSON
        line["data"] = data
    return line


def _still_held(
    connection: Connection, key_id: str, erased_at: Any, cases: list[str],
    shared: dict[str, int], count: int,
) -> list[str]:
    """What is held, in plain words, and what an erasure leaves."""
    said = []
    if erased_at is None:
        said.append(f"{count} events about the subject are held, in {len(cases)} cases. Their "
                    "reference is never stored: their events carry only the random key id "
                    f"{key_id}, and their personal fields are encrypted with that key.")
    else:
        said.append(f"The subject was erased on {erased_at.date().isoformat()}: the key "
                    f"{key_id} is destroyed, so no one can read their reference or free text "
                    f"again. Still held: {count} events with their dates, types, schemes and "
                    "the fields that are not personal (such as risk level, gender, age band), "
                    "identified only by the key id and counted in the figures.")
    for case_ref, others in sorted(shared.items()):
        readable = live_key(connection, case_ref, kind=CASE) is not None
        said.append(
            f"Case {case_ref} is shared with {others} other subject{'' if others == 1 else 's'}"
            + (": its own free text (outcomes, reasons) is about them too, and stays readable "
               "until the case itself is erased." if readable
               else "; it holds no free text of its own.")
        )
    return said
