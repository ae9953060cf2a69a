"""A figure's rule said in SQL over `events`: the events it reads, its `where` filter, and the data
field it sums or counts by, so that a drill-down finds a page of its rows on an index.

SQL says them exactly only of fields stored as they are read: not a personal field (stored
sealed) and not a field of a type with upcasters (stored in an older shape); `expressible` says
whether a figure's rule is one of those, else its rows are found in Python (`figure_rows`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from events.subjects import personal_fields
from events.tables import event_voids, events
from events.types import EVENT_TYPES
from projections.definitions import Figure

#: Above this many types, a figure's walk is one per quarter (types filtered on the index).
ARMS_BY_TYPE = 4


def read_fields(figure: Figure) -> set[str]:
    """The data fields the figure's rule reads (not the case reference, a column)."""
    fields = set(figure.where)
    if figure.measure in ("sum", "distinct") and figure.argument not in (None, "case"):
        fields.add(figure.argument or "")
    if figure.measure == "active":
        fields.add("member")
    return fields


def expressible(figure: Figure) -> bool:
    """Whether SQL can say exactly which events the figure counts and by what value."""
    fields = read_fields(figure)
    if not fields:
        return True
    for type_name in figure.types:
        known = EVENT_TYPES.get(type_name)
        if known is None or known.version > 1 or fields & personal_fields(type_name):
            return False
    return True


def _jsonb_field(name: str) -> sa.ColumnElement[Any]:
    return sa.cast(events.c.data, JSONB).op("->", return_type=JSONB)(sa.literal(name, sa.Text))


def _jsonb_text(name: str) -> sa.ColumnElement[Any]:
    return sa.cast(events.c.data, JSONB).op("->>", return_type=sa.Text)(sa.literal(name, sa.Text))


def _json(dialect: str, name: str) -> sa.ColumnElement[Any]:
    if dialect == "postgresql":
        return _jsonb_field(name)
    return sa.func.json_extract(events.c.data, f'$."{name}"')


def _number(dialect: str, name: str) -> sa.ColumnElement[Any]:
    """The field as a number, NULL where it is not one (true and false are not numbers)."""
    if dialect == "postgresql":
        return sa.case((sa.func.jsonb_typeof(_jsonb_field(name)) == "number",
                        sa.cast(_jsonb_text(name), sa.Numeric)))
    path = f'$."{name}"'
    return sa.case((sa.func.json_type(events.c.data, path).in_(["integer", "real"]),
                    sa.func.json_extract(events.c.data, path)))


def field_text(dialect: str, name: str) -> sa.ColumnElement[Any]:
    """The field's value as the text a distinct figure counts it under (NULL where missing)."""
    if dialect == "postgresql":
        return _jsonb_text(name)
    return sa.cast(sa.func.json_extract(events.c.data, f'$."{name}"'), sa.Text)


def where_clause(figure: Figure, dialect: str) -> sa.ColumnElement[bool]:
    """The figure's `where` filter (`Figure.matches`) as a condition on the stored data."""
    clauses: list[sa.ColumnElement[bool]] = []
    for name, wanted in figure.where.items():
        if isinstance(wanted, dict):
            number = _number(dialect, name)
            clauses.append(number.is_not(None))
            if "min" in wanted:
                clauses.append(number >= wanted["min"])
            if "max" in wanted:
                clauses.append(number <= wanted["max"])
        elif dialect == "postgresql":
            clauses.append(_json(dialect, name) == sa.literal(wanted, JSONB))
        else:
            # SQLite reads JSON true as 1, as Python compares True with 1.
            clauses.append(_json(dialect, name) == (int(wanted) if isinstance(wanted, bool)
                                                    else wanted))
    return sa.and_(sa.true(), *clauses)


def nonzero_amount(figure: Figure, dialect: str) -> sa.ColumnElement[bool]:
    """A sum's events that add something: their amount is there and not 0."""
    return sa.func.coalesce(_number(dialect, figure.argument or ""), 0) != 0


def not_voided() -> sa.ColumnElement[bool]:
    return ~sa.exists().where(event_voids.c.target_id == events.c.event_id)


def matching(figure: Figure, dialect: str, periods: Sequence[int] | None = None,
             up_to: int | None = None) -> list[sa.ColumnElement[bool]]:
    """The conditions on `events` of the figure's not voided events in these quarters (or in
    any quarter up to `up_to`)."""
    in_periods = (events.c.period <= up_to if up_to is not None
                  else events.c.period.in_(list(periods or ())))
    return [events.c.scheme == figure.scheme, in_periods, events.c.type.in_(list(figure.types)),
            not_voided(), where_clause(figure, dialect)]


def ordered_positions(figure: Figure, dialect: str, periods: Sequence[int],
                      *extra: sa.ColumnElement[bool], reach: int | None = None) -> sa.Select[Any]:
    """The positions of the figure's events in these quarters, in the order stored: one walk of
    the (scheme, period, type, position) index per quarter and type (migration 0015), merged;
    with `reach`, each walk stops after that many (the most the first `reach` rows need)."""
    common = [events.c.scheme == figure.scheme, not_voided(), where_clause(figure, dialect),
              *extra]
    by_type = len(figure.types) <= ARMS_BY_TYPE
    arms = [
        sa.select(events.c.position).where(
            events.c.period == period, *common,
            events.c.type == type_name if type_name else events.c.type.in_(list(figure.types)))
        for period in sorted(set(periods))
        for type_name in (figure.types if by_type else ("",))
    ]
    if len(arms) == 1:
        return arms[0].order_by(events.c.position)
    if reach is not None and dialect == "postgresql":
        # Told each walk's end, PostgreSQL walks each on the index instead of reading every
        # arm whole (and all the voids) to sort them; SQLite merges the walks as it goes.
        arms = [sa.select(arm.order_by(events.c.position).limit(reach).subquery().c.position)
                for arm in arms]
    union = sa.union_all(*arms).subquery("arms")
    return sa.select(union.c.position).order_by(union.c.position)


def group_key(figure: Figure, dialect: str) -> sa.ColumnElement[Any]:
    """What a distinct or active figure's row is in SQL: `distinct_value` and `member_of`."""
    if figure.measure == "active":
        return sa.func.coalesce(field_text(dialect, "member"),
                                sa.func.nullif(events.c.case_ref, ""), events.c.event_id)
    if figure.argument == "case":
        return sa.func.upper(events.c.case_ref)
    return field_text(dialect, figure.argument or "")
