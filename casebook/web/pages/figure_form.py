"""The figure form of the Plan pages, built from the event schemas (spec §5, §8).

Its steps (scheme, types, measure, details) carry every value as sent, in the query string or
hidden fields, and each offers only what the earlier ones allow: the scheme's types, the
measures the engine computes over them, and the fields those types have.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from marshmallow import fields

from casebook.web.pages.plan_forms import Errors, Sent
from events.types import EVENT_TYPES, VOIDED, schema_of
from projections.definitions import BETTER, COUNTS, FIGURE_ID, Figure, figure_problems

#: The measures in the words the form offers them: label and hint, in the order offered.
MEASURE_WORDS: dict[str, tuple[str, str]] = {
    "count": ("Count events", "How many of these events there were"),
    "sum": ("Add up a number field", "For example the attendees of every course delivered"),
    "distinct": ("Count different values", "For example how many different locations or cases"),
    "active": ("People active at the end",
               "Joined or enrolled and not yet left, at the end of the period"),
    "repeat-rate": ("Repeat rate", "The share of referrals whose subject was referred to the "
                                   "scheme in the 12 months before"),
    "latest-return": ("Partner's return", "The value a partner last reported for the quarter"),
}
#: The figure form's steps, in order: each shows the inputs named in `STEP_INPUTS`.
STEPS = ("about", "types", "measure", "details")
STEP_INPUTS = {"about": ("id", "label", "scheme"), "types": ("types",),
               "measure": ("measure",), "details": ("field", "indicator", "breakdown", "counts", "better")}
BREAKDOWN_MEASURES = ("count", "sum")


@dataclass(frozen=True)
class DataField:
    """A data field of the chosen event types, as the figure form offers it."""

    name: str
    label: str
    #: "choice", "boolean", "number" or "text".
    kind: str
    choices: tuple[tuple[str, str], ...] = ()


def data_fields(types: Sequence[str],
                adopted: Mapping[str, Mapping[str, str]]) -> list[DataField]:
    """The fields the types have that a figure may filter, add up or break down by."""
    found: dict[str, DataField] = {}
    for type_name in types:
        for name, declared in schema_of(type_name).fields.items():
            metadata = declared.metadata
            if name in found or metadata.get("personal") or isinstance(declared, fields.List):
                continue
            label = str(metadata.get("label", name))
            if isinstance(declared, fields.Boolean):
                found[name] = DataField(name, label, "boolean", (("true", "Yes"), ("false", "No")))
            elif isinstance(declared, fields.Integer):
                found[name] = DataField(name, label, "number")
            elif metadata.get("choices"):
                choices = {**metadata["choices"], **adopted.get(name, {})}
                found[name] = DataField(name, label, "choice", tuple(choices.items()))
            else:
                found[name] = DataField(name, label, "text")
    return list(found.values())


def offered_types(logged: frozenset[str] | None) -> list[str]:
    """The types a figure of the scheme may count: the scheme's, or any where the plan says none."""
    return [t for t, kind in EVENT_TYPES.items()
            if t != VOIDED and kind.loggable and (logged is None or t in logged)]


def distinct_options(types: Sequence[str], found: Sequence[DataField]) -> list[tuple[str, str]]:
    cases = [("case", "Cases")] if any(EVENT_TYPES[t].case_allowed for t in types) else []
    return cases + [(f.name, f.label) for f in found]


def offered_measures(types: Sequence[str], found: Sequence[DataField]) -> list[str]:
    """The measures the engine can compute over these types (`figure_problems` decides)."""
    offered = []
    for measure in MEASURE_WORDS:
        spelled = f"{measure}:x" if measure in ("sum", "distinct", "latest-return") else measure
        trial = {"id": "x", "label": "x", "scheme": "x", "types": list(types), "measure": spelled}
        if (any(at == "types" for at, _ in figure_problems(trial))
                or (measure == "sum" and not any(f.kind == "number" for f in found))
                or (measure == "distinct" and not distinct_options(types, found))):
            continue
        offered.append(measure)
    return offered


@dataclass
class FigureDraft:
    """A figure as the form has it so far: every value as sent, carried from step to step."""

    figure_id: str = ""
    label: str = ""
    scheme: str = ""
    types: list[str] = field(default_factory=list)
    measure: str = ""
    argument: str = ""
    indicator: str = ""
    #: "where-" inputs by the rest of their name: `notice`, or `recommendations-min`.
    where: dict[str, str] = field(default_factory=dict)
    breakdown: list[str] = field(default_factory=list)
    counts: str = "people"
    better: str = "neither"

    @classmethod
    def sent(cls, sent: Sent) -> FigureDraft:
        where = {k.removeprefix("where-"): v.strip() for k, v in sent.items(multi=True)
                 if k.startswith("where-") and v.strip()}
        return cls(sent.get("id", "").strip(), sent.get("label", "").strip(),
                   sent.get("scheme", ""), sent.getlist("types"), sent.get("measure", ""),
                   sent.get("field", ""), sent.get("indicator", "").strip(), where,
                   sent.getlist("breakdown"), sent.get("counts", "") or "people",
                   sent.get("better", "") or "neither")

    @classmethod
    def of(cls, figure: Figure) -> FigureDraft:
        where: dict[str, str] = {}
        for name, wanted in figure.where.items():
            if isinstance(wanted, Mapping):
                where.update({f"{name}-{end}": str(n) for end, n in wanted.items()})
            else:
                where[name] = json.dumps(wanted) if isinstance(wanted, bool) else str(wanted)
        argument = figure.argument or ""
        latest = figure.measure == "latest-return"
        return cls(figure.id, figure.label, figure.scheme, list(figure.types), figure.measure,
                   "" if latest else argument, argument if latest else "", where,
                   list(figure.breakdown), figure.counts, figure.better)

    def items(self) -> list[tuple[str, str]]:
        """Every value as (input name, value): the query string or hidden fields carrying it."""
        found = [("id", self.figure_id), ("label", self.label), ("scheme", self.scheme)]
        found += [("types", t) for t in self.types]
        found += [("measure", self.measure), ("field", self.argument),
                  ("indicator", self.indicator), ("counts", self.counts),
                  ("better", self.better)]
        found += [(f"where-{k}", v) for k, v in self.where.items()]
        found += [("breakdown", b) for b in self.breakdown]
        return [(name, value) for name, value in found if value]

    def on_step(self, name: str, step: str) -> bool:
        """Whether the input `name` is shown on `step` (others are carried hidden)."""
        if name.startswith("where-"):
            return step == "details"
        return name in STEP_INPUTS[step]


@dataclass(frozen=True)
class FigureContext:
    """What the figure form is checked against: the plan's schemes and the vocabulary."""

    schemes: Mapping[str, str]
    #: Scheme -> the types it logs (None: the plan says nothing of it).
    logged: Mapping[str, frozenset[str] | None]
    prioritised: frozenset[str]
    existing: frozenset[str]
    adopted: Mapping[str, Mapping[str, str]]
    #: The figure being changed, whose id is fixed; None for a new one.
    changing: str | None = None


def step_errors(draft: FigureDraft, step: str, context: FigureContext) -> Errors:
    """What is wrong with the inputs of one step."""
    errors: Errors = {}
    if step == "about":
        if context.changing is None and not FIGURE_ID.match(draft.figure_id):
            errors["id"] = ("Enter an id of up to 48 lower-case letters, digits, dots, dashes "
                            "or underscores, like asb.closure_orders")
        elif context.changing is None and draft.figure_id in context.existing:
            errors["id"] = f"The plan already has a figure {draft.figure_id}"
        if not draft.label:
            errors["label"] = "Enter the figure's label, as summaries show it"
        if draft.scheme not in context.schemes:
            errors["scheme"] = "Choose the scheme whose events it counts"
        elif draft.scheme not in context.prioritised:
            errors["scheme"] = (f"{context.schemes[draft.scheme]} is in no priority of this "
                                "plan: add it to one first")
    elif step == "types":
        offered = offered_types(context.logged.get(draft.scheme))
        if not draft.types:
            errors["types"] = "Choose the events it counts"
        elif not set(draft.types) <= set(offered):
            errors["types"] = "Choose only the event types the scheme logs"
    elif step == "measure":
        found = data_fields(draft.types, context.adopted)
        if draft.measure not in offered_measures(draft.types, found):
            errors["measure"] = "Choose how the events are counted"
    else:
        errors.update(_detail_errors(draft, context))
    return errors


def _detail_errors(draft: FigureDraft, context: FigureContext) -> Errors:
    found = data_fields(draft.types, context.adopted)
    errors: Errors = {}
    if draft.measure == "sum" and draft.argument not in [f.name for f in found
                                                         if f.kind == "number"]:
        errors["field"] = "Choose the number field to add up"
    if draft.measure == "distinct" and draft.argument not in dict(distinct_options(draft.types,
                                                                                   found)):
        errors["field"] = "Choose what the different values are of"
    if draft.measure == "latest-return" and not draft.indicator:
        errors["indicator"] = "Enter the indicator partners report, like people-supported"
    if draft.counts not in COUNTS:
        errors["counts"] = "Choose whether it counts people or things"
    if draft.better not in BETTER:
        errors["better"] = "Choose whether a higher or a lower value is better, or neither"
    _, where_errors = where_of(draft, found)
    errors.update(where_errors)
    return errors


def where_of(draft: FigureDraft, found: Sequence[DataField]) -> tuple[dict[str, Any], Errors]:
    """The `where` of the plan file from the form's inputs, and what is wrong with them."""
    where: dict[str, Any] = {}
    errors: Errors = {}
    for data in found:
        if data.kind == "number":
            bounds = {}
            for end in ("min", "max"):
                raw = draft.where.get(f"{data.name}-{end}", "")
                if raw and not raw.isdecimal():
                    errors[f"where-{data.name}-{end}"] = f"Enter a whole number for {data.label}"
                elif raw:
                    bounds[end] = int(raw)
            if bounds:
                where[data.name] = bounds
            continue
        raw = draft.where.get(data.name, "")
        if not raw:
            continue
        if data.kind == "text":
            where[data.name] = raw
        elif raw not in dict(data.choices):
            errors[f"where-{data.name}"] = f"Choose one of the values of {data.label}"
        else:
            where[data.name] = raw == "true" if data.kind == "boolean" else raw
    return where, errors


def figure_entry_of(draft: FigureDraft, adopted: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """The figure as the plan file has it."""
    found = data_fields(draft.types, adopted)
    measure = draft.measure
    if measure in ("sum", "distinct"):
        measure = f"{measure}:{draft.argument}"
    elif measure == "latest-return":
        measure = f"{measure}:{draft.indicator}"
    entry: dict[str, Any] = {"id": draft.figure_id, "label": draft.label, "scheme": draft.scheme,
                             "types": list(draft.types), "measure": measure}
    where, _ = where_of(draft, found)
    if where:
        entry["where"] = where
    names = {f.name for f in found}
    breakdown = [b for b in draft.breakdown if b in names]
    if breakdown and draft.measure in BREAKDOWN_MEASURES:
        entry["breakdown"] = breakdown
    if draft.counts == "things":
        entry["counts"] = "things"
    if draft.better != "neither":
        entry["better"] = draft.better
    return entry


def first_failing(draft: FigureDraft, upto: str, context: FigureContext) -> tuple[str, Errors]:
    """The first step before `upto` with a mistake, and its errors; else `upto` and none."""
    for step in STEPS[:STEPS.index(upto)] if upto in STEPS else STEPS:
        errors = step_errors(draft, step, context)
        if errors:
            return step, errors
    return (upto if upto in STEPS else STEPS[-1]), {}


def step_of(errors: Mapping[str, str]) -> str:
    """The step showing the first input with an error."""
    for step in STEPS:
        if any(any(key == name or key.startswith(f"{name}-") for name in STEP_INPUTS[step])
               for key in errors):
            return step
    return "details" if any(k.startswith("where-") for k in errors) else "about"


def figure_input(problem_field: str, draft: FigureDraft) -> str:
    """The figure form's input a plan check problem's field is about."""
    if problem_field.startswith("where."):
        return "where-" + problem_field.removeprefix("where.")
    if problem_field == "measure" and draft.measure in ("sum", "distinct", "latest-return"):
        return "indicator" if draft.measure == "latest-return" else "field"
    if problem_field == "priority":
        return "scheme"
    known = {"id", "label", "scheme", "types", "measure", "breakdown", "counts", "better"}
    return problem_field if problem_field in known else "id"
