"""The store's reads and writes for one batch of events, as driver SQL (see `events.driver`).

Each lookup sends nothing when it has nothing to look up, so a batch without cases, voids or
rule-bearing events sends no statement for them. Lookups send their query at once and return a
function that reads the answer, so on PostgreSQL all of a batch's lookups go in one pipeline (one
round trip) before any is read. Only a stored duplicate is read back through SQLAlchemy, as it
has to be decrypted and brought up to date to be compared.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events import rules
from events.driver import IN_CHUNK, DriverSQL, Pending, in_list, sorted_parts
from events.model import canonical_json, stored_from_row
from events.references import case_key
from events.subjects import readable_events
from events.tables import EVENT_COLUMNS, column_kinds, events

#: Events the case rules look back at.
RULE_TYPES = ("notice.issued", "application.received", "threshold.decided", "compliance.checked")

T = TypeVar("T")
#: A lookup already sent (in a pipeline on PostgreSQL): call it for its answer.
Later = Callable[[], T]

_INSERT_EVENT = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES {in_list(len(EVENT_COLUMNS))}"
#: Where the events table's times and dates are in its rows: those values are bound converted.
_TIMES = tuple(i for i, kind in enumerate(column_kinds(events)[1]) if kind == "time")
_DATES = tuple(i for i, kind in enumerate(column_kinds(events)[1]) if kind == "date")
_EVENT_VALUES = itemgetter(*EVENT_COLUMNS)
#: The newest row: where the next position and the next link of the chain start from.
_HEAD = "SELECT position, chain FROM events ORDER BY position DESC LIMIT 1"
_NEXT_POSITIONS = (
    "SELECT nextval(seq) FROM (SELECT pg_get_serial_sequence('events', 'position')::regclass"
    " AS seq) AS s, generate_series(1, ?)"
)
_STORED = readable_events().where(events.c.event_id.in_(sa.bindparam("ids", expanding=True)))


def stored_ids(driver: DriverSQL, event_ids: Iterable[str]) -> Later[set[str]]:
    """Which of these event ids are already stored."""
    sent = driver.send_for_keys("SELECT event_id FROM events WHERE {}", "event_id", event_ids)
    return lambda: {row[0] for row in _rows(sent)}


def stored_contents(connection: Connection, event_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """What an idempotent re-append is compared on, for stored events (decrypted, upcast)."""
    found: dict[str, dict[str, Any]] = {}
    for part in sorted_parts(event_ids, IN_CHUNK):
        for row in connection.execute(_STORED, {"ids": part}):
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


def void_targets(driver: DriverSQL, event_ids: Iterable[str]) -> Later[dict[str, dict[str, Any]]]:
    """The type and scheme of each stored event a void points at."""
    sent = driver.send_for_keys(
        "SELECT event_id, type, scheme FROM events WHERE {}", "event_id", event_ids
    )
    return lambda: {row[0]: {"type": row[1], "scheme": row[2]} for row in _rows(sent)}


def voided(driver: DriverSQL, event_ids: Iterable[str]) -> Later[set[str]]:
    """Which of these events are voided already."""
    sent = driver.send_for_keys(
        "SELECT target_id FROM event_voids WHERE {}", "target_id", event_ids
    )
    return lambda: {row[0] for row in _rows(sent)}


def case_versions(driver: DriverSQL, case_refs: Iterable[str]) -> Later[dict[str, tuple[str, int]]]:
    """Each stored case's scheme and version (its number of events), by `case_key`."""
    sent = driver.send_for_keys(
        "SELECT case_ref, scheme, version FROM cases WHERE {}", "case_ref",
        {case_key(ref) for ref in case_refs},
    )
    return lambda: {row[0]: (row[1], row[2]) for row in _rows(sent)}


def schemes(driver: DriverSQL, scheme_ids: Iterable[str]) -> Later[dict[str, bool]]:
    """Whether each of these schemes is retired; a scheme that does not exist is left out."""
    sent = driver.send_for_keys(
        "SELECT scheme_id, retired_at FROM schemes WHERE {}", "scheme_id", scheme_ids
    )
    return lambda: {row[0]: row[1] is not None for row in _rows(sent)}


def case_prefixes(driver: DriverSQL) -> Later[dict[str, str | None]]:
    """Every scheme's case reference prefix (None where it has none): a few dozen rows."""
    sent = driver.send("SELECT scheme_id, case_prefix FROM schemes")
    return lambda: {row[0]: row[1] for row in sent.rows()}


def histories(driver: DriverSQL, case_refs: Iterable[str]) -> Later[dict[str, list[rules.CaseEntry]]]:
    """The earlier events of each case that the case rules look back at, in log order, by
    `case_key`: events stored under "asb-1" belong to the case "ASB-1" (the index on
    upper(case_ref) finds them)."""
    # SQLite, without statistics, would find these through the index on type: every notice
    # in the log, a read that grows with it. `+` keeps it to the cases' own index.
    type_ = "+e.type" if driver.sqlite else "e.type"
    sent = driver.send_for_keys(
        "SELECT e.event_id, upper(e.case_ref), e.type, e.data, e.occurred_at, v.target_id"
        " FROM events e LEFT OUTER JOIN event_voids v ON v.target_id = e.event_id"
        f" WHERE {{}} AND {type_} IN {in_list(len(RULE_TYPES))} ORDER BY e.position",
        "upper(e.case_ref)",
        {case_key(ref) for ref in case_refs},
        RULE_TYPES,
    )

    def read() -> dict[str, list[rules.CaseEntry]]:
        found: dict[str, list[rules.CaseEntry]] = {}
        for event_id, case_ref, type_, data, occurred_at, void_target in _rows(sent):
            found.setdefault(case_ref, []).append(
                rules.CaseEntry(
                    event_id,
                    type_,
                    json.loads(data).get("notice"),
                    driver.read_time(occurred_at),
                    void_target is not None,
                )
            )
        return found

    return read


def head(driver: DriverSQL) -> Later[tuple[int, str | None]]:
    """The newest stored event's position and chain; (0, None) for an empty log."""
    sent = driver.send(_HEAD)

    def read() -> tuple[int, str | None]:
        rows = sent.rows()
        return (rows[0][0], rows[0][1]) if rows else (0, None)

    return read


def next_positions(driver: DriverSQL, count: int) -> Later[list[int]]:
    """PostgreSQL: `count` positions taken from the log's sequence, in order.

    Taken under the append lock, so they become visible in the order taken. One that goes
    unused (a refused or duplicate event) is a gap in the positions, as a rolled-back insert is.
    """
    sent = driver.send(_NEXT_POSITIONS, [count])
    return lambda: sorted(row[0] for row in sent.rows())


def insert_events(driver: DriverSQL, rows: list[dict[str, Any]]) -> None:
    """Insert event rows as `events.rows.event_rows` builds them, each with its position and chain."""
    if not rows:
        return
    time, day = driver.time, driver.date
    # The rows of a batch share one recorded_at: convert it once.
    shared = rows[0]["recorded_at"]
    shared_value = time(shared)
    values: list[list[Any]] = []
    for row in rows:
        value = list(_EVENT_VALUES(row))
        for i in _TIMES:
            value[i] = shared_value if value[i] is shared else time(value[i])
        for i in _DATES:
            value[i] = day(value[i])
        values.append(value)
    if len(rows) == 1:
        driver.execute(_INSERT_EVENT, values[0])
        return
    driver.insert("events", EVENT_COLUMNS, values)


def insert_cases(driver: DriverSQL, rows: list[dict[str, Any]]) -> None:
    """New cases: their scheme, version, opening date and latest event time."""
    driver.insert(
        "cases", ("case_ref", "scheme", "version", "opened_on", "last_occurred_at"),
        (
            (
                row["case_ref"],
                row["scheme"],
                row["version"],
                driver.date(row["opened_on"]),
                driver.time(row["last_occurred_at"]),
            )
            for row in rows
        ),
    )


def update_cases(driver: DriverSQL, updates: list[dict[str, Any]]) -> None:
    """Stored cases: a new version, and a later latest event time where there is one."""
    if not driver.sqlite and len(updates) > 1:
        # One statement, one array per column, rather than a message per case.
        driver.execute(
            "UPDATE cases SET version = u.v, last_occurred_at = CASE WHEN"
            " cases.last_occurred_at < u.at THEN u.at ELSE cases.last_occurred_at END"
            " FROM unnest(?::varchar[], ?::integer[], ?::timestamptz[]) AS u(ref, v, at)"
            " WHERE cases.case_ref = u.ref",
            [[u["ref"] for u in updates], [u["v"] for u in updates],
             [u["at"] for u in updates]],
        )
        return
    driver.executemany(
        "UPDATE cases SET version = ?, last_occurred_at = CASE WHEN last_occurred_at < ?"
        " THEN ? ELSE last_occurred_at END WHERE case_ref = ?",
        (
            (update["v"], driver.time(update["at"]), driver.time(update["at"]), update["ref"])
            for update in updates
        ),
    )


def insert_voids(driver: DriverSQL, voids: list[dict[str, Any]]) -> None:
    """One row per voided event (its primary key refuses a second void of the same event)."""
    driver.insert(
        "event_voids", ("target_id", "void_id", "reason"),
        ((v["target_id"], v["void_id"], v["reason"]) for v in voids),
    )


def _rows(sent: list[Pending]) -> Iterator[tuple[Any, ...]]:
    for pending in sent:
        yield from pending.rows()
