"""The interchange format (JSON Lines): read an event line into a validated `NewEvent`.

The web form, the API and the import all turn their input into this shape and call `parse_event`,
so a rule about a field is written once.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

from marshmallow import ValidationError

from events.acceptance import SCHEMAS_ONLY, Acceptance
from events.clock import utc_now
from events.fastload import Loader, compile_loader
from events.model import NewEvent
from events.quarters import LONDON, parse_occurred_at
from events.references import case_key
from events.types import EVENT_TYPES, EventType, schema_of

CASE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$")
SCHEME_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_FIELDS = {"id", "type", "scheme", "case", "occurred_at", "recorded_by", "data", "version"}
#: Keys an export adds; accepted on import and ignored (the system sets them).
_EXPORT_ONLY = {"recorded_at", "position"}
_ALLOWED = frozenset(_FIELDS | _EXPORT_ONLY)
#: An id already in the form `str(uuid.UUID(id))` gives back, as exports and most files have it.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: The first day an event may have happened on, unless the settings name another
#: (CASEBOOK_EARLIEST_DATE): an earlier date is a typing slip, or an attempt to make a case
#: look closed for longer than it has been.
EARLIEST_DATE = date(2000, 1, 1)
#: A JSON string escape of a UTF-16 surrogate: the only way a JSON text can hold an unpaired one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


@dataclass(frozen=True)
class TimeLimits:
    """When an event may have happened: on or after `earliest` (a London date), and not after now.

    `now` is the clock at each check unless given, as tests and a replay "as at" give it.
    """

    earliest: date = EARLIEST_DATE
    now: datetime | None = None

    def problem(self, occurred_at: datetime) -> str | None:
        """What is wrong with an event happening at `occurred_at`, or None."""
        if occurred_at < _start_of(self.earliest):
            return f"Must be on or after {self.earliest.day} {self.earliest:%B %Y}."
        if occurred_at > (self.now or utc_now()):
            return "Cannot be in the future."
        return None


@cache
def _start_of(day: date) -> datetime:
    """Midnight at the start of a London day, in UTC."""
    return datetime.combine(day, time(0, 0), LONDON).astimezone(UTC)


def read_json(text: str | bytes) -> Any:
    """A JSON text as Python values; ValueError for anything an event could not be stored from.

    Beyond `json.loads`: nesting too deep to read raises ValueError (not RecursionError), and
    so does an unpaired surrogate, which neither database can store as text.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")  # strictly: json.loads would let encoded surrogates through
    try:
        value = json.loads(text)
    except RecursionError as error:
        raise ValueError("Not valid JSON (nested too deeply).") from error
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, RecursionError) as error:
            raise ValueError("Not valid JSON (an unpaired surrogate escape, like \\ud800, is "
                             "half of a character).") from error
    return value


class InvalidEvent(ValueError):
    """An event that does not fit its schema: `errors` maps each field at fault to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()))


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as {"data.field": [message, ...]}."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_errors(value, name))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "data": list(messages)}
    return {prefix or "data": [str(messages)]}


#: The limits of the default settings, read against the clock.
DEFAULT_LIMITS = TimeLimits()


def parse_event(
    line: Any, *, default_recorded_by: str, limits: TimeLimits = DEFAULT_LIMITS,
    acceptance: Acceptance = SCHEMAS_ONLY,
) -> NewEvent:
    """Validate one event in the interchange shape and return it as a `NewEvent`.

    `acceptance` gives the values the partnership's plan has added to enumerated fields and the
    types each scheme logs, so a value not adopted or a type not logged is reported with the
    line's other problems (the store checks both again, under the append lock).
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(line, dict):
        raise InvalidEvent({"line": ["An event must be a JSON object."]})
    if not _ALLOWED.issuperset(line):
        for key in sorted(set(line) - _ALLOWED):
            errors[key] = ["Unknown field."]
    # Each step notes its field's problems in `errors`, in the order they are reported.
    event_id = _event_id(line.get("id"), errors)
    event_type = _event_type(line.get("type"), errors)
    scheme = _scheme(line.get("scheme"), errors)
    occurred_at = _occurred_at(line.get("occurred_at"), limits, errors)
    recorded_by = _recorded_by(line.get("recorded_by"), errors)
    data = _data(line, event_type, errors)
    for name, value in data.items():
        if (problem := acceptance.value_problem(name, value)) is not None:
            errors[f"data.{name}"] = [problem]
    if event_type is not None and scheme is not None and occurred_at is not None and (
        problem := acceptance.type_problem(scheme, event_type.name, occurred_at)
    ):
        errors["type"] = [problem]
    case_ref = line.get("case")
    if event_type is not None:
        _check_case(case_ref, event_type, data, errors)
    if errors:
        raise InvalidEvent(errors)
    assert event_type is not None and occurred_at is not None and scheme is not None
    return NewEvent(
        event_id=event_id,
        type=event_type.name,
        scheme=scheme,
        # References are case-insensitive: a new one is stored in capitals (events.references).
        case_ref=case_key(case_ref) if case_ref is not None else None,
        occurred_at=occurred_at,
        recorded_by=recorded_by if recorded_by is not None else default_recorded_by,
        data=data,
        recorded_by_given=recorded_by is not None,
    )


def _event_type(type_name: Any, errors: dict[str, list[str]]) -> EventType | None:
    event_type = EVENT_TYPES.get(type_name) if isinstance(type_name, str) else None
    if type_name is None:
        errors["type"] = ["Missing data for required field."]
    elif event_type is None:
        errors["type"] = [f"Unknown event type {type_name!r}."]
    return event_type


def _scheme(scheme: Any, errors: dict[str, list[str]]) -> str | None:
    if scheme is None:
        errors["scheme"] = ["Missing data for required field."]
    elif not isinstance(scheme, str) or not SCHEME_ID.match(scheme):
        errors["scheme"] = ["Not a valid scheme id (lower-case letters, digits and hyphens)."]
    else:
        return scheme
    return None


def _recorded_by(recorded_by: Any, errors: dict[str, list[str]]) -> str | None:
    if recorded_by is not None and (
        not isinstance(recorded_by, str) or not 0 < len(recorded_by) <= 128
    ):
        errors["recorded_by"] = ["Not a valid user name."]
    return recorded_by


def _data(line: dict[str, Any], event_type: EventType | None,
          errors: dict[str, list[str]]) -> dict[str, Any]:
    """The event's data, upcast from the version the line names and loaded by its schema."""
    raw_data = line.get("data", {})
    if not isinstance(raw_data, dict):
        errors["data"] = ["Not a valid object."]
        return {}
    if event_type is None:
        return {}
    version = line.get("version", event_type.version)
    if not isinstance(version, int) or isinstance(version, bool) or not (
        1 <= version <= event_type.version
    ):
        errors["version"] = [f"Must be a version from 1 to {event_type.version}."]
        return {}
    try:
        return load_data(event_type.name, event_type.upcast(raw_data, version))
    except ValidationError as error:
        errors.update(flatten_errors(error.messages, "data"))
        return {}


def _check_case(case_ref: Any, event_type: EventType, data: dict[str, Any],
                errors: dict[str, list[str]]) -> None:
    if case_ref is not None:
        if not event_type.case_allowed:
            errors["case"] = [f"A {event_type.name} event does not belong to a case."]
        elif not isinstance(case_ref, str) or not CASE_REF.match(case_ref):
            errors["case"] = ["Not a valid case reference (like ASB-2024-0031)."]
    elif event_type.case_required(data):
        errors["case"] = [f"A {event_type.name} event needs a case reference."]


def _occurred_at(raw: Any, limits: TimeLimits, errors: dict[str, list[str]]) -> datetime | None:
    if raw is None:
        errors["occurred_at"] = ["Missing data for required field."]
        return None
    if not isinstance(raw, str):
        errors["occurred_at"] = ["Not a valid date or time."]
        return None
    try:
        occurred_at = parse_occurred_at(raw)
    except ValueError:
        errors["occurred_at"] = ["Not a valid date or time: use 2024-06-30 or ISO 8601."]
        return None
    problem = limits.problem(occurred_at)
    if problem is not None:
        errors["occurred_at"] = [problem]
    return occurred_at


def load_data(type_name: str, raw: Any) -> dict[str, Any]:
    """The event's data as its schema loads it; `ValidationError` with marshmallow's messages.

    Plainly valid data is loaded by the loader compiled from the schema (`events.fastload`),
    which gives the very dict marshmallow would; anything else is left to marshmallow.
    """
    loader = _loader(type_name)
    if loader is not None:
        loaded = loader.load(raw)
        if loaded is not None:
            return loaded
    data: dict[str, Any] = schema_of(type_name).load(raw)
    return data


@cache
def _loader(type_name: str) -> Loader | None:
    """The type's compiled loader, built once from its schema; None if the schema needs marshmallow."""
    return compile_loader(schema_of(type_name))


def _event_id(raw: Any, errors: dict[str, list[str]]) -> str:
    if raw is None:
        return str(uuid.uuid4())
    if type(raw) is str and _CANONICAL_UUID.fullmatch(raw):
        return raw
    try:
        if not isinstance(raw, str):
            raise ValueError
        return str(uuid.UUID(raw))
    except ValueError:
        errors["id"] = ["Not a valid UUID."]
        return ""
