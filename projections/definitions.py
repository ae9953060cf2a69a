"""Figure definitions as data (spec §5): read, checked and matched against events."""

from __future__ import annotations

import hashlib
import json
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


def figure_from_dict(raw: Mapping[str, Any]) -> Figure:
    """Check one definition and build the `Figure`."""
    name = raw.get("id", "?")
    unknown = set(raw) - {"id", "label", "priority", "scheme", "types", "measure", "where",
                          "breakdown", "counts"}
    if unknown:
        raise BadDefinition(f"figure {name}: unknown keys {sorted(unknown)}")
    for key in ("id", "label", "priority", "scheme", "measure"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise BadDefinition(f"figure {name}: {key} must be a non-empty string")
    types = raw.get("types", [])
    if isinstance(types, str):
        types = [types]
    if not types:
        types = [t for t in EVENT_TYPES if t != VOIDED]
    for type_name in types:
        if type_name not in EVENT_TYPES or type_name == VOIDED:
            raise BadDefinition(f"figure {name}: unknown event type {type_name!r}")
    measure, _, argument = raw["measure"].partition(":")
    if measure not in MEASURES:
        raise BadDefinition(f"figure {name}: unknown measure {raw['measure']!r}")
    needs_argument = measure in ("sum", "distinct", "latest-return")
    if needs_argument != bool(argument):
        raise BadDefinition(f"figure {name}: measure {measure} {'needs' if needs_argument else 'takes no'} argument")
    if measure == "active" and not set(types) <= _STARTS | _ENDS:
        raise BadDefinition(f"figure {name}: active counts joins/enrolments and leavings only")
    if measure == "repeat-rate" and list(types) != ["referral.received"]:
        raise BadDefinition(f"figure {name}: repeat-rate is over referral.received")
    if measure == "latest-return" and list(types) != ["return.submitted"]:
        raise BadDefinition(f"figure {name}: latest-return is over return.submitted")
    where = dict(raw.get("where", {}))
    for key, wanted in where.items():
        if isinstance(wanted, Mapping) and (not wanted or set(wanted) - _COMPARISONS):
            raise BadDefinition(f"figure {name}: where.{key} takes min and max only")
    breakdown = tuple(raw.get("breakdown", ()))
    if breakdown and measure not in ("count", "sum"):
        raise BadDefinition(f"figure {name}: only count and sum figures have breakdowns")
    counts = raw.get("counts", "people")
    if counts not in COUNTS:
        raise BadDefinition(f"figure {name}: counts must be \"people\" or \"things\", "
                            f"not {counts!r}")
    return Figure(
        id=raw["id"],
        label=raw["label"],
        priority=raw["priority"],
        scheme=raw["scheme"],
        types=tuple(types),
        measure=measure,
        argument=argument or None,
        where=where,
        breakdown=breakdown,
        counts=counts,
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


def definitions_hash(figures: Sequence[Figure]) -> str:
    """A fingerprint of the definitions: projections built from others must be rebuilt."""
    # What a figure counts changes how it is published, not its values: no rebuild for that.
    text = json.dumps([{k: v for k, v in f.as_dict().items() if k != "counts"} for f in figures],
                      sort_keys=True)
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
