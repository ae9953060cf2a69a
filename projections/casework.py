"""Each case's state (open or closed, its owner) and what is due on it, recomputed from its events.

`refresh_cases` rewrites the `case_index` and `case_due` rows of the cases given from their
events, in the caller's transaction: the live projector (`projections.rebuild.project`) calls
it for the cases each append or import touches, so every writer keeps the rows in step, and a
rebuild or a change of a scheme's due rules recomputes them all (`refresh_all`, `refresh_scheme`).
A voided event counts as never logged. Statements go through the driver (`events.driver`): an
import recomputes tens of thousands of cases, where SQLAlchemy's set-up of each statement and
row would cost more than the database's work.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.driver import COPY_FROM, DriverSQL
from events.model import StoredEvent
from events.references import case_key
from events.rules import closure
from events.tables import cases
from events.types import CASE_ASSIGNED, EVENT_TYPES, VOIDED
from projections import bulk, due_items
from projections.casework_tables import case_due, case_index
from projections.due_items import DueRules

PANEL_HELD = "panel.held"

#: The columns of a `StoredEvent`, in its order, and whether the event is voided.
_EVENTS = (
    "SELECT e.position, e.event_id, e.type, e.version, e.scheme, e.case_ref, e.stream_version,"
    " e.occurred_at, e.local_date, e.period, e.recorded_at, e.recorded_by, e.data, e.key_id,"
    " v.void_id FROM events e LEFT OUTER JOIN event_voids v ON v.target_id = e.event_id"
)
_OF_CASES = _EVENTS + " WHERE {} ORDER BY e.position"
#: A scheme's panels from a quarter on: found on the index of scheme, quarter and type.
_PANELS = _EVENTS + " WHERE e.scheme = ? AND e.period >= ? AND e.type = ? ORDER BY e.position"
_TARGETS = "SELECT case_ref, type, data FROM events WHERE {}"


@dataclass(frozen=True)
class _Entry:
    """A case's event as `events.rules.closure` reads it."""

    event: StoredEvent
    voided: bool

    @property
    def type(self) -> str:
        return self.event.type

    @property
    def occurred_at(self) -> datetime:
        return self.event.occurred_at


def refresh_cases(connection: Connection, case_refs: Collection[str]) -> None:
    """Recompute the `case_index` and `case_due` rows of these cases from their events."""
    refresh = _Refresh(connection)
    for part in refresh.driver.key_parts(case_key(ref) for ref in case_refs):
        rows = refresh.rows(part)
        # The writes depend on nothing they return: on PostgreSQL, one round trip for them all
        # (many rows go by COPY instead, which cannot run in a pipeline).
        few = max(len(rows[0]), len(rows[1])) < COPY_FROM
        with refresh.driver.pipeline() if few else nullcontext():
            for table in (case_due, case_index):
                condition, values = refresh.driver.any_of("case_ref", part)
                refresh.driver.execute(f"DELETE FROM {table.name} WHERE {condition}", values)
            refresh.write(rows)


def refresh_all(connection: Connection) -> None:
    """Recompute every case's rows: what `casebook rebuild` and `casebook init` do."""
    connection.execute(sa.delete(case_due))
    connection.execute(sa.delete(case_index))
    _Refresh(connection, every_case=True).every(None)


def refresh_scheme(connection: Connection, scheme: str) -> None:
    """Recompute the rows of every case of `scheme` (after its due rules changed)."""
    connection.execute(sa.delete(case_due).where(case_due.c.scheme == scheme))
    connection.execute(sa.delete(case_index).where(case_index.c.scheme == scheme))
    _Refresh(connection, every_case=True).every(scheme)


def casework_missing(connection: Connection) -> bool:
    """Whether the log has cases but `case_index` none (a database upgraded to it)."""
    has_cases = connection.execute(sa.select(cases.c.case_ref).limit(1)).first() is not None
    indexed = connection.execute(sa.select(case_index.c.case_ref).limit(1)).first() is not None
    return has_cases and not indexed


def touched_cases(connection: Connection, batch: Sequence[StoredEvent]) -> set[str]:
    """The cases (keyed) whose rows newly stored events change: their own, those a panel lists,
    and those of the events they void."""
    touched: set[str] = set()
    targets: list[str] = []
    for event in batch:
        if event.case_ref is not None:
            touched.add(case_key(event.case_ref))
        if event.type == PANEL_HELD:
            touched |= _listed(event.data)
        elif event.type == VOIDED:
            targets.append(event.data["target"])
    driver = DriverSQL.of(connection)
    for sent in driver.send_for_keys(_TARGETS, "event_id", targets):
        for case_ref, type_, data in sent.rows():
            if case_ref is not None:
                touched.add(case_key(case_ref))
            if type_ == PANEL_HELD:
                touched |= _listed(json.loads(data))
    return touched


def _listed(data: dict[str, Any]) -> set[str]:
    return {case_key(ref) for ref in data.get("cases") or () if isinstance(ref, str)}


class _Refresh:
    """One recomputation: the schemes' due rules and panels, read once for all its cases."""

    def __init__(self, connection: Connection, *, every_case: bool = False):
        self.connection = connection
        self.driver = DriverSQL.of(connection)
        self._rules: dict[str, DueRules] = {}
        #: Recomputing every case reads each scheme's panels once, from its first quarter.
        self.every_case = every_case
        #: (Scheme, first quarter) -> case key -> the panels listing the case, in log order.
        self._panels: dict[tuple[str, int], dict[str, list[StoredEvent]]] = {}
        self._voided_panels: dict[tuple[str, int], set[str]] = {}

    def every(self, scheme: str | None) -> None:
        """Recompute every case (of `scheme`, if given), a page of cases at a time."""
        after = ""
        while True:
            query = sa.select(cases.c.case_ref).where(cases.c.case_ref > after)
            if scheme is not None:
                query = query.where(cases.c.scheme == scheme)
            page = list(self.connection.execute(
                query.order_by(cases.c.case_ref).limit(self.driver.keys_at_once)).scalars())
            if not page:
                return
            self.write(self.rows(page))
            after = page[-1]

    def write(self, rows: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        indexed, due = rows
        bulk.insert(self.connection, case_index, indexed)
        bulk.insert(self.connection, case_due, due)

    def rows(self, part: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The `case_index` and `case_due` rows of these cases."""
        indexed: list[dict[str, Any]] = []
        due: list[dict[str, Any]] = []
        histories = self._histories(part)
        # A panel held before a case's first event meets nothing in it (what a panel meets
        # falls due after an event of the case): only panels from that quarter on are read.
        since: dict[str, int] = {}
        for history in histories.values():
            for entry in history:
                scheme, period = entry.event.scheme, 0 if self.every_case else entry.event.period
                since[scheme] = min(since.get(scheme, period), period)
        for key, history in histories.items():
            row = case_row(key, history)
            if row is None:
                continue
            indexed.append(row)
            if row["status"] == "open":
                due += self._due_rows(key, (row["scheme"], since[row["scheme"]]), history)
        return indexed, due

    def _histories(self, keys: list[str]) -> dict[str, list[_Entry]]:
        """Each case's own events in log order, with whether each is voided."""
        found: dict[str, list[_Entry]] = {key: [] for key in keys}
        # The expression is the one the index on references is built on (case-insensitive).
        for sent in self.driver.send_for_keys(_OF_CASES, "upper(e.case_ref)", keys):
            for event, voided in self._events(sent.rows()):
                assert event.case_ref is not None
                found[case_key(event.case_ref)].append(_Entry(event, voided))
        return found

    def _due_rows(self, key: str, panels: tuple[str, int],
                  history: list[_Entry]) -> list[dict[str, Any]]:
        scheme = panels[0]
        listing = [p for p in self._panels_of(panels).get(key, [])
                   if p.case_ref is None or case_key(p.case_ref) != key]
        own = [entry.event for entry in history]
        merged = sorted([*own, *listing], key=lambda e: e.position) if listing else own
        voided = {e.event.event_id for e in history if e.voided}
        if listing:
            voided |= self._voided_panels[panels]
        items = due_items.due_for_case(merged, voided, self._rules_of(scheme), key)
        # One row per kind and cause (the table's key): the soonest, should the rules give two.
        kept = {(item.kind.value, item.because): item
                for item in sorted(items, key=lambda i: i.due_on, reverse=True)}
        return [{"case_ref": key, "kind": kind, "because": because, "scheme": scheme,
                 "due_on": item.due_on} for (kind, because), item in kept.items()]

    def _rules_of(self, scheme: str) -> DueRules:
        if scheme not in self._rules:
            self._rules[scheme] = due_items.rules_for(self.connection, scheme)
        return self._rules[scheme]

    def _panels_of(self, panels: tuple[str, int]) -> dict[str, list[StoredEvent]]:
        """The panels of a scheme from a quarter on, by the cases they list."""
        if panels not in self._panels:
            listing: dict[str, list[StoredEvent]] = {}
            voided: set[str] = set()
            for event, is_voided in self._events(self.driver.rows(_PANELS, (*panels, PANEL_HELD))):
                for key in _listed(event.data):
                    listing.setdefault(key, []).append(event)
                if is_voided:
                    voided.add(event.event_id)
            self._panels[panels], self._voided_panels[panels] = listing, voided
        return self._panels[panels]

    def _events(self, rows: Iterable[tuple[Any, ...]]) -> Iterable[tuple[StoredEvent, bool]]:
        """Events read as `_EVENTS` has them, their personal fields left sealed (nothing here
        reads them), each with whether it is voided."""
        read_time, read_date = self.driver.read_time, self.driver.read_date
        for (position, event_id, type_, version, scheme, case_ref, stream_version, occurred_at,
             local_date, period, recorded_at, recorded_by, data, key_id, void_id) in rows:
            event_type = EVENT_TYPES[type_]
            loaded = json.loads(data)
            if version != event_type.version:
                loaded = event_type.upcast(loaded, version)
            yield StoredEvent(position, event_id, type_, event_type.version, scheme, case_ref,
                              stream_version, read_time(occurred_at), read_date(local_date),
                              period, read_time(recorded_at), recorded_by, loaded,
                              key_id), void_id is not None


def case_row(key: str, history: Sequence[_Entry]) -> dict[str, Any] | None:
    """A case's `case_index` row from its events in log order; None if every one is voided."""
    standing = [entry.event for entry in history if not entry.voided]
    if not standing:
        return None
    assignments = [e for e in standing if e.type == CASE_ASSIGNED]
    # The latest by when it happened, the later stored of two at the same moment (as closure).
    owner = max(assignments, key=lambda e: (e.occurred_at, e.position), default=None)
    return {
        "case_ref": key,
        "scheme": standing[0].scheme,
        "status": "closed" if closure(history) is not None else "open",
        "owner": owner.data["officer"] if owner is not None else None,
        "opened_on": min(e.local_date for e in standing),
        "last_occurred_at": max(e.occurred_at for e in standing),
        "events": len(standing),
    }
