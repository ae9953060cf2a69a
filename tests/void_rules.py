"""Whether a history drawn as interchange lines may void an event: the store refuses a void of
an event a later standing event of its case depends on (`events.dependents.void_dependents`)."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any

from events.dependents import void_dependents
from events.quarters import parse_occurred_at
from events.rules import CaseEntry
from events.statements import RULE_TYPES


def voidable(lines: list[dict[str, Any]], target: dict[str, Any],
             voided: AbstractSet[str]) -> bool:
    """Whether the store accepts a void of `target` after `lines`, of which `voided` are voided."""
    case = target.get("case")
    if case is None or target["type"] not in RULE_TYPES:
        return True
    history = [
        CaseEntry(line["id"], line["type"], line["data"].get("notice"),
                  parse_occurred_at(line["occurred_at"]), line["id"] in voided)
        for line in lines if line.get("case") == case and line["type"] in RULE_TYPES
    ]
    return not void_dependents(target["id"], history)
