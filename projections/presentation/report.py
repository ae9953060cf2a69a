"""What the printable review says of a priority (its figures in order, and those that moved most)
and of the version printed (which quarter was still in progress; why it was generated is
`text.reason_words`, which the summary pages say too)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from events.quarters import FinancialYear, Quarter, local_date, parse_quarter_label
from projections.presentation.text import format_value


def highlights(figures: list[tuple[str, dict[str, Any]]], most: int = 4) -> list[str]:
    """Review-style sentences for the priority's figures that moved most against a year earlier."""
    moved = []
    for _figure_id, figure in figures:
        value, previous = figure["value"], figure["previous"]
        if (not isinstance(value, int) or isinstance(value, bool) or not value
                or not isinstance(previous, int) or value == previous):
            continue
        direction = "up" if value > previous else "down"
        line = (f"{figure['label']}: {format_value(value)}, {direction} from "
                f"{format_value(previous)} in the same period last year.")
        moved.append((abs(value - previous), line))
    return [line for _size, line in sorted(moved, key=lambda m: -m[0])[:most]]


def by_priority(document: dict[str, Any]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """The figures grouped by priority, in the document's order."""
    groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for figure_id, figure in document["figures"].items():
        groups.setdefault(figure["priority"], []).append((figure_id, figure))
    return groups


def in_progress(document: dict[str, Any], generated_at: str | None = None) -> Quarter | None:
    """The quarter that was still in progress when a provisional document was worked out.

    That is the quarter of the day it was generated, within the period; without that day (a
    summary printed live), the period's own quarter, or for a year the quarter of its last event.
    """
    if not document.get("provisional"):
        return None
    year = FinancialYear.parse(document["year"])
    quarters = year.quarters if document["period"] == "year" else [
        year.quarter(parse_quarter_label(document["period"]))]
    when = generated_at or (document.get("as_of") if len(quarters) > 1 else None)
    if not when:
        return quarters[-1]
    day = local_date(datetime.fromisoformat(when))
    return min(max(Quarter.of(day), quarters[0]), quarters[-1])
