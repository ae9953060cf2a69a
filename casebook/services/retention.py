"""Retention: erase the subjects of cases closed longer ago than their scheme keeps them.

A case counts as closed when its latest standing event (by occurrence) is `case.closed`; any
later event reopens it (`events.rules.closure`, which the case page uses too). A subject is
erased only once every case they are linked to is past its scheme's period, so an open case
never loses its data. Erasure destroys keys (see `casebook.services.erasure`), so every figure
stays as it was.

The period runs from the later of when the closure happened and when it was recorded: a closure
dated years back is still recorded today, and must not make a case look long closed. Nothing is
erased in the week after a case last changed (an event or a void recorded in it), so a closure
or a void made in error can be put right before the data goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from casebook.services.access_log import log_access
from casebook.services.erasure import erase_key, scrub
from events.db import reading, writing
from events.quarters import local_date
from events.rules import closure
from events.subjects import case_subjects, subject_keys
from events.tables import event_voids, events
from events.types import CASE_CLOSED

#: How long a case's data is kept at least after anything in the case was recorded.
SETTLING = timedelta(days=7)


@dataclass(frozen=True)
class RetentionPolicy:
    """Years a scheme keeps a case's personal data after closure: a default and overrides."""

    default_years: int = 6
    by_scheme: Mapping[str, int] = field(default_factory=dict)

    def years(self, scheme: str) -> int:
        return self.by_scheme.get(scheme, self.default_years)

    def erase_after(self, scheme: str, closed_on: date) -> date:
        """The first day the case's data may no longer be kept."""
        years = self.years(scheme)
        try:
            return closed_on.replace(year=closed_on.year + years)
        except ValueError:  # 29 February into a year without one
            return closed_on.replace(year=closed_on.year + years, day=28)


@dataclass(frozen=True)
class ClosedCase:
    case_ref: str
    scheme: str
    #: The London date of the later of the closure's occurrence and its recording.
    closed_on: date
    erase_after: date


@dataclass
class RetentionReport:
    """What a retention run found and did."""

    now: datetime
    closed_cases: int = 0
    expired: list[ClosedCase] = field(default_factory=list)
    #: key id -> the expired cases it was erased for.
    erased: dict[str, list[str]] = field(default_factory=dict)
    #: key id -> the cases still held that keep it.
    kept: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "now": self.now.isoformat(),
            "closed_cases": self.closed_cases,
            "expired_cases": [
                {"case": c.case_ref, "scheme": c.scheme, "closed_on": c.closed_on.isoformat(),
                 "erase_after": c.erase_after.isoformat()}
                for c in self.expired
            ],
            "erased_keys": self.erased,
            "kept_keys": self.kept,
        }


@dataclass(frozen=True)
class _CaseEvent:
    """One event of a case as retention reads it: a `events.rules.PastEvent`, and when recorded."""

    type: str
    scheme: str
    occurred_at: datetime
    recorded_at: datetime
    voided: bool


def closed_cases(connection: Connection, policy: RetentionPolicy) -> list[ClosedCase]:
    """Every case whose latest standing event is its closure (`events.rules.closure`)."""
    with_closure = sa.select(events.c.case_ref).where(events.c.type == CASE_CLOSED)
    void_event = events.alias("void_event")
    query = (
        sa.select(events.c.case_ref, events.c.scheme, events.c.type, events.c.occurred_at,
                  events.c.recorded_at, void_event.c.recorded_at.label("voided_at"))
        .select_from(
            events.outerjoin(event_voids, event_voids.c.target_id == events.c.event_id)
            .outerjoin(void_event, void_event.c.event_id == event_voids.c.void_id))
        .where(events.c.case_ref.in_(with_closure))
        .order_by(events.c.position)
    )
    history: dict[str, list[_CaseEvent]] = {}
    changed: dict[str, datetime] = {}
    for row in connection.execute(query):
        recorded = max(row.recorded_at, row.voided_at or row.recorded_at)
        changed[row.case_ref] = max(changed.get(row.case_ref, recorded), recorded)
        history.setdefault(row.case_ref, []).append(_CaseEvent(
            row.type, row.scheme, row.occurred_at, row.recorded_at, row.voided_at is not None))
    found = []
    for case_ref, case_events in sorted(history.items()):
        closing = closure(case_events)
        if closing is not None:
            closed_on = local_date(max(closing.occurred_at, closing.recorded_at))
            erase_after = max(policy.erase_after(closing.scheme, closed_on),
                              local_date(changed[case_ref] + SETTLING))
            found.append(ClosedCase(case_ref, closing.scheme, closed_on, erase_after))
    return found


def plan(connection: Connection, policy: RetentionPolicy, now: datetime) -> RetentionReport:
    """Which keys a run at `now` erases, and which it keeps because a case still needs them."""
    report = RetentionReport(now)
    closed = closed_cases(connection, policy)
    report.closed_cases = len(closed)
    today = local_date(now)
    report.expired = [c for c in closed if c.erase_after <= today]
    expired = {c.case_ref for c in report.expired}
    if not expired:
        return report
    live = subject_keys.c.key.is_not(None)
    links: dict[str, set[str]] = {}
    for row in connection.execute(
        sa.select(case_subjects.c.key_id, case_subjects.c.case_ref)
        .join(subject_keys, subject_keys.c.key_id == case_subjects.c.key_id)
        .where(live, case_subjects.c.key_id.in_(
            sa.select(case_subjects.c.key_id).where(case_subjects.c.case_ref.in_(sorted(expired)))
        ))
    ):
        links.setdefault(row.key_id, set()).add(row.case_ref)
    # A case with no subject has a key of its own for its free text.
    for row in connection.execute(
        sa.select(events.c.key_id, events.c.case_ref).distinct()
        .join(subject_keys, subject_keys.c.key_id == events.c.key_id)
        .where(live, subject_keys.c.kind == "case", events.c.case_ref.in_(sorted(expired)))
    ):
        links.setdefault(row.key_id, set()).add(row.case_ref)
    for key_id, cases in sorted(links.items()):
        still_held = sorted(cases - expired)
        if still_held:
            report.kept[key_id] = still_held
        else:
            report.erased[key_id] = sorted(cases)
    return report


def run_retention(
    engine: Engine, policy: RetentionPolicy, *, now: datetime, erased_by: str, dry_run: bool = False
) -> RetentionReport:
    """Erase every key past retention at `now`, one transaction per key; the report says which."""
    with reading(engine) as connection:
        report = plan(connection, policy, now)
    if not dry_run:
        for key_id in report.erased:
            with writing(engine) as connection:
                erase_key(connection, key_id, erased_by=erased_by)
                log_access(connection, erased_by, "erase", f"subject key {key_id}")
        if report.erased:
            scrub(engine)
    return report
