"""The Plan pages' small forms: each turns what was sent into a changed plan file (spec §8).

A form never writes: it edits a copy of the plan file of the year in force, and the page checks
the result with `projections.plan_check.read_plan` before anything is adopted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

from events.acceptance import VOCABULARIES
from events.schemas import VOCABULARY_VALUE

Errors = dict[str, str]
#: What a form sent.
Sent = MultiDict[str, str]


# --- priorities and vocabulary ------------------------------------------------------------

def _priority(document: dict[str, Any], sent: Sent) -> dict[str, Any] | None:
    raw = sent.get("priority", "")
    priorities = document["priority"]
    return priorities[int(raw)] if raw.isdecimal() and int(raw) < len(priorities) else None


def rename_priority(document: dict[str, Any], sent: Sent) -> Errors:
    """Rename the priority numbered `priority`, and the figures that name it."""
    chosen = _priority(document, sent)
    if chosen is None:
        return {"priorities": "Choose a priority of the plan to rename"}
    at = f"name-{sent.get('priority')}"
    name = sent.get("name", "").strip()
    if not name:
        return {at: "Enter the priority's new name"}
    if any(p["name"] == name for p in document["priority"] if p is not chosen):
        return {at: f"The plan already has a priority called {name}"}
    for entry in document["figure"]:
        if entry.get("priority") == chosen["name"]:
            entry["priority"] = name
    chosen["name"] = name
    return {}


def add_priority(document: dict[str, Any], sent: Sent) -> Errors:
    """Add a priority, with no scheme yet, after the others."""
    name = sent.get("name", "").strip()
    if not name:
        return {"new-priority": "Enter the new priority's name"}
    if any(p["name"] == name for p in document["priority"]):
        return {"new-priority": f"The plan already has a priority called {name}"}
    document["priority"].append({"name": name, "schemes": []})
    return {}


def move_priority(document: dict[str, Any], sent: Sent) -> Errors:
    """Move the priority numbered `priority` one place up or down the order."""
    chosen = _priority(document, sent)
    step = {"up": -1, "down": 1}.get(sent.get("direction", ""))
    priorities = document["priority"]
    if chosen is None or step is None:
        return {"priorities": "Choose a priority and whether it moves up or down"}
    at = priorities.index(chosen)
    if not 0 <= at + step < len(priorities):
        return {"priorities": f"{chosen['name']} cannot move {sent.get('direction')}"}
    priorities[at], priorities[at + step] = priorities[at + step], priorities[at]
    return {}


def move_scheme(document: dict[str, Any], sent: Sent, schemes: Mapping[str, str]) -> Errors:
    """Move a scheme (and the figures that follow it) into another priority."""
    scheme, target = sent.get("scheme", ""), sent.get("to", "")
    if scheme not in schemes:
        return {"scheme": "Choose the scheme to move"}
    found = next((p for p in document["priority"] if p["name"] == target), None)
    if found is None:
        return {"to": f"Choose the priority {schemes[scheme]} moves to"}
    if scheme in found["schemes"]:
        return {"to": f"{schemes[scheme]} is already in {target}"}
    for priority in document["priority"]:
        priority["schemes"] = [s for s in priority["schemes"] if s != scheme]
    found["schemes"].append(scheme)
    return {}


def add_word(document: dict[str, Any], sent: Sent,
             adopted: Mapping[str, Mapping[str, str]]) -> Errors:
    """Add a value, with its label, to one of the enumerated fields."""
    name, value, label = (sent.get(k, "").strip() for k in ("field", "value", "label"))
    errors: Errors = {}
    if name not in VOCABULARIES:
        errors["field"] = "Choose the field the value is for"
    if not VOCABULARY_VALUE.match(value) or len(value) > 64:
        errors["value"] = ("Enter the value in lower-case letters and digits joined by hyphens, "
                           "like closure-order")
    elif name in VOCABULARIES and value in {**VOCABULARIES[name], **adopted.get(name, {})}:
        errors["value"] = f"{value} is already a value of {name}"
    if not label:
        errors["label"] = "Enter the label forms and pages show for the value"
    if not errors:
        document["vocabulary"].append({"field": name, "value": value, "label": label})
    return errors
