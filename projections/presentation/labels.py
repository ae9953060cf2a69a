"""A figure's breakdowns as people read them: each field by its form label, each value by the
label forms offer it with (the schema's choices, the plan's vocabulary), never a stored key.

The dashboard and the summary page show breakdowns through `breakdown_tables`, so that "Not
recorded", "High" or "Anger management" read the same on both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import fields

from events.types import EVENT_TYPES, VOIDED, schema_of
from projections.definitions import NOT_RECORDED
from projections.presentation.text import format_value

#: Field -> value -> label: the values a plan's vocabulary added (`Plans.vocabulary`).
Vocabulary = Mapping[str, Mapping[str, str]]
#: What an event without the field is counted under reads as.
NOT_RECORDED_LABEL = "Not recorded"
_YES_NO = {"true": "Yes", "false": "No"}


@dataclass(frozen=True)
class BreakdownRow:
    """One value of a breakdown: its label and its count as shown ("12", "fewer than 5")."""

    label: str
    count: str


@dataclass(frozen=True)
class BreakdownTable:
    """A figure broken down by one field: the field's label and a row per value."""

    field: str
    label: str
    rows: tuple[BreakdownRow, ...]


def _declared(name: str, types: Sequence[str]) -> list[fields.Field]:
    """The field called `name` in the figure's types (any type where none are given)."""
    chosen = types or [t for t in EVENT_TYPES if t != VOIDED]
    found = (schema_of(t).fields.get(name) for t in chosen if t in EVENT_TYPES)
    return [declared for declared in found if declared is not None]


def field_label(name: str, types: Sequence[str] = ()) -> str:
    """A data field as forms name it: "risk" -> "Risk level"."""
    for declared in _declared(name, types):
        if declared.metadata.get("label"):
            return str(declared.metadata["label"])
    return name.replace("_", " ").replace("-", " ").capitalize()


def choice_labels(name: str, types: Sequence[str] = (),
                  vocabulary: Vocabulary | None = None) -> dict[str, str]:
    """Every value of the field a form offers, with its label, in the form's order."""
    labels: dict[str, str] = {}
    for declared in _declared(name, types):
        if isinstance(declared, fields.Boolean):
            labels.update(_YES_NO)
        labels.update(declared.metadata.get("choices") or {})
    labels.update((vocabulary or {}).get(name, {}))
    return labels


def value_label(name: str, key: str, types: Sequence[str] = (),
                vocabulary: Vocabulary | None = None) -> str:
    """A breakdown key as a reader sees it: "not-recorded" -> "Not recorded", "high" -> "High",
    a typed-in "anger-management" -> "Anger management"; a withheld "[not named 1]" as it is."""
    if key == NOT_RECORDED:
        return NOT_RECORDED_LABEL
    known = choice_labels(name, types, vocabulary)
    if key in known:
        return known[key]
    if key.startswith("[") or not key:
        return key
    spaced = key.replace("-", " ").replace("_", " ")
    return spaced[:1].upper() + spaced[1:]


def breakdown_tables(breakdown: Mapping[str, Mapping[str, Any]], types: Sequence[str] = (),
                     vocabulary: Vocabulary | None = None) -> list[BreakdownTable]:
    """The figure's breakdowns as tables: chosen values in the form's order, typed-in ones
    largest first, withheld names after them and "Not recorded" last (left out where none)."""
    tables = []
    for name, counts in breakdown.items():
        order = list(choice_labels(name, types, vocabulary))
        rows = [BreakdownRow(value_label(name, key, types, vocabulary), format_value(count))
                for key, count in sorted(counts.items(), key=lambda kc: _place(kc, order))
                if not (key == NOT_RECORDED and count == 0)]
        if rows:
            tables.append(BreakdownTable(name, field_label(name, types), tuple(rows)))
    return tables


def _place(item: tuple[str, Any], order: list[str]) -> tuple[int, int, float, str]:
    key, count = item
    if key == NOT_RECORDED:
        return (3, 0, 0, key)
    if key in order:
        return (0, order.index(key), 0, key)
    size = -count if isinstance(count, int | float) else 0
    return (2 if key.startswith("[") else 1, 0, size, key)


def tables_of(figures: Iterable[tuple[str, Mapping[str, Any]]],
              types_of: Mapping[str, Sequence[str]],
              vocabulary: Vocabulary | None = None) -> dict[str, list[BreakdownTable]]:
    """Each (figure id, summary entry) with a breakdown: its tables, by figure id."""
    return {figure_id: breakdown_tables(entry["breakdown"], types_of.get(figure_id, ()),
                                        vocabulary)
            for figure_id, entry in figures if entry.get("breakdown")}
