"""The partnership's plan for a year (spec §8): priorities, each scheme's event types,
vocabulary and figures, as one value read from (and written back to) the plan file.

`projections.plan_check` reads a plan file and finds every problem in it; `projections.plans`
keeps the adopted versions. A figure's rows in the read models are kept under its `key`: its id
where its definition is the packaged default's, else the id and a fingerprint of the
definition, so two years that define one id differently are counted apart, each over every
year (a year's `previous` is its own definition applied to the year before).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from events.quarters import FinancialYear
from events.types import CASE_ASSIGNED, CASE_CLOSED, COMPLIANCE_CHECKED, EVENT_TYPES, NOTICE_ISSUED
from projections.definitions import Figure, default_figures, figure_from_dict


@dataclass(frozen=True)
class Priority:
    """One of the plan's priorities, in the order they are reported, and the schemes in it."""

    name: str
    schemes: tuple[str, ...]


@dataclass(frozen=True)
class Word:
    """A value added to an enumerated field of §3, with the label forms and pages show."""

    field: str
    value: str
    label: str


@dataclass(frozen=True)
class Plan:
    """One year's plan, as adopted: figures carry their priority and their read-model key."""

    year: FinancialYear
    priorities: tuple[Priority, ...]
    #: The `[[scheme]]` entries: scheme -> the types it logs.
    scheme_types: Mapping[str, tuple[str, ...]]
    vocabulary: tuple[Word, ...]
    figures: tuple[Figure, ...]
    reason: str | None = None

    def priority_of(self, scheme: str) -> str | None:
        return next((p.name for p in self.priorities if scheme in p.schemes), None)

    def types_of(self, scheme: str) -> frozenset[str] | None:
        """The types `scheme` logs this year; None where the plan says nothing of the scheme."""
        if scheme in self.scheme_types:
            return with_casework(frozenset(self.scheme_types[scheme]))
        named = {t for f in self.figures if f.scheme == scheme for t in f.types}
        if not named:
            return None
        has_cases = any(EVENT_TYPES[t].case_allowed for t in named)
        return with_casework(frozenset(named | ({CASE_CLOSED} if has_cases else set())))

    def logged_types(self) -> dict[str, frozenset[str]]:
        """Every scheme the plan names, with the types it logs."""
        schemes = {*self.scheme_types, *(f.scheme for f in self.figures)}
        found = {scheme: self.types_of(scheme) for scheme in sorted(schemes)}
        return {scheme: types for scheme, types in found.items() if types is not None}

    def figure(self, figure_id: str) -> Figure | None:
        return next((f for f in self.figures if f.id == figure_id), None)

    def as_file(self) -> dict[str, Any]:
        """The plan file's shape (spec §8), as `plan show` writes it and `plan adopt` reads it."""
        document: dict[str, Any] = {"year": str(self.year)}
        if self.reason:
            document["reason"] = self.reason
        document["priority"] = [{"name": p.name, "schemes": list(p.schemes)}
                                for p in self.priorities]
        document["scheme"] = [{"id": s, "types": list(t)} for s, t in self.scheme_types.items()]
        document["vocabulary"] = [{"field": w.field, "value": w.value, "label": w.label}
                                  for w in self.vocabulary]
        document["figure"] = [figure_entry(f, self.priority_of(f.scheme)) for f in self.figures]
        return document


def with_casework(types: frozenset[str]) -> frozenset[str]:
    """`types` and the casework types that go with them: `case.assigned` wherever a scheme has
    cases, `compliance.checked` wherever it issues notices (plans written before these types
    existed name neither, and a scheme's cases are worked all the same)."""
    added = set()
    if any(EVENT_TYPES[t].case_allowed for t in types):
        added.add(CASE_ASSIGNED)
    if NOTICE_ISSUED in types:
        added.add(COMPLIANCE_CHECKED)
    return types | added


def figure_entry(figure: Figure, scheme_priority: str | None) -> dict[str, Any]:
    """A figure as the plan file has it: its priority only where it is not its scheme's."""
    entry = figure.as_dict()
    if entry["priority"] == scheme_priority:
        del entry["priority"]
    if len(figure.types) == len(EVENT_TYPES) - 1:
        del entry["types"]  # every type: the file leaves them out, as §5 does
    for key in ("where", "breakdown"):
        if not entry[key]:
            del entry[key]
    if entry["counts"] == "people":
        del entry["counts"]
    if entry["better"] == "neither":
        del entry["better"]
    return entry


def computation(figure: Figure) -> dict[str, Any]:
    """What decides a figure's values: not its label, priority, how it is published or which
    way is better (so changing those keeps its rows in the read models)."""
    body = figure.as_dict()
    for key in ("label", "priority", "counts", "better"):
        body.pop(key)
    return body


@cache
def _default_computations() -> dict[str, str]:
    return {f.id: json.dumps(computation(f), sort_keys=True) for f in default_figures()}


def figure_key(figure: Figure) -> str:
    """The key of the figure's rows in the read models (see the module's docstring)."""
    body = json.dumps(computation(figure), sort_keys=True)
    if _default_computations().get(figure.id) == body:
        return figure.id
    return f"{figure.id}~{hashlib.sha256(body.encode()).hexdigest()[:10]}"


def keyed(figures: Iterable[Figure]) -> tuple[Figure, ...]:
    return tuple(replace(f, key=figure_key(f)) for f in figures)


def computations(plans: Iterable[Plan]) -> list[Figure]:
    """The figures the read models keep for these plans: one per key, the key as its id."""
    found: dict[str, Figure] = {}
    for plan in plans:
        for figure in plan.figures:
            found.setdefault(figure.key, replace(figure, id=figure.key, label=figure.key))
    return [found[key] for key in sorted(found)]


def to_toml(document: Mapping[str, Any]) -> str:
    """The plan file as TOML, in the shape of spec §8 (arrays of tables, in order)."""
    lines = [f"year = {_toml(document['year'])}"]
    if document.get("reason"):
        lines.append(f"reason = {_toml(document['reason'])}")
    for table in ("priority", "scheme", "vocabulary", "figure"):
        for entry in document.get(table, []):
            lines += ["", f"[[{table}]]"]
            lines += [f"{key} = {_toml(value)}" for key, value in entry.items()]
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        # JSON leaves DEL as it is; TOML allows no control character in a string.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def _key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else json.dumps(name)


@cache
def default_plan_files() -> tuple[dict[str, Any], ...]:
    """The two plans `casebook init` adopts on a database with none (spec §8): the packaged
    `plans/*.toml`, each with the default figures of `figures.toml`."""
    figures = [figure_entry(f, f.priority) for f in default_figures()]
    folder = resources.files("projections").joinpath("plans")
    found = []
    for name in ("2024-25.toml", "2025-26.toml"):
        raw = tomllib.loads(folder.joinpath(name).read_text("utf-8"))
        found.append({**raw, "figure": figures})
    return tuple(found)


def plan_from_file(document: Mapping[str, Any]) -> Plan:
    """Build the plan from a file already checked (`projections.plan_check.read_plan`)."""
    priorities = tuple(Priority(p["name"], tuple(p.get("schemes", ())))
                       for p in document.get("priority", []))
    scheme_priority = {s: p.name for p in priorities for s in p.schemes}
    figures = [figure_from_dict(raw, priority=scheme_priority.get(raw["scheme"]))
               for raw in document.get("figure", [])]
    # Reported in the order of the priorities, each priority's figures in the file's order.
    order = {p.name: n for n, p in enumerate(priorities)}
    figures.sort(key=lambda f: order.get(f.priority, len(order)))
    return Plan(
        year=FinancialYear.parse(document["year"]),
        priorities=priorities,
        scheme_types={s["id"]: tuple(s.get("types", ())) for s in document.get("scheme", [])},
        vocabulary=tuple(Word(w["field"], w["value"], w["label"])
                         for w in document.get("vocabulary", [])),
        figures=keyed(figures),
        reason=document.get("reason") or None,
    )
