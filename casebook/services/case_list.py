"""The cases list, "my cases" and what is due: reads of the casework read models (SQLAlchemy Core).

Every query reads `case_index` and `case_due` (`projections.casework_tables`) on their indexes;
none replays the log, and a subject is found through its keyed hash, never by decrypting.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from casebook.services.event_filter import Schemes
from events.references import case_key
from events.subjects import SubjectUnknown, case_subjects, find_subject
from projections.casework_tables import case_due, case_index
from projections.due_items import DueKind
from projections.presentation.due import WEEK_DAYS

#: Cases on a page of the list.
PAGE_SIZE = 50
STATUSES = ("open", "closed", "any")
OWNERS = ("anyone", "me", "none")
#: "any": no filter; "due": anything due; "week": due within `WEEK_DAYS` or overdue.
DUES = ("any", "due", "week", "overdue")
NEWEST, OLDEST = "newest", "oldest"
_KIND_ORDER = {kind.value: n for n, kind in enumerate(DueKind)}


@dataclass(frozen=True)
class CaseFilter:
    """What the list is narrowed to; `schemes` empty means every scheme the reader may read."""

    schemes: frozenset[str] = frozenset()
    status: str = "open"
    owner: str = "anyone"
    due: str = "any"
    #: Part of a reference, in any letter case ("0042" finds ASB-2026-0042).
    text: str = ""
    #: A subject reference, matched exactly through its keyed hash.
    subject: str = ""


@dataclass(frozen=True)
class Cursor:
    """Where a page starts or ends in the list's order: a case's last activity and reference."""

    last_occurred_at: datetime
    case_ref: str


@dataclass(frozen=True)
class DueShown:
    """One due item as the pages show it."""

    case_ref: str
    scheme: str
    kind: str
    due_on: date
    because: str


@dataclass(frozen=True)
class ListedCase:
    """A case's row in the list, with the soonest thing due on it."""

    case_ref: str
    scheme: str
    status: str
    owner: str | None
    opened_on: date
    last_occurred_at: datetime
    events: int
    next_due: DueShown | None = None

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.last_occurred_at, self.case_ref)


@dataclass(frozen=True)
class CasePage:
    """A page of the list and where the pages either side of it begin."""

    cases: list[ListedCase]
    next_after: Cursor | None = None
    previous_before: Cursor | None = None


@dataclass(frozen=True)
class Meets:
    """The event that meets a kind of due item: its type, the answers it comes with, the link."""

    type_name: str | None
    prefill: dict[str, str]
    words: str


#: What to log for each kind of due item (None: any event shows the case is active).
MEETS: dict[str, Meets] = {
    DueKind.CPW_COMPLIANCE.value: Meets("compliance.checked", {"notice": "cpw"},
                                        "Log the compliance check"),
    DueKind.CPN_REVIEW.value: Meets("compliance.checked", {"notice": "cpn"},
                                    "Log the review of the notice"),
    DueKind.ACR_THRESHOLD.value: Meets("threshold.decided", {}, "Log the threshold decision"),
    DueKind.ACR_PANEL.value: Meets("panel.held", {"panel": "case-review"},
                                   "Log the case review panel"),
    DueKind.INACTIVE.value: Meets(None, {}, "Log an event in this case"),
}


def shown_due(today: date) -> sa.ColumnElement[bool]:
    """The due rows the pages show: every item but "no event for a while" until it is near."""
    return sa.or_(case_due.c.kind != DueKind.INACTIVE.value,
                  case_due.c.due_on < today + timedelta(days=WEEK_DAYS))


def _due_condition(due: str, today: date) -> sa.ColumnElement[bool] | None:
    if due == "overdue":
        return case_due.c.due_on < today
    if due == "week":
        return case_due.c.due_on < today + timedelta(days=WEEK_DAYS)
    if due == "due":
        return shown_due(today)
    return None


def _filtered(connection: Connection, chosen: CaseFilter, readable: Schemes, *,
              user: str, today: date) -> sa.Select[Any] | None:
    """The list's query before its order and page; None where nothing can match."""
    query = sa.select(case_index)
    schemes = set(chosen.schemes) if chosen.schemes else None
    if readable is not None:
        schemes = set(readable) if schemes is None else schemes & set(readable)
    if schemes is not None:
        if not schemes:
            return None
        query = query.where(case_index.c.scheme.in_(sorted(schemes)))
    if chosen.status in ("open", "closed"):
        query = query.where(case_index.c.status == chosen.status)
    if chosen.owner == "me":
        query = query.where(case_index.c.owner == user)
    elif chosen.owner == "none":
        query = query.where(case_index.c.owner.is_(None))
    condition = _due_condition(chosen.due, today)
    if condition is not None:
        query = query.where(sa.exists().where(case_due.c.case_ref == case_index.c.case_ref,
                                              condition))
    if chosen.text.strip():
        escaped = case_key(chosen.text.strip())
        for special in ("\\", "%", "_"):
            escaped = escaped.replace(special, "\\" + special)
        query = query.where(case_index.c.case_ref.like(f"%{escaped}%", escape="\\"))
    if chosen.subject.strip():
        try:
            key_id = find_subject(connection, chosen.subject.strip())
        except SubjectUnknown:
            return None
        linked = sa.select(sa.func.upper(case_subjects.c.case_ref)).where(
            case_subjects.c.key_id == key_id)
        query = query.where(case_index.c.case_ref.in_(linked.scalar_subquery()))
    return query


def list_cases(connection: Connection, chosen: CaseFilter, readable: Schemes, *, user: str,
               today: date, order: str = NEWEST, after: Cursor | None = None,
               before: Cursor | None = None, size: int = PAGE_SIZE) -> CasePage:
    """A page of the cases passing the filters, by last activity (newest or oldest first),
    starting after `after` or ending before `before` (keyset paging); a case whose reference is
    the whole search text comes first on the first page."""
    query = _filtered(connection, chosen, readable, user=user, today=today)
    if query is None:
        return CasePage([])
    exact: list[ListedCase] = []
    text = chosen.text.strip()
    if text:
        # The case the search names exactly leads the first page and is left out of the rest.
        if after is None and before is None:
            exact = _cases(connection, query.where(case_index.c.case_ref == case_key(text)))
        query = query.where(case_index.c.case_ref != case_key(text))
    newest = order != OLDEST
    backwards = before is not None and after is None
    cursor = before if backwards else after
    if cursor is not None:
        query = query.where(_beyond(cursor, later=newest == backwards))
    walk_down = newest != backwards
    last, ref = case_index.c.last_occurred_at, case_index.c.case_ref
    query = query.order_by(*((last.desc(), ref.desc()) if walk_down else (last, ref)))
    found = _cases(connection, query.limit(size + 1))
    more = len(found) > size
    found = found[:size]
    if backwards:
        found.reverse()
    rows = _with_next_due(connection, exact + found, today)
    if not found:
        return CasePage(rows)
    has_next = more if not backwards else True
    has_previous = (after is not None) if not backwards else more
    return CasePage(rows, next_after=found[-1].cursor if has_next else None,
                    previous_before=found[0].cursor if has_previous else None)


def _beyond(cursor: Cursor, *, later: bool) -> sa.ColumnElement[bool]:
    """Rows after the cursor in time order (`later`) or before it, the reference breaking ties."""
    last, ref = case_index.c.last_occurred_at, case_index.c.case_ref
    if later:
        return sa.or_(last > cursor.last_occurred_at,
                      sa.and_(last == cursor.last_occurred_at, ref > cursor.case_ref))
    return sa.or_(last < cursor.last_occurred_at,
                  sa.and_(last == cursor.last_occurred_at, ref < cursor.case_ref))


def _cases(connection: Connection, query: sa.Select[Any]) -> list[ListedCase]:
    return [ListedCase(row.case_ref, row.scheme, row.status, row.owner, row.opened_on,
                       row.last_occurred_at, int(row.events))
            for row in connection.execute(query)]


def _with_next_due(connection: Connection, found: Sequence[ListedCase],
                   today: date) -> list[ListedCase]:
    soonest: dict[str, DueShown] = {}
    for item in _due_rows(connection, [c.case_ref for c in found], today):
        soonest.setdefault(item.case_ref, item)
    return [replace(c, next_due=soonest.get(c.case_ref)) for c in found]


def _due_rows(connection: Connection, refs: Collection[str], today: date) -> list[DueShown]:
    """The shown due items of these cases, soonest first."""
    if not refs:
        return []
    rows = connection.execute(sa.select(case_due).where(
        case_due.c.case_ref.in_(sorted(refs)), shown_due(today)))
    items = [DueShown(r.case_ref, r.scheme, r.kind, r.due_on, r.because) for r in rows]
    return sorted(items, key=lambda i: (i.due_on, _KIND_ORDER.get(i.kind, 99), i.case_ref,
                                        i.because))


def due_on_case(connection: Connection, case_ref: str, today: date) -> list[DueShown]:
    """What is due on one case, as its page shows it, soonest first."""
    return _due_rows(connection, [case_key(case_ref)], today)


def due_this_week(connection: Connection, owner: str, readable: Schemes,
                  today: date) -> list[DueShown]:
    """What is due within `WEEK_DAYS` of today, or overdue, on the cases `owner` owns."""
    query = (sa.select(case_due).join(case_index, case_index.c.case_ref == case_due.c.case_ref)
             .where(case_index.c.owner == owner, case_index.c.status == "open",
                    case_due.c.due_on < today + timedelta(days=WEEK_DAYS)))
    if readable is not None:
        query = query.where(case_index.c.scheme.in_(sorted(readable)))
    items = [DueShown(r.case_ref, r.scheme, r.kind, r.due_on, r.because)
             for r in connection.execute(query)]
    return sorted(items, key=lambda i: (i.due_on, _KIND_ORDER.get(i.kind, 99), i.case_ref))
