"""Figure definitions as data (spec §5): read, checked and matched against events."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from marshmallow import fields

from events.types import EVENT_TYPES, VOIDED, schema_of

MEASURES = ("count", "sum", "distinct", "active", "repeat-rate", "latest-return")
#: What a figure counts: people (small counts are hidden when published) or things (never hidden).
COUNTS = ("people", "things")
#: Which way a figure moving is good news: "lower" (ASB complaints), "higher", or "neither".
BETTER = ("lower", "higher", "neither")
NOT_RECORDED = "not-recorded"
_COMPARISONS = {"min", "max"}
_STARTS = {"participant.enrolled", "member.joined"}
_ENDS = {"participant.left", "member.left"}


class BadDefinition(ValueError):
    """A figure definition that casebook cannot compute: says which figure and why."""


@dataclass(frozen=True)
class Figure:
    """One figure: which events it counts (scheme, types, where) and how (measure)."""

    id: str
    label: str
    priority: str
    scheme: str
    types: tuple[str, ...]
    measure: str
    argument: str | None
    where: Mapping[str, Any]
    breakdown: tuple[str, ...]
    counts: str = "people"
    #: Which way is better (`BETTER`): how a change is coloured, never what is counted.
    better: str = "neither"
    #: Where its values are kept in the read models (`projections.plan.figure_key`); the id
    #: where none is given, as for a figure that is not (yet) part of a plan.
    key: str = ""

    @property
    def read_key(self) -> str:
        return self.key or self.id

    @property
    def counts_people(self) -> bool:
        """Whether the figure counts people, so that its small numbers are hidden when published."""
        return self.counts == "people"

    def free_text_breakdowns(self) -> frozenset[str]:
        """The breakdown fields typed in as free text (their values may name someone)."""
        return frozenset(name for name in self.breakdown if _is_free_text(self.types, name))

    def matches(self, data: Mapping[str, Any]) -> bool:
        """Whether an event's data passes the `where` filter."""
        for name, wanted in self.where.items():
            value = data.get(name)
            if isinstance(wanted, Mapping):
                if not isinstance(value, int | float) or isinstance(value, bool):
                    return False
                if "min" in wanted and value < wanted["min"]:
                    return False
                if "max" in wanted and value > wanted["max"]:
                    return False
            elif value != wanted:
                return False
        return True

    def active_step(self, event_type: str) -> int:
        """+1 for a join or enrolment, -1 for a leaving (the `active` measure)."""
        return 1 if event_type in _STARTS else -1 if event_type in _ENDS else 0

    def as_dict(self) -> dict[str, Any]:
        measure = self.measure if self.argument is None else f"{self.measure}:{self.argument}"
        return {
            "id": self.id,
            "label": self.label,
            "priority": self.priority,
            "scheme": self.scheme,
            "types": list(self.types),
            "measure": measure,
            "where": dict(self.where),
            "breakdown": list(self.breakdown),
            "counts": self.counts,
            "better": self.better,
        }


def _is_free_text(types: Sequence[str], field_name: str) -> bool:
    """Whether any of these types takes the field as typed text rather than a chosen value."""
    for type_name in types:
        declared = schema_of(type_name).fields.get(field_name)
        if declared is None:
            continue
        if isinstance(declared, fields.String) and not declared.metadata.get("choices"):
            return True
    return False


#: The keys a figure's definition may have (`priority` may be left to its scheme's, §8).
FIGURE_KEYS = ("id", "label", "priority", "scheme", "types", "measure", "where", "breakdown",
               "counts", "better")
FIGURE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,47}$")


def figure_problems(raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Everything wrong with one definition, as (field, message); empty if it can be computed.

    The fields and values it names are checked against the event schemas by `projections.
    plan_check`, which knows the plan's vocabulary; here is what the engine itself needs.
    """
    problems: list[tuple[str, str]] = []
    for key in sorted(set(raw) - set(FIGURE_KEYS)):
        problems.append((key, "not a key of a figure"))
    for key in ("id", "label", "scheme", "measure"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            problems.append((key, "must be a non-empty string"))
    if isinstance(raw.get("id"), str) and raw["id"] and not FIGURE_ID.match(raw["id"]):
        problems.append(("id", "use up to 48 lower-case letters, digits, '.', '_' or '-'"))
    if "priority" in raw and (not isinstance(raw["priority"], str) or not raw["priority"]):
        problems.append(("priority", "must be a non-empty string"))
    types = figure_types(raw)
    given = raw.get("types", [])
    if not isinstance(given, str) and (
        not isinstance(given, list | tuple) or not all(isinstance(t, str) for t in given)
    ):
        problems.append(("types", "must be a list of event type names"))
    for type_name in types:
        if type_name not in EVENT_TYPES or type_name == VOIDED:
            problems.append(("types", f"unknown event type {type_name!r}"))
    if not isinstance(raw.get("measure"), str):
        return problems
    measure, _, argument = raw["measure"].partition(":")
    if measure not in MEASURES:
        problems.append(("measure", f"unknown measure {raw['measure']!r}"))
        return problems
    needs_argument = measure in ("sum", "distinct", "latest-return")
    if needs_argument != bool(argument):
        problems.append(("measure", f"{measure} {'needs' if needs_argument else 'takes no'} "
                                    "argument"))
    if measure == "active" and not set(types) <= _STARTS | _ENDS:
        problems.append(("types", "active counts joins/enrolments and leavings only"))
    if measure == "repeat-rate" and list(types) != ["referral.received"]:
        problems.append(("types", "repeat-rate is over referral.received"))
    if measure == "latest-return" and list(types) != ["return.submitted"]:
        problems.append(("types", "latest-return is over return.submitted"))
    where = raw.get("where", {})
    if not isinstance(where, Mapping):
        problems.append(("where", "must be a table of field = value"))
    else:
        for key, wanted in where.items():
            if isinstance(wanted, Mapping) and (not wanted or set(wanted) - _COMPARISONS):
                problems.append((f"where.{key}", "takes min and max only"))
    breakdown = raw.get("breakdown", ())
    if not isinstance(breakdown, list | tuple) or not all(isinstance(b, str) for b in breakdown):
        problems.append(("breakdown", "must be a list of field names"))
    elif breakdown and measure not in ("count", "sum"):
        problems.append(("breakdown", "only count and sum figures have breakdowns"))
    if raw.get("counts", "people") not in COUNTS:
        problems.append(("counts", f'must be "people" or "things", not {raw["counts"]!r}'))
    if raw.get("better", "neither") not in BETTER:
        problems.append(("better", f'must be "lower", "higher" or "neither", not '
                                   f'{raw["better"]!r}'))
    return problems


def figure_types(raw: Mapping[str, Any]) -> list[str]:
    """The definition's event types (its names of them; anything else is a problem of
    `figure_problems`): every type but voids where it names none."""
    types = raw.get("types", [])
    if isinstance(types, str):
        types = [types]
    if not isinstance(types, list | tuple):
        return []
    return [t for t in types if isinstance(t, str)] or [t for t in EVENT_TYPES if t != VOIDED]


def figure_from_dict(raw: Mapping[str, Any], *, priority: str | None = None) -> Figure:
    """Check one definition and build the `Figure` (`priority`: where the definition names none)."""
    problems = figure_problems(raw)
    if problems:
        field_name, message = problems[0]
        raise BadDefinition(f"figure {raw.get('id', '?')}: {field_name}: {message}")
    chosen = raw.get("priority") or priority
    if not chosen:
        raise BadDefinition(f"figure {raw['id']}: priority: its scheme is in no priority")
    measure, _, argument = raw["measure"].partition(":")
    return Figure(
        id=raw["id"],
        label=raw["label"],
        priority=chosen,
        scheme=raw["scheme"],
        types=tuple(figure_types(raw)),
        measure=measure,
        argument=argument or None,
        where=dict(raw.get("where", {})),
        breakdown=tuple(raw.get("breakdown", ())),
        counts=raw.get("counts", "people"),
        better=raw.get("better", "neither"),
    )


def figures_from_dicts(raws: Iterable[Mapping[str, Any]]) -> list[Figure]:
    figures = [figure_from_dict(raw) for raw in raws]
    seen: set[str] = set()
    for figure in figures:
        if figure.id in seen:
            raise BadDefinition(f"figure {figure.id} is defined twice")
        seen.add(figure.id)
    return figures


def default_figures() -> list[Figure]:
    """The figures of spec §6, from the packaged `figures.toml`."""
    text = resources.files("projections").joinpath("figures.toml").read_text("utf-8")
    return figures_from_dicts(tomllib.loads(text)["figure"])


#: What the read models keep and how they are keyed; a change of it makes every database's
#: projections stale, so `casebook init` rebuilds them. 2: day rows beside the quarter rows, and
#: cases counted by their reference in upper case.
READ_MODEL_LAYOUT = 2


def definitions_hash(figures: Sequence[Figure]) -> str:
    """A fingerprint of the definitions and the read models' layout: projections built from
    other definitions, or in another layout, must be rebuilt."""
    # What a figure counts changes how it is published, and which way is better how a change
    # is coloured, not its values: no rebuild for either.
    text = json.dumps({"layout": READ_MODEL_LAYOUT, "figures": [
        {k: v for k, v in f.as_dict().items() if k not in ("counts", "better")}
        for f in figures]}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class FigureIndex:
    """Finds the figures an event of a scheme and type can count towards."""

    def __init__(self, figures: Sequence[Figure]):
        self.figures = list(figures)
        self.hash = definitions_hash(self.figures)
        self._by_key: dict[tuple[str, str], list[Figure]] = {}
        for figure in self.figures:
            for type_name in figure.types:
                self._by_key.setdefault((figure.scheme, type_name), []).append(figure)

    def for_event(self, scheme: str, type_name: str) -> list[Figure]:
        return self._by_key.get((scheme, type_name), [])
