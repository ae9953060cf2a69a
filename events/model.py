"""The event as casebook handles it: a new event to append, and an event read back from the store."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from events.quarters import Quarter, local_date
from events.subjects import open_data
from events.types import EVENT_TYPES


@dataclass(frozen=True)
class NewEvent:
    """A validated event not yet stored: the fields of the interchange format."""

    event_id: str
    type: str
    scheme: str
    case_ref: str | None
    occurred_at: datetime
    recorded_by: str
    data: dict[str, Any]
    #: Whether recorded_by was given (import) rather than defaulted to the user: a given one is
    #: part of the content an idempotent re-import is compared on.
    recorded_by_given: bool = True

    # Plain properties on purpose: the store reads each once per row, and functools.cached_property
    # (a lock on first use in Python 3.11) cost more per event than working them out again.
    @property
    def local_date(self) -> date:
        return local_date(self.occurred_at)

    @property
    def quarter(self) -> Quarter:
        """The quarter the event counts in: a return counts in the quarter it names."""
        if self.type == "return.submitted":
            return Quarter.parse(self.data["quarter"])
        return Quarter.of(self.local_date)

    @property
    def data_json(self) -> str:
        return canonical_json(self.data)


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored: its place in the log and when it was recorded.

    Its fields are the columns of `events.tables.events` but the chain, in the table's order.
    """

    position: int
    event_id: str
    type: str
    #: The schema version of its type the data now follows (read back upcast to the current one).
    version: int
    scheme: str
    case_ref: str | None
    #: Its place in its case's stream (1 for the case's first event); None outside a case.
    stream_version: int | None
    occurred_at: datetime
    local_date: date
    #: The index of the quarter it counts in (`Quarter.index`); `quarter` is the Quarter itself.
    period: int
    recorded_at: datetime
    recorded_by: str
    data: dict[str, Any]
    #: The subject key its personal fields were sealed with: a subject's stable, non-personal
    #: identity, which outlives the key's erasure.
    key_id: str | None = None

    @property
    def quarter(self) -> Quarter:
        return Quarter.from_index(self.period)

    def to_interchange(self) -> dict[str, Any]:
        """The event as one line of the interchange format, with its place in the log."""
        line: dict[str, Any] = {
            "id": self.event_id,
            "type": self.type,
            "scheme": self.scheme,
        }
        if self.case_ref is not None:
            line["case"] = self.case_ref
        line.update(
            occurred_at=self.occurred_at.isoformat(),
            recorded_by=self.recorded_by,
            data=self.data,
            recorded_at=self.recorded_at.isoformat(),
            position=self.position,
        )
        return line


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal data gives equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def stored_from_row(row: Any) -> StoredEvent:
    """A stored event from a row of the events table, decrypted and brought up to date.

    Personal fields decrypt where the row carries its key (`events.subjects.readable_events`).
    """
    values = row._mapping
    key_id = values.get("key_id")
    data = open_data(json.loads(values["data"]), values["event_id"], key_id, row)
    event_type = EVENT_TYPES[values["type"]]
    if values["version"] != event_type.version:
        data = event_type.upcast(data, values["version"])
    return StoredEvent(
        **{name: values[name] for name in _AS_READ},
        version=event_type.version, data=data, key_id=key_id,
    )


#: The fields of a `StoredEvent` read from its row as they are stored (the others are worked out).
_AS_READ = tuple(f.name for f in fields(StoredEvent) if f.name not in ("version", "data", "key_id"))
