"""Runs of days and sets of quarters in words: what a figure covers and what it is compared with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from events.quarters import Quarter
from projections.presentation.text import MONTHS, local_day
from projections.spans import Span


def day_and_month(day: date) -> str:
    """2 December."""
    return f"{day.day} {MONTHS[day.month - 1]}"


def span_words(span: Span) -> str:
    """1 April to 2 December 2026 (each year written where the two differ)."""
    if span.first.year == span.last.year:
        return f"{day_and_month(span.first)} to {local_day(span.last)}"
    return f"{local_day(span.first)} to {local_day(span.last)}"


def quarter_so_far(quarter: Quarter, today: date) -> str:
    """The days of a quarter in progress: 1 October to 2 December."""
    return f"{day_and_month(quarter.first_day)} to {day_and_month(today)}"


def quarter_labels(quarters: Sequence[Quarter]) -> str:
    """Q1, Q2 and Q3."""
    labels = [q.label for q in quarters]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def compared_days(compared: dict[str, str]) -> str:
    """A summary's `compared_with` ({"from": ISO date, "to": ISO date}) in words."""
    return span_words(Span(date.fromisoformat(compared["from"]), date.fromisoformat(compared["to"])))


PERIOD_FILTERS = {
    "compared_days": compared_days,
    "span_words": span_words,
    "quarter_so_far": quarter_so_far,
    "quarter_labels": quarter_labels,
}
