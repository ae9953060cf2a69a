"""What is due, in words: the same phrases on the case page, "my cases", the dashboard and mail."""

from __future__ import annotations

from datetime import date

from projections.due_items import DueKind
from projections.presentation.text import local_day

#: What each kind of due item asks for, as a task.
DUE_LABELS: dict[str, str] = {
    DueKind.CPW_COMPLIANCE.value: "Check compliance with the Community Protection Warning",
    DueKind.CPN_REVIEW.value: "Review the Community Protection Notice",
    DueKind.ACR_THRESHOLD.value: "Decide whether the ASB Case Review threshold is met",
    DueKind.ACR_PANEL.value: "Hold the ASB Case Review panel",
    DueKind.INACTIVE.value: "Review the case: no event logged for a while",
}

#: How far ahead "due this week" looks, today included.
WEEK_DAYS = 7


def due_label(kind: str) -> str:
    """The task a due item asks for, in words (its code if casebook knows no words for it)."""
    return DUE_LABELS.get(kind, kind)


def due_when(due_on: date, today: date) -> str:
    """When it is due, against today: "overdue by 3 days", "due today", "due in 5 days"."""
    days = (due_on - today).days
    if days < 0:
        return f"overdue by {_days(-days)} (was due {local_day(due_on)})"
    if days == 0:
        return "due today"
    return f"due in {_days(days)} ({local_day(due_on)})"


def is_overdue(due_on: date, today: date) -> bool:
    """Whether the day it was due has passed."""
    return due_on < today


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count:,} days"
