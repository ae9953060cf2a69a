"""What the printable review says of a priority: its figures in order, and those that moved most."""

from __future__ import annotations

from typing import Any

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
