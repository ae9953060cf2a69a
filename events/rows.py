"""The rows an append writes into the log, its cases and its voids, and the events they hold."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from events.chain import link
from events.checks import Accepted
from events.model import NewEvent, StoredEvent
from events.references import case_key
from events.subjects import stored_text
from events.types import EVENT_TYPES, VOIDED

#: The columns a written event's `StoredEvent` takes from its row as they are (its data is the
#: event's own, not the sealed text).
_AS_WRITTEN = tuple(f.name for f in fields(StoredEvent) if f.name != "data")


def event_rows(
    accepted: Sequence[Accepted],
    sealed: Sequence[tuple[str | None, str]],
    positions: Sequence[int],
    recorded_at: datetime,
    previous_chain: str | None,
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
            "period": e.quarter.index,
            "recorded_at": recorded_at,
            "recorded_by": e.recorded_by,
            "data": data_json,
            "key_id": key_id,
        }
        for position, (e, stream_version), (key_id, data_json)
        in zip(positions, accepted, sealed, strict=True)
    ]
    for row in rows:
        row["chain"] = previous_chain = link(previous_chain, row["position"], row)
    return rows


def written_events(rows: Sequence[dict[str, Any]], accepted: Sequence[Accepted]) -> list[StoredEvent]:
    """The stored events that `rows` (as `event_rows` made them) hold."""
    return [
        StoredEvent(**{name: row[name] for name in _AS_WRITTEN}, data=event.data)
        for row, (event, _) in zip(rows, accepted, strict=True)
    ]


def void_rows(rows: Sequence[dict[str, Any]], accepted: Sequence[Accepted]) -> list[dict[str, Any]]:
    """The event_voids row of each void among the written rows (its reason as stored)."""
    return [
        {
            "target_id": e.data["target"],
            "void_id": e.event_id,
            "reason": stored_text(json.loads(row["data"])["reason"]),
        }
        for row, (e, _) in zip(rows, accepted, strict=True)
        if e.type == VOIDED
    ]


def case_rows(
    accepted: Sequence[Accepted], stored_cases: set[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The new cases' rows and the stored cases' updates; `stored_cases` are those stored before.

    The case index is keyed by `case_key`: "asb-1" logged before references were stored in
    capitals and "ASB-1" now are one case."""
    latest: dict[str, tuple[NewEvent, int]] = {}
    first_seen: dict[str, NewEvent] = {}
    for event, version in accepted:
        if event.case_ref is None or version is None:
            continue
        key = case_key(event.case_ref)
        latest[key] = (event, version)
        first_seen.setdefault(key, event)
    new_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for case_ref, (event, version) in latest.items():
        if case_ref in stored_cases:
            updates.append({"ref": case_ref, "v": version, "at": event.occurred_at})
        else:
            new_rows.append({
                "case_ref": case_ref,
                "scheme": event.scheme,
                "version": version,
                "opened_on": first_seen[case_ref].local_date,
                "last_occurred_at": event.occurred_at,
            })
    return new_rows, updates
