"""Read a plan file and find every problem in it in one pass (spec §8, `casebook plan check`).

Each problem names what it is about (a figure's id, a priority, a vocabulary entry, a scheme
entry, or the file itself) and the field at fault, so the partnership can put it right without
a developer. A plan with any problem is never built, let alone adopted.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from marshmallow import fields

from events.acceptance import VOCABULARIES
from events.quarters import BadPeriod, FinancialYear
from events.schemas import VOCABULARY_VALUE
from events.types import EVENT_TYPES, VOIDED, schema_of
from projections.definitions import figure_problems, figure_types
from projections.plan import Plan, plan_from_file

_TOP = {"year", "reason", "priority", "scheme", "vocabulary", "figure"}
_TABLE_KEYS = {
    "priority": {"name", "schemes"},
    "scheme": {"id", "types"},
    "vocabulary": {"field", "value", "label"},
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a plan: what it is about, the field at fault, and why."""

    about: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.about}: {self.field}: {self.message}"


@dataclass
class Reading:
    """A plan file read: the plan where it has no problem, else every problem found."""

    document: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    plan: Plan | None = None


def read_plan_text(text: str, *, schemes: Sequence[str],
                   adopted: Mapping[str, Mapping[str, str]]) -> Reading:
    """Read a plan file's TOML text; see `read_plan`."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"at line (\d+)", str(error))
        where = f"line {line.group(1)}" if line else "TOML"
        return Reading(problems=[Problem("plan file", where, f"not valid TOML: {error}")])
    return read_plan(document, schemes=schemes, adopted=adopted)


def read_plan(document: Mapping[str, Any], *, schemes: Sequence[str],
              adopted: Mapping[str, Mapping[str, str]]) -> Reading:
    """Check a plan file's content against the schemes and the vocabulary adopted so far."""
    check = _Check(document, set(schemes), adopted)
    check.run()
    reading = Reading(dict(document), check.problems)
    if not check.problems:
        reading.plan = plan_from_file(document)
    return reading


class _Check:
    def __init__(self, document: Mapping[str, Any], schemes: set[str],
                 adopted: Mapping[str, Mapping[str, str]]):
        self.document = document
        self.schemes = schemes
        self.problems: list[Problem] = []
        self.choices: dict[str, set[str]] = {name: {*values, *adopted.get(name, {})}
                                             for name, values in VOCABULARIES.items()}
        self.priority_of: dict[str, str] = {}
        self.scheme_types: dict[str, set[str]] = {}
        self.priority_names: set[str] = set()

    def add(self, about: str, field_name: str, message: str) -> None:
        self.problems.append(Problem(about, field_name, message))

    def run(self) -> None:
        for key in sorted(set(self.document) - _TOP):
            self.add("plan file", key, "not a key of a plan file")
        year = self.document.get("year")
        try:
            FinancialYear.parse(year if isinstance(year, str) else "")
        except BadPeriod:
            self.add("plan file", "year", f"must be a financial year like \"2025/26\", not {year!r}")
        if not isinstance(self.document.get("reason", ""), str):
            self.add("plan file", "reason", "must be text")
        self._priorities(self._tables("priority"))
        self._scheme_entries(self._tables("scheme"))
        self._vocabulary(self._tables("vocabulary"))
        self._figures(self._tables("figure"))

    def _tables(self, name: str) -> list[Mapping[str, Any]]:
        found = self.document.get(name, [])
        if not isinstance(found, list) or not all(isinstance(t, Mapping) for t in found):
            self.add("plan file", name, f"must be [[{name}]] tables")
            return []
        for number, table in enumerate(found, start=1):
            for key in sorted(set(table) - _TABLE_KEYS.get(name, set(table))):
                self.add(f"{name} {number}", key, f"not a key of a [[{name}]] table")
        return found

    def _priorities(self, tables: list[Mapping[str, Any]]) -> None:
        for table in tables:
            name = table.get("name")
            if not isinstance(name, str) or not name.strip():
                self.add("priority", "name", "every priority needs a name")
                continue
            about = f"priority {name}"
            if name in self.priority_names:
                self.add(about, "name", "two priorities have this name")
            self.priority_names.add(name)
            for scheme in _strings(table.get("schemes", []), self, about, "schemes"):
                if scheme not in self.schemes:
                    self.add(about, "schemes", f"unknown scheme {scheme!r}")
                elif scheme in self.priority_of:
                    self.add(about, "schemes", f"{scheme} is also in priority "
                                               f"{self.priority_of[scheme]}")
                else:
                    self.priority_of[scheme] = name

    def _scheme_entries(self, tables: list[Mapping[str, Any]]) -> None:
        for table in tables:
            scheme = table.get("id")
            about = f"scheme {scheme}"
            if scheme not in self.schemes:
                self.add(about, "id", f"unknown scheme {scheme!r}")
                continue
            if scheme in self.scheme_types:
                self.add(about, "id", "the scheme has two [[scheme]] entries")
            types = set()
            for type_name in _strings(table.get("types", []), self, about, "types"):
                if type_name not in EVENT_TYPES:
                    self.add(about, "types", f"unknown event type {type_name!r}")
                else:
                    types.add(type_name)
            self.scheme_types[scheme] = types

    def _vocabulary(self, tables: list[Mapping[str, Any]]) -> None:
        seen: set[tuple[str, str]] = set()
        for table in tables:
            name, value, label = table.get("field"), table.get("value"), table.get("label")
            about = f"vocabulary {name}={value}"
            if not isinstance(name, str) or name not in VOCABULARIES:
                self.add(about, "field", f"must be one of: {', '.join(VOCABULARIES)}")
                continue
            if not isinstance(value, str) or not VOCABULARY_VALUE.match(value) or len(value) > 64:
                self.add(about, "value", "use lower-case letters and digits joined by hyphens, "
                                         "like closure-order")
                continue
            if not isinstance(label, str) or not label.strip():
                self.add(about, "label", "every value needs the label forms show")
            if (name, value) in seen:
                self.add(about, "value", "the value is added twice")
            seen.add((name, value))
            self.choices[name].add(value)

    def _figures(self, tables: list[Mapping[str, Any]]) -> None:
        seen: set[str] = set()
        for raw in tables:
            figure_id = raw.get("id", "?")
            about = f"figure {figure_id}"
            for field_name, message in figure_problems(raw):
                self.add(about, field_name, message)
            if figure_id in seen:
                self.add(about, "id", "two figures have this id")
            seen.add(figure_id)
            scheme = raw.get("scheme")
            if isinstance(scheme, str) and scheme:
                self._figure_scheme(about, raw, scheme)
            types = [t for t in figure_types(raw) if t in EVENT_TYPES and t != VOIDED]
            if types:
                _FieldCheck(self, about, types).run(raw)

    def _figure_scheme(self, about: str, raw: Mapping[str, Any], scheme: str) -> None:
        if scheme not in self.schemes:
            self.add(about, "scheme", f"unknown scheme {scheme!r}")
            return
        named = raw.get("priority")
        if named is not None and named not in self.priority_names:
            self.add(about, "priority", f"no priority of the plan is named {named!r}")
        if scheme not in self.priority_of and named is None:
            self.add(about, "scheme", f"{scheme} is in no priority of the plan")
        logged = self.scheme_types.get(scheme)
        if logged is not None and "types" in raw:
            for type_name in figure_types(raw):
                if type_name in EVENT_TYPES and type_name not in logged:
                    self.add(about, "types", f"{scheme} does not log {type_name} (its [[scheme]] "
                                             f"entry lists {', '.join(sorted(logged))})")


class _FieldCheck:
    """The fields a figure names, against the schemas of its event types."""

    def __init__(self, check: _Check, about: str, types: list[str]):
        self.check = check
        self.about = about
        self.types = types
        self.declared: dict[str, list[fields.Field]] = {}
        for type_name in types:
            for name, declared in schema_of(type_name).fields.items():
                self.declared.setdefault(name, []).append(declared)

    def run(self, raw: Mapping[str, Any]) -> None:
        measure, _, argument = str(raw.get("measure", "")).partition(":")
        if measure == "sum" and argument:
            if self._known("measure", argument):
                if not all(isinstance(d, fields.Integer) for d in self.declared[argument]):
                    self.check.add(self.about, "measure", f"{argument} is not a number field")
        if measure == "distinct" and argument and argument != "case":
            self._known("measure", argument)
        if measure == "distinct" and argument == "case" and not any(
            EVENT_TYPES[t].case_allowed for t in self.types
        ):
            self.check.add(self.about, "measure", "none of its event types belongs to a case")
        where = raw.get("where", {})
        if isinstance(where, Mapping):
            for name, wanted in where.items():
                if self._known(f"where.{name}", name):
                    self._value(name, wanted)
        breakdown = raw.get("breakdown", [])
        if isinstance(breakdown, list):
            for name in breakdown:
                if isinstance(name, str):
                    self._known("breakdown", name)

    def _known(self, at: str, name: str) -> bool:
        if name in self.declared:
            return True
        self.check.add(self.about, at, f"unknown field {name!r}: {', '.join(self.types)} "
                                       f"{'has' if len(self.types) == 1 else 'have'} "
                                       f"{', '.join(sorted(self.declared)) or 'no fields'}")
        return False

    def _value(self, name: str, wanted: Any) -> None:
        declared = self.declared[name][0]
        at = f"where.{name}"
        if isinstance(declared, fields.Boolean):
            if not isinstance(wanted, bool):
                self.check.add(self.about, at, "must be true or false")
            return
        if isinstance(declared, fields.Integer):
            if isinstance(wanted, bool) or not isinstance(wanted, int | Mapping):
                self.check.add(self.about, at, "must be a number, or { min = N, max = N }")
            return
        allowed = self.check.choices.get(name) or set(declared.metadata.get("choices") or ())
        if isinstance(wanted, Mapping):
            self.check.add(self.about, at, "min and max are for number fields")
        elif allowed and wanted not in allowed:
            hint = " (add it in a [[vocabulary]] entry)" if name in VOCABULARIES else ""
            self.check.add(self.about, at, f"unknown value {wanted!r}{hint}; known: "
                                           f"{', '.join(sorted(allowed))}")


def _strings(value: Any, check: _Check, about: str, field_name: str) -> list[str]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    check.add(about, field_name, "must be a list of text values")
    return []
