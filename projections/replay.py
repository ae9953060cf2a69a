"""A rebuild's fold: the log read straight from the driver, and like events counted together.

A rebuild reads every event once. Building a `StoredEvent` for each row (result processing,
datetimes, decryption) cost more than the figures themselves, and most figures only ask how many
events of a scheme and type fell in a quarter, perhaps with a field or two. So each row is reduced
to what the definitions read from it (its scheme, type, quarter, case and the data fields they
name) and rows alike in all of that are counted together; each group is then folded once,
weighted by its count (`projections.fold.fold_figures`). The repeat rate and the latest return
need each event's identity, and are folded one event at a time; voids subtract their targets,
exactly as the live projector does. The result is the same `Changes` that `gather` makes of the
same events, which the tests check.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection

from events.driver import DriverSQL
from events.types import EVENT_TYPES, VOIDED
from projections.definitions import Figure, FigureIndex
from projections.fold import Changes, fold_event, fold_figures
from projections.projector import load_targets

#: Measures that need each event's identity (its id, subject key, time and position).
_ONE_BY_ONE = ("repeat-rate", "latest-return")


@dataclass(frozen=True, eq=False)
class Plan:
    """What the figures of one scheme and event type read from its events (hashed by identity)."""

    version: int
    #: Figures folded per group of like events: those that count distinct cases, and the rest.
    by_case: tuple[Figure, ...]
    uncased: tuple[Figure, ...]
    one_by_one: tuple[Figure, ...]
    #: The data fields the grouped figures filter, break down, sum or count distinct.
    fields: tuple[str, ...]

    @property
    def grouped(self) -> tuple[Figure, ...]:
        return self.by_case + self.uncased


@dataclass(frozen=True)
class Group:
    """Events alike in everything the grouped figures read: folded once, weighted by their count."""

    scheme: str
    type: str
    period: int
    case_ref: str | None
    data: dict[str, Any]


class Single(NamedTuple):
    """An event folded on its own, with the identity its measures need."""

    position: int
    event_id: str
    type: str
    scheme: str
    period: int
    occurred_at: datetime
    local_date: date
    key_id: str | None
    data: dict[str, Any]


def gather_range(connection: Connection, index: FigureIndex, after: int, upto: int) -> Changes:
    """The changes the events at positions after `after` up to `upto` make to the read models."""
    plans = _plans(index)
    changes = Changes()
    driver = DriverSQL(connection)
    grouped = _grouped_sql(connection.dialect.name, index)
    uncased: dict[tuple[str, str, int, tuple[str | None, ...]], int] = {}
    legacy: set[tuple[str, int]] = set()
    decoded: dict[tuple[Plan, tuple[str | None, ...]], dict[str, Any]] = {}

    def values(plan: Plan, texts: tuple[str | None, ...]) -> dict[str, Any]:
        """A group's data: each field the plan reads, decoded once per distinct text."""
        data = decoded.get((plan, texts))
        if data is None:
            data = decoded[(plan, texts)] = {
                name: None if text is None else json.loads(text)
                for name, text in zip(plan.fields, texts, strict=True)
            }
        return data

    for scheme, type_name, version, period, case_ref, *texts, n in driver.rows(
        grouped.sql, (after, upto)
    ):
        plan = plans.get((scheme, type_name))
        if plan is None:
            changes.activity[(scheme, period)] += n
            continue
        if version != plan.version:
            legacy.add((type_name, version))  # stored under an older version: upcast one by one
            continue
        mine = tuple([texts[i] for i in grouped.columns[(scheme, type_name)]])
        if plan.by_case:
            group = Group(scheme, type_name, period, case_ref, values(plan, mine))
            fold_figures(changes, plan.by_case, group, n)
        key = (scheme, type_name, period, mine)
        uncased[key] = uncased.get(key, 0) + n
    for (scheme, type_name, period, mine), n in uncased.items():
        changes.activity[(scheme, period)] += n
        plan = plans[(scheme, type_name)]
        if plan.uncased:
            group = Group(scheme, type_name, period, None, values(plan, mine))
            fold_figures(changes, plan.uncased, group, n)

    for type_name, version in sorted(legacy):
        for scheme, period, case_ref, text in driver.rows(_LEGACY_SQL, (after, upto, type_name,
                                                                        version)):
            plan = plans.get((scheme, type_name))
            if plan is None:
                continue  # counted in its scheme's activity above: no figure reads it
            changes.activity[(scheme, period)] += 1
            data = _data(text, type_name, version, plan.version)
            fold_figures(changes, plan.grouped, Group(scheme, type_name, period, case_ref, data), 1)

    wanted = [key for key, plan in plans.items() if plan.one_by_one]
    for single in _singles(connection, after, upto, wanted):
        fold_figures(changes, plans[(single.scheme, single.type)].one_by_one, single, 1)

    # After the events themselves, so a void in the same range finds its target already folded.
    void_targets = [json.loads(text)["target"] for (text,) in driver.rows(_VOIDS_SQL,
                                                                          (after, upto))]
    targets = load_targets(connection, void_targets)
    for target_id in void_targets:
        fold_event(changes, index, targets[target_id], sign=-1)
    return changes


def _data(text: str, type_name: str, version: int, current: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    return data if version == current else EVENT_TYPES[type_name].upcast(data, version)


def _singles(
    connection: Connection, after: int, upto: int, wanted: list[tuple[str, str]]
) -> Iterator[Single]:
    """The events of these schemes and types, each with its identity."""
    if not wanted:
        return
    driver = DriverSQL(connection)
    either = " OR ".join(["(scheme = ? AND type = ?)"] * len(wanted))
    params = (after, upto, *(part for pair in wanted for part in pair))
    for position, event_id, type_name, version, scheme, period, occurred_at, day, key_id, text in (
        driver.rows(_SINGLES_SQL.format(either=either), params)
    ):
        occurred_at = driver.read_time(occurred_at)
        if isinstance(day, str):  # SQLite keeps dates as ISO text
            day = date.fromisoformat(day)
        data = _data(text, type_name, version, EVENT_TYPES[type_name].version)
        yield Single(position, event_id, type_name, scheme, period, occurred_at, day, key_id, data)


_LEGACY_SQL = (
    "SELECT scheme, period, case_ref, data FROM events"
    " WHERE position > ? AND position <= ? AND type = ? AND version = ?"
)
_VOIDS_SQL = (
    f"SELECT data FROM events WHERE position > ? AND position <= ? AND type = '{VOIDED}'"
    " ORDER BY position"
)
_SINGLES_SQL = (
    "SELECT position, event_id, type, version, scheme, period, occurred_at, local_date, key_id,"
    " data FROM events WHERE position > ? AND position <= ? AND ({either})"
    " ORDER BY position"
)


@lru_cache(maxsize=8)
def _plans(index: FigureIndex) -> dict[tuple[str, str], Plan]:
    """A plan per scheme and event type that some figure counts."""
    plans: dict[tuple[str, str], Plan] = {}
    for scheme, type_name in {(f.scheme, t) for f in index.figures for t in f.types}:
        figures = index.for_event(scheme, type_name)
        grouped = tuple(f for f in figures if f.measure not in _ONE_BY_ONE)
        fields: set[str] = set()
        for figure in grouped:
            fields.update(figure.where, figure.breakdown)
            if figure.measure in ("sum", "distinct") and figure.argument != "case":
                fields.add(figure.argument or "")
        by_case = tuple(f for f in grouped if f.measure == "distinct" and f.argument == "case")
        plans[(scheme, type_name)] = Plan(
            version=EVENT_TYPES[type_name].version,
            by_case=by_case,
            uncased=tuple(f for f in grouped if f not in by_case),
            one_by_one=tuple(f for f in figures if f.measure in _ONE_BY_ONE),
            fields=tuple(sorted(fields)),
        )
    return plans


@dataclass(frozen=True)
class GroupedSQL:
    """The query that groups a range of events by everything the grouped figures read."""

    sql: str
    #: For each scheme and type, which of the extracted field columns are its plan's fields.
    columns: dict[tuple[str, str], tuple[int, ...]]


@lru_cache(maxsize=8)
def _grouped_sql(dialect: str, index: FigureIndex) -> GroupedSQL:
    """Events counted per scheme, type, version and quarter, and by the case and the data fields
    where a figure reads them. Each field is taken out as JSON text (so true stays true, not 1),
    and only from the schemes and types whose figures read it."""
    plans = _plans(index)
    fields = sorted({name for plan in plans.values() for name in plan.fields})
    extracted = []
    for name in fields:
        readers = [key for key, plan in plans.items() if name in plan.fields]
        extracted.append(f"CASE WHEN {_any_of(readers)} THEN {_field(dialect, name)} END")
    by_case = [key for key, plan in plans.items() if plan.by_case]
    case = f"CASE WHEN {_any_of(by_case)} THEN case_ref END" if by_case else "NULL"
    selected = ["scheme", "type", "version", "period", case, *extracted]
    sql = (
        f"SELECT {', '.join(selected)}, COUNT(*) FROM events"
        f" WHERE position > ? AND position <= ? AND type <> '{VOIDED}'"
        f" GROUP BY {', '.join(str(i) for i in range(1, len(selected) + 1))}"
    )
    columns = {
        key: tuple(fields.index(name) for name in plan.fields) for key, plan in plans.items()
    }
    return GroupedSQL(sql, columns)


_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def _any_of(keys: list[tuple[str, str]]) -> str:
    """SQL true for events of these schemes and types (ids checked, so safe to inline)."""
    for scheme, type_name in keys:
        if not (_NAME.match(scheme) and _NAME.match(type_name)):
            raise ValueError(f"not a scheme and type id: {scheme!r}, {type_name!r}")
    return " OR ".join(f"(scheme = '{scheme}' AND type = '{t}')" for scheme, t in sorted(keys))


def _field(dialect: str, name: str) -> str:
    """One top-level data field as JSON text, NULL or 'null' where it is missing."""
    if not _NAME.match(name):
        raise ValueError(f"not a data field name: {name!r}")
    if dialect == "postgresql":
        return f"((data::jsonb) -> '{name}')::text"
    return sqlite_field(name, arrow=sqlite3.sqlite_version_info >= (3, 38))


def sqlite_field(name: str, *, arrow: bool) -> str:
    """A data field as JSON text on SQLite: with `->`, or as SQLite before 3.38 can."""
    path = f"'$.\"{name}\"'"
    if arrow:
        return f"data -> {path}"
    # json_extract gives true as 1 and a string unquoted, so say what each type is.
    return (
        f"CASE json_type(data, {path}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'"
        f" WHEN 'array' THEN json_extract(data, {path}) WHEN 'object' THEN json_extract(data, {path})"
        f" ELSE json_quote(json_extract(data, {path})) END"
    )
