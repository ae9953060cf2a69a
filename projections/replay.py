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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from itertools import takewhile
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection

from events.driver import DriverSQL
from events.store import read_events
from events.subjects import personal_fields
from events.types import EVENT_TYPES, VOIDED
from projections.definitions import Figure, FigureIndex
from projections.fold import Changes, fold_event, fold_figures, gather
from projections.stored_rows import load_targets

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
    local_date: date
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


def changes_between(
    connection: Connection, index: FigureIndex, after: int, upto: int
) -> Changes:
    """What the events at positions after `after` up to `upto` change."""
    if not _reads_personal_fields(index):
        # Figures only ask whether there is a subject (the repeat rate goes by its key id), which
        # sealed data answers: no decryption, and no event objects.
        return gather_range(connection, index, after, upto)
    batch = list(takewhile(lambda e: e.position <= upto, read_events(connection, after=after)))
    targets = load_targets(connection, [e.data["target"] for e in batch if e.type == VOIDED])
    return gather(index, batch, targets)


def _reads_personal_fields(index: FigureIndex) -> bool:
    """Whether any figure filters, breaks down, sums or counts distinct a personal field."""
    used: set[str] = set()
    for figure in index.figures:
        used.update(figure.where, figure.breakdown)
        if figure.measure in ("sum", "distinct") and figure.argument:
            used.add(figure.argument)
    return any(used & personal_fields(type_name) for type_name in EVENT_TYPES)


def gather_range(connection: Connection, index: FigureIndex, after: int, upto: int) -> Changes:
    """The changes the events at positions after `after` up to `upto` make to the read models."""
    plans = _plans(index)
    changes = Changes()
    groups, void_targets = _group_rows(connection, plans, changes, after, upto)
    _fold_groups(changes, plans, groups, DriverSQL.of(connection).read_date)
    wanted = [key for key, plan in plans.items() if plan.one_by_one]
    for single in _singles(connection, after, upto, wanted):
        fold_figures(changes, plans[(single.scheme, single.type)].one_by_one, single, 1)

    # After the events themselves, so a void in the same range finds its target already folded.
    targets = load_targets(connection, void_targets)
    for target_id in void_targets:
        fold_event(changes, index, targets[target_id], sign=-1)
    return changes


#: Events alike for every figure: scheme, type, quarter, local day (as the database gives it),
#: case (where it matters) and the values read.
_GroupKey = tuple[str, str, int, Any, str | None, tuple[Any, ...]]


def _group_rows(
    connection: Connection, plans: dict[tuple[str, str], Plan], changes: Changes, after: int, upto: int
) -> tuple[dict[_GroupKey, int], list[str]]:
    """Count the range's events by group, folding at once the few that cannot be grouped."""
    groups: dict[_GroupKey, int] = {}
    # Many events carry the very same data text ({"notice":"cpw"}): decode each text once.
    seen: dict[tuple[Plan, str], tuple[Any, ...]] = {}
    void_targets: list[str] = []
    driver = DriverSQL.of(connection)
    for scheme, type_name, version, period, day, case_ref, text in driver.rows(
        _GROUPED_SQL, (after, upto)
    ):
        if type_name == VOIDED:
            void_targets.append(json.loads(text)["target"])
            continue
        plan = plans.get((scheme, type_name))
        if plan is None:
            key: _GroupKey = (scheme, type_name, period, None, None, ())
        else:
            values: tuple[Any, ...] = ()
            if plan.fields:
                memo = seen.get((plan, text)) if version == plan.version else None
                if memo is None:
                    data = _data(text, type_name, version, plan.version)
                    values = tuple([data.get(name) for name in plan.fields])
                    if version == plan.version:
                        seen[(plan, text)] = values
                else:
                    values = memo
            key = (scheme, type_name, period, day, case_ref if plan.by_case else None, values)
        try:
            groups[key] = groups.get(key, 0) + 1
        except TypeError:  # a list or object value: fold this event on its own
            assert plan is not None
            changes.activity[(scheme, period)] += 1
            data = _data(text, type_name, version, plan.version)
            group = Group(scheme, type_name, period, driver.read_date(day), case_ref, data)
            fold_figures(changes, plan.grouped, group, 1)
    return groups, void_targets


def _fold_groups(changes: Changes, plans: dict[tuple[str, str], Plan], groups: dict[_GroupKey, int],
                 read_date: Callable[[Any], date]) -> None:
    """Fold each group once: by case for the figures that count distinct cases, else without."""
    uncased: dict[tuple[str, str, int, Any, tuple[Any, ...]], int] = {}
    days: dict[Any, date] = {}
    for (scheme, type_name, period, day, case_ref, values), n in groups.items():
        plan = plans.get((scheme, type_name))
        if plan is not None and plan.by_case:
            data = dict(zip(plan.fields, values, strict=True))
            group = Group(scheme, type_name, period, _day(days, day, read_date), case_ref, data)
            fold_figures(changes, plan.by_case, group, n)
        key5 = (scheme, type_name, period, day, values)
        uncased[key5] = uncased.get(key5, 0) + n
    for (scheme, type_name, period, day, values), n in uncased.items():
        changes.activity[(scheme, period)] += n
        plan = plans.get((scheme, type_name))
        if plan is not None and plan.uncased:
            data = dict(zip(plan.fields, values, strict=True))
            group = Group(scheme, type_name, period, _day(days, day, read_date), None, data)
            fold_figures(changes, plan.uncased, group, n)


def _day(days: dict[Any, date], raw: Any, read_date: Callable[[Any], date]) -> date:
    """The local day the database gave as `raw`, read once per distinct value."""
    found = days.get(raw)
    if found is None:
        found = days[raw] = read_date(raw)
    return found


def _data(text: str, type_name: str, version: int, current: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    return data if version == current else EVENT_TYPES[type_name].upcast(data, version)


def _singles(
    connection: Connection, after: int, upto: int, wanted: list[tuple[str, str]]
) -> Iterator[Single]:
    """The events of these schemes and types, each with its identity."""
    if not wanted:
        return
    driver = DriverSQL.of(connection)
    either = " OR ".join(["(scheme = ? AND type = ?)"] * len(wanted))
    params = (after, upto, *(part for pair in wanted for part in pair))
    for position, event_id, type_name, version, scheme, period, occurred_at, day, key_id, text in (
        driver.rows(_SINGLES_SQL.format(either=either), params)
    ):
        data = _data(text, type_name, version, EVENT_TYPES[type_name].version)
        yield Single(position, event_id, type_name, scheme, period, driver.read_time(occurred_at),
                     driver.read_date(day), key_id, data)


_GROUPED_SQL = (
    "SELECT scheme, type, version, period, local_date, case_ref, data FROM events"
    " WHERE position > ? AND position <= ?"
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
