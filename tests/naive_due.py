"""What is due on a case, worked out the slow obvious way, for checking `projections.due_items`.

It shares nothing with the engine: its own bank holidays (typed in from gov.uk's published
England and Wales dates), its own walk over the days, its own month arithmetic, and it compares
every pair of events rather than sorting them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from events.model import StoredEvent

LONDON = ZoneInfo("Europe/London")

#: England and Wales bank holidays as gov.uk publishes them (substitute days where they fall).
BANK_HOLIDAYS = frozenset(date.fromisoformat(d) for d in """
    2024-01-01 2024-03-29 2024-04-01 2024-05-06 2024-05-27 2024-08-26 2024-12-25 2024-12-26
    2025-01-01 2025-04-18 2025-04-21 2025-05-05 2025-05-26 2025-08-25 2025-12-25 2025-12-26
    2026-01-01 2026-04-03 2026-04-06 2026-05-04 2026-05-25 2026-08-31 2026-12-25 2026-12-28
    2027-01-01 2027-03-26 2027-03-29 2027-05-03 2027-05-31 2027-08-30 2027-12-27 2027-12-28
""".split())


def working_days_after(start: date, count: int) -> date:
    """Step a day at a time, counting the weekdays that are not bank holidays."""
    day, counted = start, 0
    while counted < count:
        day = day + timedelta(days=1)
        assert 2024 <= day.year <= 2027, "the naive calendar only knows 2024 to 2027"
        if day.isoweekday() <= 5 and day not in BANK_HOLIDAYS:
            counted += 1
    return day


def months_after(start: date, months: int) -> date:
    """Step a month at a time, then fall back to the month's last day if the day is missing."""
    year, month = start.year, start.month
    for _ in range(months):
        month += 1
        if month == 13:
            year, month = year + 1, 1
    day = start.day
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


def naive_due(events: Sequence[StoredEvent], voided: Collection[str], case_ref: str,
              cpw_days: int, cpn_months: int, threshold_days: int, panel_days: int,
              inactive_days: int) -> list[tuple[str, date, str]]:
    """(kind, due date, because) of everything due on the case, sorted."""
    live = [e for e in events if e.event_id not in voided]

    def after(first: StoredEvent, second: StoredEvent) -> bool:
        return (second.occurred_at, second.position) > (first.occurred_at, first.position)

    def day_of(event: StoredEvent) -> date:
        return event.occurred_at.astimezone(LONDON).date()

    def is_(event: StoredEvent, type_: str, **data: object) -> bool:
        return event.type == type_ and all(event.data.get(k) == v for k, v in data.items())

    mine = [e for e in live if (e.case_ref or "").lower() == case_ref.lower()]
    if not mine:
        return []
    latest = mine[0]
    for e in mine:
        if after(latest, e):
            latest = e
    if latest.type == "case.closed":
        return []
    due = [("inactive", day_of(latest) + timedelta(days=inactive_days), latest.event_id)]
    for e in live:
        later = [x for x in live if after(e, x)]
        if is_(e, "notice.issued", notice="cpw") and not any(
                is_(x, "compliance.checked", notice="cpw") or is_(x, "notice.issued", notice="cpn")
                or is_(x, "case.closed") for x in later):
            due.append(("cpw-compliance", day_of(e) + timedelta(days=cpw_days), e.event_id))
        if is_(e, "notice.issued", notice="cpn") and not any(
                is_(x, "compliance.checked", notice="cpn") for x in later):
            due.append(("cpn-review", months_after(day_of(e), cpn_months), e.event_id))
        if is_(e, "threshold.decided", met=True) and not any(
                is_(x, "panel.held", panel="case-review") for x in later):
            due.append(("acr-panel", working_days_after(day_of(e), panel_days), e.event_id))
    due += _undecided(live, after, day_of, threshold_days)
    return sorted(due)


def _undecided(live: list[StoredEvent], after: Callable[[StoredEvent, StoredEvent], bool],
               day_of: Callable[[StoredEvent], date],
               threshold_days: int) -> list[tuple[str, date, str]]:
    """Each application in turn takes the first later decision no earlier application took."""
    applications = [e for e in live if e.type == "application.received"]
    decisions = [e for e in live if e.type == "threshold.decided"]
    applications.sort(key=lambda e: (e.occurred_at, e.position))
    decisions.sort(key=lambda e: (e.occurred_at, e.position))
    taken: set[str] = set()
    due: list[tuple[str, date, str]] = []
    for application in applications:
        decision = next((d for d in decisions if d.event_id not in taken and after(application, d)),
                        None)
        if decision is None:
            due.append(("acr-threshold", working_days_after(day_of(application), threshold_days),
                        application.event_id))
        else:
            taken.add(decision.event_id)
    return due
