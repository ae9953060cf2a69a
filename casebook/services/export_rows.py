"""The event log's exports (its CSV and the API's event list) at the database's pace: each row's
cells are made straight from its columns, in batches, and only a row with a key (sealed fields)
or stored at an older version is opened and upcast as `events.model.stored_from_row` does."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from casebook.services.event_filter import EventFilter, Schemes, apply_filter, page_positions
from events.subjects import open_data, open_text, subject_keys
from events.tables import event_voids, events
from events.types import EVENT_TYPES
from projections.presentation.text import FORMULA_STARTS

#: Rows fetched from the database at a time: large enough that the driver's per-call cost
#: vanishes, small enough that memory stays flat however long the log.
BATCH = 5_000
#: The CSV's columns, in order.
CSV_COLUMNS = ("position", "id", "type", "scheme", "case", "occurred_at", "local_date",
               "recorded_at", "recorded_by", "voided", "void_reason", "data")

_voids = event_voids.alias("export_voids")
_void_events = events.alias("export_void_events")
_void_keys = subject_keys.alias("export_void_keys")
#: Every formula start is one character (`spreadsheet_safe`), so a set lookup of the first will do.
_FORMULA = frozenset(FORMULA_STARTS)
assert all(len(start) == 1 for start in _FORMULA)
#: What keeps a row's first eleven cells, joined by commas, from being its CSV as they are: a
#: character the writer quotes, or a cell (after a comma) that starts like a formula; with
#: exactly eleven commas, none of the cells holds one.
_AS_IS = re.compile('["\r\n]|,[' + re.escape("".join(sorted(_FORMULA))) + "]")
_CURRENT = {name: event_type.version for name, event_type in EVENT_TYPES.items()}
_loads = json.loads


def _as_stored(column: sa.Column[Any]) -> sa.ColumnElement[Any]:
    # Times and dates as the driver gives them (text on SQLite): parsing them through
    # SQLAlchemy's result processors cost more than the rest of a row's work.
    return sa.type_coerce(column, sa.String).label(column.name)


_EVENT_COLUMNS = (
    events.c.position, events.c.event_id, events.c.type, events.c.version, events.c.scheme,
    events.c.case_ref, _as_stored(events.c.occurred_at), _as_stored(events.c.local_date),
    _as_stored(events.c.recorded_at), events.c.recorded_by, events.c.data, events.c.key_id,
    subject_keys.c.key.label("subject_key"),
)
_WITH_KEYS = events.outerjoin(subject_keys, subject_keys.c.key_id == events.c.key_id)


def csv_text(connection: Connection, chosen: EventFilter, readable: Schemes) -> Iterator[str]:
    """The CSV of every event passing the filters, in the order stored, a batch of rows at a
    time: the text `csv.writer` writes of each row's cells as `csv_cell` makes them."""
    query = apply_filter(sa.select(
        *_EVENT_COLUMNS, _voids.c.void_id, _voids.c.reason, _void_events.c.key_id.label("vk"),
        _void_keys.c.key.label("void_key"),
    ).select_from(
        _WITH_KEYS.outerjoin(_voids, _voids.c.target_id == events.c.event_id)
        .outerjoin(_void_events, _void_events.c.event_id == _voids.c.void_id)
        .outerjoin(_void_keys, _void_keys.c.key_id == _void_events.c.key_id)
    ), chosen, readable).order_by(events.c.position)
    dumps = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode
    occurred, recorded = _Times().iso, _Times().iso
    written = _Written()
    yield written.row(CSV_COLUMNS)
    for batch in connection.execute(query, execution_options={"yield_per": BATCH}).partitions():
        lines = []
        for (position, event_id, type_, version, scheme, case_ref, occurred_at, local_date,
             recorded_at, recorded_by, data, key_id, key, void_id, reason, void_key_id,
             void_key) in batch:
            if key_id is None and version == _CURRENT[type_]:
                opened = _loads(data)
            else:
                opened = read_data(data, event_id, type_, version, key_id, key)
            cells = (position, event_id, type_, scheme, "" if case_ref is None else case_ref,
                     occurred(occurred_at),
                     local_date if local_date.__class__ is str else local_date.isoformat(),
                     recorded(recorded_at), recorded_by, "no" if void_id is None else "yes",
                     "" if void_id is None else open_text(
                         reason, event_id=void_id, name="reason", key_id=void_key_id,
                         key=void_key),
                     dumps(opened))
            head = "{},{},{},{},{},{},{},{},{},{},{},".format(*cells)
            if head.count(",") == 11 and _AS_IS.search(head) is None:
                lines.append(head + _data_cell(cells[11]))
            else:  # a cell to quote or to keep from reading as a formula: the writer's way
                lines.append(written.row(cells))
        yield "".join(lines)


def interchange_lines(connection: Connection, chosen: EventFilter, readable: Schemes, *,
                      after: int, limit: int) -> Iterator[list[dict[str, Any]]]:
    """A page of the events passing the filters after position `after`, oldest first, as the
    interchange format's lines (`StoredEvent.to_interchange`), a batch at a time."""
    positions = page_positions(chosen, readable, after=after, limit=limit,
                               dialect=connection.dialect.name).scalar_subquery()
    query = (sa.select(*_EVENT_COLUMNS).select_from(_WITH_KEYS)
             .where(events.c.position.in_(positions)).order_by(events.c.position))
    occurred, recorded = _Times().iso, _Times().iso
    for batch in connection.execute(query, execution_options={"yield_per": BATCH}).partitions():
        lines = []
        for (position, event_id, type_, version, scheme, case_ref, occurred_at, _day,
             recorded_at, recorded_by, data, key_id, key) in batch:
            if key_id is None and version == _CURRENT[type_]:
                opened = _loads(data)
            else:
                opened = read_data(data, event_id, type_, version, key_id, key)
            line: dict[str, Any] = {"id": event_id, "type": type_, "scheme": scheme}
            if case_ref is not None:
                line["case"] = case_ref
            line["occurred_at"] = occurred(occurred_at)
            line["recorded_by"] = recorded_by
            line["data"] = opened
            line["recorded_at"] = recorded(recorded_at)
            line["position"] = position
            lines.append(line)
        yield lines


def read_data(data: str, event_id: str, type_: str, version: int, key_id: str | None,
              key: Any) -> dict[str, Any]:
    """A row's data opened with its key and brought up to its type's version, as
    `events.model.stored_from_row` reads it from a row joined to its key."""
    opened = open_data(_loads(data), event_id, key_id, _JoinedKey(key))
    event_type = EVENT_TYPES[type_]
    if version != event_type.version:
        opened = event_type.upcast(opened, version)
    return opened


class _JoinedKey:
    """What `open_data` reads of a row joined to its subject key: the key, None once destroyed."""

    __slots__ = ("_mapping",)

    def __init__(self, key: Any):
        self._mapping = {"subject_key": key}


def _safe(text: str) -> str:
    """`spreadsheet_safe`, with one set lookup instead of a tuple of prefixes."""
    return "'" + text if text[:1] in _FORMULA else text


def _data_cell(text: str) -> str:
    """The data's cell as `csv.writer` writes it: quoted, its quotes doubled, where it holds a
    comma or a quote (JSON escapes line breaks)."""
    text = _safe(text)
    return '"' + text.replace('"', '""') + '"\r\n' if '"' in text or "," in text else text + "\r\n"


class _Written:
    """One row at a time through `csv.writer` (the excel dialect), for the rows the quick
    way cannot write: its cells made safe as `csv_cell` makes them."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)

    def row(self, cells: Sequence[Any]) -> str:
        """The row's text."""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow([_safe(cell) if cell.__class__ is str else cell for cell in cells])
        return self._buffer.getvalue()


class _Times:
    """Stored times as `UTCDateTime` reads them, then as ISO text; the last is kept, as an
    import's events share their recorded time."""

    def __init__(self) -> None:
        self._last: Any = None
        self._text = ""

    def iso(self, value: Any) -> str:
        """The time's ISO text, with its UTC offset."""
        if value == self._last:
            return self._text
        if value.__class__ is str:
            moment = datetime.fromisoformat(value)
            # SQLite keeps naive UTC text: an aware time's text, without building one.
            text = (moment.isoformat() + "+00:00" if moment.tzinfo is None
                    else moment.astimezone(UTC).isoformat())
        else:
            text = (value.replace(tzinfo=UTC) if value.tzinfo is None
                    else value.astimezone(UTC)).isoformat()
        self._last, self._text = value, text
        return text
