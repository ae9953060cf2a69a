"""Reads for the staff pages: schemes, cases, timelines and filtered event lists (SQLAlchemy Core)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from casebook.services.event_filter import EventFilter, Schemes, page_positions
from events.model import StoredEvent, stored_from_row
from events.references import case_key
from events.rules import CaseEntry, closure
from events.subjects import open_text, subject_keys
from events.tables import cases, event_voids, events, schemes

_voids = event_voids.alias("voids")
_CASE_COLUMNS = (cases.c.case_ref, cases.c.scheme, cases.c.version, cases.c.opened_on,
                 cases.c.last_occurred_at)
_void_events = events.alias("void_events")
_void_keys = subject_keys.alias("void_keys")


@dataclass(frozen=True)
class Scheme:
    """A scheme as the pages show it."""

    scheme_id: str
    name: str
    lead: str
    priority: str
    retired: bool


@dataclass(frozen=True)
class Void:
    """Why and by whom an event was voided."""

    void_id: str
    reason: str
    voided_by: str | None
    voided_at: datetime | None


@dataclass(frozen=True)
class ListedEvent:
    """A stored event with its void, if it has been voided."""

    event: StoredEvent
    void: Void | None

    @property
    def voided(self) -> bool:
        return self.void is not None


@dataclass(frozen=True)
class CaseSummary:
    """A case's row in the store's case index."""

    case_ref: str
    scheme: str
    #: The case's number of events (column `cases.version`): its stream version, which the
    #: optimistic concurrency check compares; not an event type's schema version.
    stream_version: int
    opened_on: date
    last_occurred_at: datetime


def all_schemes(connection: Connection) -> list[Scheme]:
    """Every scheme, by name."""
    return [
        Scheme(row.scheme_id, row.name, row.lead, row.priority, row.retired_at is not None)
        for row in connection.execute(sa.select(schemes).order_by(schemes.c.name))
    ]


def scheme_names(connection: Connection) -> dict[str, str]:
    """Scheme id to name, for labels."""
    return {s.scheme_id: s.name for s in all_schemes(connection)}


def find_case(connection: Connection, case_ref: str) -> CaseSummary | None:
    """The case with this reference, in any case ("asb-1" is "ASB-1"), if there is one."""
    row = connection.execute(
        sa.select(*_CASE_COLUMNS).where(cases.c.case_ref == case_key(case_ref))
    ).first()
    return _case(row) if row is not None else None


def case_version(connection: Connection, case_ref: str, readable: Schemes) -> int:
    """The case's version as the reader sees it: 0 for a case not yet opened, or not theirs.

    A case of a scheme the reader may not read looks exactly like one nobody has opened.
    """
    query = sa.select(cases.c.version).where(cases.c.case_ref == case_key(case_ref))
    if readable is not None:
        query = query.where(cases.c.scheme.in_(sorted(readable)))
    return int(connection.execute(query).scalar() or 0)


def case_events(connection: Connection, case_ref: str, scheme: str | None = None) -> list[ListedEvent]:
    """Every event of a case in the order stored, each with its void if voided: those stored
    under its reference in any case, and of `scheme` only where given (the case's own, so two
    schemes' references that differed only by case before 0011 never show in one timeline)."""
    query = _with_voids().where(sa.func.upper(events.c.case_ref) == case_key(case_ref))
    if scheme is not None:
        query = query.where(events.c.scheme == scheme)
    return _listed(connection, query.order_by(events.c.position))


def events_after_version(
    connection: Connection, case_ref: str, version: int, readable: Schemes
) -> list[ListedEvent]:
    """The case's events added after the version a user last saw: none of a case not theirs."""
    query = _with_voids().where(sa.func.upper(events.c.case_ref) == case_key(case_ref),
                                events.c.stream_version > version)
    if readable is not None:
        query = query.where(events.c.scheme.in_(sorted(readable)))
    return _listed(connection, query.order_by(events.c.position))


def changes_since(
    connection: Connection, case_ref: str, seen_version: int, readable: Schemes
) -> tuple[list[ListedEvent], int]:
    """What a writer who last saw the case at `seen_version` missed, and its version now (a
    case not theirs: nothing, and 0)."""
    return (events_after_version(connection, case_ref, seen_version, readable),
            case_version(connection, case_ref, readable))


def event_scheme(connection: Connection, event_id: str) -> str | None:
    """The scheme of the stored event with this id, if there is one."""
    found = connection.execute(sa.select(events.c.scheme).where(events.c.event_id == event_id))
    return found.scalar()


def get_listed_event(connection: Connection, event_id: str) -> ListedEvent | None:
    """One event with its void."""
    found = _listed(connection, _with_voids().where(events.c.event_id == event_id))
    return found[0] if found else None


def filtered_events(
    connection: Connection,
    chosen: EventFilter,
    readable: Schemes,
    *,
    before: int | None = None,
    limit: int | None = None,
) -> list[ListedEvent]:
    """Events passing the filters, newest position first, from below `before` if given."""
    query = _on_page(page_positions(chosen, readable, before=before, limit=limit,
                                    dialect=connection.dialect.name))
    return _listed(connection, query.order_by(events.c.position.desc()))


def iter_filtered_events(
    connection: Connection, chosen: EventFilter, readable: Schemes, *, batch_size: int = 2000
) -> Iterator[ListedEvent]:
    """Every event passing the filters in the order stored, read page by page by position."""
    after = 0
    while True:
        page = _listed(connection, _on_page(
            page_positions(chosen, readable, after=after, limit=batch_size,
                           dialect=connection.dialect.name)
        ).order_by(events.c.position))
        yield from page
        if len(page) < batch_size:
            return
        after = page[-1].event.position


def events_at(connection: Connection, positions: sa.Select[Any]) -> list[ListedEvent]:
    """The events (with their voids) at these positions, in the order stored."""
    return _listed(connection, _on_page(positions).order_by(events.c.position))


def events_where(connection: Connection, *conditions: sa.ColumnElement[bool]) -> list[ListedEvent]:
    """The events (with their voids) meeting the conditions on `events`, in the order stored."""
    return _listed(connection, _with_voids().where(*conditions).order_by(events.c.position))


def _on_page(positions: sa.Select[Any]) -> sa.Select[tuple[object, ...]]:
    """The events (with their voids) of a page of positions: the page is found on the filters'
    indexes alone, and only its own rows are read whole and joined."""
    return _with_voids().where(events.c.position.in_(positions.scalar_subquery()))


def period_events(
    connection: Connection, scheme: str, types: Sequence[str], periods: Sequence[int],
    *, since_the_start: bool = False,
) -> list[ListedEvent]:
    """The not voided events of a scheme and types in the given quarters (by index), in order.

    With `since_the_start`, every such event up to the last of those quarters.
    """
    in_periods = (events.c.period <= max(periods) if since_the_start
                  else events.c.period.in_(list(periods)))
    query = (
        _with_voids()
        .where(
            events.c.scheme == scheme,
            in_periods,
            events.c.type.in_(list(types)),
            _voids.c.target_id.is_(None),
        )
        .order_by(events.c.position)
    )
    return _listed(connection, query)


def _with_voids() -> sa.Select[tuple[object, ...]]:
    return sa.select(
        events,
        _voids.c.void_id.label("void_id"),
        _voids.c.reason.label("void_reason"),
        _void_events.c.recorded_by.label("void_recorded_by"),
        _void_events.c.recorded_at.label("void_recorded_at"),
        _void_events.c.key_id.label("void_key_id"),
        _void_keys.c.key.label("void_key"),
        subject_keys.c.key.label("subject_key"),
    ).select_from(
        events.outerjoin(_voids, _voids.c.target_id == events.c.event_id).outerjoin(
            _void_events, _void_events.c.event_id == _voids.c.void_id
        ).outerjoin(subject_keys, subject_keys.c.key_id == events.c.key_id)
        .outerjoin(_void_keys, _void_keys.c.key_id == _void_events.c.key_id)
    )


def _listed(connection: Connection, query: sa.Select[tuple[object, ...]]) -> list[ListedEvent]:
    found = []
    for row in connection.execute(query):
        void = None
        if row.void_id is not None:
            # A void's reason is sealed with the void's own key (its target's, its case's or
            # its own), joined to this row beside the target's.
            reason = open_text(row.void_reason, event_id=row.void_id, name="reason",
                               key_id=row.void_key_id, key=row.void_key)
            void = Void(row.void_id, reason, row.void_recorded_by, row.void_recorded_at)
        found.append(ListedEvent(stored_from_row(row), void))
    return found


def _case(row: Any) -> CaseSummary:
    return CaseSummary(
        str(row.case_ref), str(row.scheme), int(row.version), row.opened_on, row.last_occurred_at
    )


def case_status(timeline: Sequence[ListedEvent]) -> str:
    """"Closed" if the case's events close it (`events.rules.closure`), else "Open"."""
    history = [
        CaseEntry(event_id=e.event.event_id, type=e.event.type, notice=None,
                  occurred_at=e.event.occurred_at, voided=e.voided)
        for e in sorted(timeline, key=lambda e: e.event.position)
    ]
    return "Closed" if closure(history) is not None else "Open"


def data_json(event: StoredEvent) -> str:
    """The event's data as compact JSON, for downloads."""
    return json.dumps(event.data, sort_keys=True, ensure_ascii=False)
