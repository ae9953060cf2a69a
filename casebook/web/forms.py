"""Event forms built from each event type's marshmallow schema, and form input read back into events.

The schema is the only definition of an event's fields: this module reads its field classes,
metadata (`label`, `hint`, `choices`, `vocabulary`) and validators to decide which GOV.UK
component to show. A vocabulary field also offers the values the partnership's plans adopted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from marshmallow import fields, validate

from events.schemas import SHORT_TEXT
from events.types import CasePolicy, EventType

#: Up to this many choices are shown as radios; more become a select.
RADIO_LIMIT = 7
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


@dataclass(frozen=True)
class FormField:
    """One data field of an event form: its input, label and choices."""

    name: str
    kind: str  # radios, select, boolean, number, text, long-text or lines
    label: str
    hint: str
    required: bool
    choices: tuple[tuple[str, str], ...] = ()
    #: The most characters the schema accepts, shown on the form; None if it sets no limit.
    max_length: int | None = None
    #: Whether the partnership's plans may add values to its choices (spec §8).
    vocabulary: bool = False
    #: The smallest and largest whole number the schema accepts, for a number's messages.
    minimum: int | None = None
    maximum: int | None = None

    @property
    def not_recorded(self) -> bool:
        """Whether its radios offer "Not recorded": an optional choice, once picked, could not be
        taken back otherwise."""
        return self.kind == "radios" and not self.required

    @property
    def input_id(self) -> str:
        return f"data-{self.name}"


@dataclass(frozen=True)
class EventForm:
    """The whole form for one event type: case policy plus its data fields."""

    event_type: EventType
    fields: tuple[FormField, ...]

    @property
    def case_policy(self) -> str:
        """"required", "optional", "by-notice" or "none", for the case reference input."""
        return self.event_type.case.value

    @property
    def case_allowed(self) -> bool:
        return self.event_type.case is not CasePolicy.NONE

    @property
    def occurred_label(self) -> str:
        """The event's date in the words of its messages, from its schema."""
        return self.event_type.schema.occurred_label


@dataclass
class Submission:
    """What the user typed (kept to show again) and the interchange event built from it."""

    values: dict[str, str]
    line: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)


#: Field -> value -> label: the values the plans adopted for each vocabulary field.
Adopted = Mapping[str, Mapping[str, str]]


def form_for(event_type: EventType, adopted: Adopted | None = None) -> EventForm:
    """The form fields of an event type, read from its schema, offering the `adopted` values
    (`load_plans(connection).vocabulary`) after the schema's own in its vocabulary fields."""
    schema = event_type.schema()
    built = [_form_field(name, schema_field, adopted or {})
             for name, schema_field in schema.fields.items()]
    return EventForm(event_type, tuple(built))


def _form_field(name: str, schema_field: fields.Field, adopted: Adopted) -> FormField:
    metadata = schema_field.metadata
    label = str(metadata.get("label") or name.replace("_", " ").capitalize())
    hint = " ".join(str(part) for part in (metadata.get("caution"), metadata.get("hint")) if part)
    required = bool(schema_field.required)
    if isinstance(schema_field, fields.Boolean):
        choices = metadata.get("choices") or {"true": "Yes", "false": "No"}
        return FormField(name, "boolean", label, hint, required, tuple(choices.items()))
    if isinstance(schema_field, fields.Integer):
        ranges = [v for v in schema_field.validators if isinstance(v, validate.Range)]
        low, high = (ranges[0].min, ranges[0].max) if ranges else (None, None)
        return FormField(name, "number", label, hint, required, minimum=low, maximum=high)
    if isinstance(schema_field, fields.List):
        return FormField(name, "lines", label, hint, required)
    choices = _choices(schema_field, metadata)
    vocabulary = bool(metadata.get("vocabulary"))
    if vocabulary:
        offered = dict(choices)
        choices += tuple((value, text) for value, text in adopted.get(name, {}).items()
                         if value not in offered)
    if choices:
        kind = "radios" if len(choices) <= RADIO_LIMIT else "select"
        return FormField(name, kind, label, hint, required, choices, vocabulary=vocabulary)
    limit = _max_length(schema_field)
    kind = "long-text" if limit is not None and limit > SHORT_TEXT else "text"
    return FormField(name, kind, label, hint, required, max_length=limit)


def _max_length(schema_field: fields.Field) -> int | None:
    limits = [v.max for v in schema_field.validators
              if isinstance(v, validate.Length) and v.max is not None]
    return min(limits) if limits else None


def _choices(schema_field: fields.Field, metadata: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    labelled: Mapping[str, str] = metadata.get("choices") or {}
    allowed: list[str] = []
    for validator in schema_field.validators:
        if isinstance(validator, validate.OneOf):
            allowed = [str(choice) for choice in validator.choices]
    if not allowed:
        allowed = list(labelled)
    return tuple((value, str(labelled.get(value, value))) for value in allowed)


def read_submission(
    form: EventForm, scheme: str, values: Mapping[str, str], *, event_id: str | None = None
) -> Submission:
    """Turn posted form values into an interchange event, noting date errors found on the way."""
    kept = {key: str(value) for key, value in values.items() if key != "csrf_token"}
    line: dict[str, Any] = {"type": form.event_type.name, "scheme": scheme, "data": {}}
    if event_id is not None:
        line["id"] = event_id
    errors: dict[str, list[str]] = {}

    case_ref = kept.get("case", "").strip()
    if form.case_allowed and case_ref:
        line["case"] = case_ref

    occurred, problem = _occurred_at(kept, form.occurred_label)
    if occurred:
        line["occurred_at"] = occurred
    if problem:
        errors[problem[0]] = [problem[1]]

    for form_field in form.fields:
        raw = kept.get(form_field.input_id, "")
        value = _field_value(form_field, raw)
        if value is not None:
            line["data"][form_field.name] = value
    return Submission(kept, line, errors)


def _field_value(form_field: FormField, raw: str) -> Any:
    text = raw.strip()
    if form_field.kind == "lines":
        items = [part.strip() for part in raw.splitlines() if part.strip()]
        return items or None
    if not text:
        return None
    if form_field.kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if form_field.kind == "number":
        try:
            return int(text.replace(",", ""))
        except ValueError:
            return text
    return text


def _occurred_at(values: Mapping[str, str], label: str) -> tuple[str, tuple[str, str] | None]:
    """The occurrence date (and optional local time) as ISO text, and what is wrong with it in
    GOV.UK words, keyed by the input that is wrong: a bad time keeps the date, so the date is
    still checked."""
    parts = {name: values.get(f"occurred-{name}", "").strip() for name in ("day", "month", "year")}
    missing = [name for name in ("day", "month", "year") if not parts[name]]
    lowered = label[0].lower() + label[1:]
    if len(missing) == 3:
        return "", ("occurred-day", f"Enter the {lowered}")
    if missing:
        return "", (f"occurred-{missing[0]}", f"{label} must include a {' and '.join(missing)}")
    if not parts["year"].isdigit() or len(parts["year"]) != 4:
        return "", ("occurred-year", f"{label} must have a year of 4 numbers, like 2025")
    if parts["month"].isdigit() and not 1 <= int(parts["month"]) <= 12:
        return "", ("occurred-month", f"{label} must be a real date: the month is 1 to 12")
    try:
        day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        return "", ("occurred-day", f"{label} must be a real date")
    time_text = values.get("occurred-time", "").strip()
    if not time_text:
        return day.isoformat(), None
    match = _TIME.match(time_text)
    if not match:
        return day.isoformat(), ("occurred-time",
                                 "Time must be hours and minutes on the 24-hour clock, like 14:30")
    return f"{day.isoformat()}T{int(match[1]):02d}:{match[2]}:00", None
