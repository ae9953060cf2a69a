"""The OpenAPI 3 document describing the JSON API, served at /api/openapi.json.

Built with apispec from marshmallow schemas: each event type's data from the schema forms and
imports use (`events.schemas`), the envelope and replies from the schemas below. A vocabulary
field's enum is the schema's values and those the partnership's plans adopted (spec §8).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import EXCLUDE, Schema, fields, validate

from events.acceptance import Acceptance
from events.interchange import CASE_REF, SCHEME_ID
from events.types import EVENT_TYPES, SUBJECT_ERASED


class _Reply(Schema):
    """Base for what the API sends: clients should ignore fields they do not know."""

    class Meta:
        # EXCLUDE leaves `additionalProperties` out of the document: more fields may come.
        unknown = EXCLUDE


class ItemRefusal(_Reply):
    index = fields.Integer(required=True, metadata={"description": "Counted from 0."})
    fields_ = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True,
                          data_key="fields")


class _ErrorBody(_Reply):
    """What every error body says (casebook.web.api.errors): its name and what to do."""

    error = fields.String(required=True)
    message = fields.String(required=True)


class Refusal(_ErrorBody):
    fields_ = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                          data_key="fields")
    items = fields.List(fields.Nested(ItemRefusal))


class StoredEvent(_Reply):
    id = fields.String(required=True)
    type = fields.String(required=True)
    scheme = fields.String(required=True)
    case = fields.String()
    occurred_at = fields.DateTime(required=True)
    recorded_by = fields.String(required=True)
    data = fields.Dict(required=True)
    recorded_at = fields.DateTime(required=True)
    position = fields.Integer(required=True)


class Created(_Reply):
    ids = fields.List(fields.String(), required=True)
    written = fields.Integer(required=True)
    duplicates = fields.List(fields.String(), required=True)
    positions = fields.Dict(keys=fields.String(), values=fields.Integer())


class Conflict(_ErrorBody):
    case = fields.String(required=True)
    expected_version = fields.Integer(required=True)
    actual_version = fields.Integer(required=True)


class EventPage(_Reply):
    events = fields.List(fields.Nested(StoredEvent), required=True)
    next_after = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Pass as `after` for the next page; null at the end."})


class Summary(_Reply):
    year = fields.String(required=True)
    period = fields.String(required=True)
    as_of = fields.String(allow_none=True)
    #: The period had not ended when the figures were read: figures so far.
    provisional = fields.Boolean(required=True)
    figures = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True)


class SummaryQuery(Schema):
    # Only the document reads this pattern; the year itself is read by `FinancialYear.parse`.
    year = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{4}/[0-9]{2}$"),
                         metadata={"description": "Financial year, like 2024/25."})
    quarter = fields.String(validate=validate.OneOf(["Q1", "Q2", "Q3", "Q4"]),
                            metadata={"description": "Q1 to Q4; the whole year when left out."})


def _described(description: str, field: type[fields.Field] = fields.String,
               **options: Any) -> fields.Field:
    return field(metadata={"description": description}, **options)


def _event_filter(default_page: int, max_page: int) -> type[Schema]:
    return Schema.from_dict({
        "scheme": _described("Only this scheme."),
        "type": _described("Only this event type."),
        "case": _described("Only this case."),
        "from_": _described("Occurred on or after this local date.", fields.Date, data_key="from"),
        "to": _described("Occurred on or before this local date.", fields.Date),
        "recorded_by": _described("Only events this user recorded."),
        "after": _described("Only events after this position.", fields.Integer,
                            validate=validate.Range(min=0)),
        "limit": _described("Most events in the page.", fields.Integer, load_default=default_page,
                            validate=validate.Range(min=1, max=max_page)),
    }, name="EventFilter")


def _event_input(type_name: str) -> type[Schema]:
    """The interchange envelope (product specification, section 4) of one event type."""
    return Schema.from_dict({
        "id": _described("Idempotency key; made by casebook when absent.", fields.UUID),
        "type": fields.String(required=True, validate=validate.OneOf([type_name])),
        "version": fields.Integer(validate=validate.Range(min=1)),
        "scheme": fields.String(required=True, validate=validate.Regexp(SCHEME_ID)),
        "case": fields.String(validate=validate.Regexp(CASE_REF)),
        "occurred_at": _described(
            "A date (2024-05-03) or a date and time; local (Europe/London) time without an "
            "offset. Not before 1 January 2000 (CASEBOOK_EARLIEST_DATE) and not later than now.",
            required=True),
        "recorded_by": _described("Always the token's user; may be left out."),
        "data": fields.Nested(EVENT_TYPES[type_name].schema, required=True),
    }, name=f"Event_{type_name}")


def _label_as_description(self: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
    # The event schemas label their fields for forms; the label is the field's description.
    label = field.metadata.get("label")
    return {"description": label} if label and "description" not in field.metadata else {}


#: Field -> the values the plans adopted for it, in a form a cache can key on.
_Words = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


def _vocabulary_enum(words: _Words) -> Callable[..., dict[str, Any]]:
    acceptance = Acceptance(added={name: dict(values) for name, values in words})

    def enum(self: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
        # The schemas check only a vocabulary value's form: the store checks it is adopted.
        if not field.metadata.get("vocabulary"):
            return {}
        return {"enum": list(acceptance.choices(field.data_key or field.name or ""))}

    return enum


def _new_spec(words: _Words) -> APISpec:
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="casebook API", version="1", openapi_version="3.0.3", plugins=[plugin],
        info={"description": "Log and read the events of a Community Safety Partnership's cases "
                             "and read the figures derived from them. Authenticate with "
                             "`Authorization: Bearer TOKEN` from `casebook token create USER`."},
        security=[{"bearerAuth": []}],
    )
    assert plugin.converter is not None  # made by APISpec's init_spec
    plugin.converter.add_attribute_function(_label_as_description)
    plugin.converter.add_attribute_function(_vocabulary_enum(words))
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    return spec


def _event_schemas(spec: APISpec) -> None:
    # Erasures are recorded only by `casebook erase`, which destroys the key: never sent in.
    sendable = sorted(name for name in EVENT_TYPES if name != SUBJECT_ERASED)
    for name in sendable:
        spec.components.schema(f"Event_{name}", schema=_event_input(name))
    spec.components.schema("EventInput", {
        "description": "One event in the interchange format (product specification, section 4).",
        "oneOf": [{"$ref": f"#/components/schemas/Event_{name}"} for name in sendable],
    })
    spec.components.schema("StoredEvent", schema=StoredEvent)
    spec.components.schema("Error", schema=Refusal)


def _json(schema: Any, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _post_body(max_events: int) -> dict[str, Any]:
    one = {"$ref": "#/components/schemas/EventInput"}
    many = {"type": "array", "minItems": 1, "maxItems": max_events, "items": one}
    batch = {"type": "object", "required": ["events"], "additionalProperties": False,
             "properties": {"events": many, "expected_versions": {
                 "type": "object",
                 "description": "The version each case had when you read it: a case changed "
                                "since is refused with 409.",
                 "additionalProperties": {"type": "integer", "minimum": 0}}}}
    return {"oneOf": [one, many, batch]}


def _denied() -> dict[str, Any]:
    # New dicts each time: apispec writes the resolved references into what it is given.
    return {"401": _json(Refusal, "No valid API token was sent."),
            "403": _json(Refusal, "The token's user may not do this (role or scheme).")}


def _paths(spec: APISpec, max_events: int, default_page: int, max_page: int) -> None:
    spec.path(path="/api/events", operations={
        "post": {
            "summary": "Log one event or several, all or none",
            "operationId": "postEvents",
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": _post_body(max_events)}}},
            "responses": {
                "201": _json(Created, "Stored (duplicates of stored events skipped)."),
                "400": _json(Refusal, "The body is not JSON of a recognised shape."),
                **_denied(),
                "409": _json(Conflict, "A case changed since the expected version."),
                "413": _json(Refusal, "Too many events, or too large a body."),
                "422": _json(Refusal, "Some events were refused; nothing was stored. A void "
                                      "of an event a later event of its case depends on lists "
                                      "the ids of those events under `data.dependents`: void "
                                      "them first, or earlier in the same list."),
            },
        },
        "get": {
            "summary": "List events in the order stored, page by page",
            "operationId": "listEvents",
            "parameters": [{"in": "query", "schema": _event_filter(default_page, max_page)}],
            "responses": {
                "200": _json(EventPage, "A page of events."),
                "400": _json(Refusal, "A filter could not be read."),
                **_denied(),
            },
        },
    })
    spec.path(path="/api/summary", operations={"get": {
        "summary": "The figures for a financial year or quarter",
        "operationId": "getSummary",
        "parameters": [{"in": "query", "schema": SummaryQuery}],
        "responses": {
            "200": _json(Summary, "The same JSON as `casebook summary`."),
            "400": _json(Refusal, "The year or quarter could not be read."),
            **_denied(),
        },
    }})
    spec.path(path="/api/openapi.json", operations={"get": {
        "summary": "This document",
        "operationId": "getOpenApi",
        "security": [],
        "responses": {"200": _json({"type": "object"}, "The OpenAPI document.")},
    }})


def openapi_document(*, max_events: int, default_page: int, max_page: int,
                     adopted: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:
    """The API's OpenAPI 3.0 document, given the API's limits on a post and a page and the
    vocabulary adopted (`load_plans(connection).vocabulary`)."""
    words = tuple(sorted((name, tuple(values.items())) for name, values in (adopted or {}).items()))
    return _document(max_events, default_page, max_page, words)


@lru_cache(maxsize=16)
def _document(max_events: int, default_page: int, max_page: int, words: _Words) -> dict[str, Any]:
    # Cached per vocabulary: an adoption that adds a value makes a new document.
    spec = _new_spec(words)
    _event_schemas(spec)
    _paths(spec, max_events, default_page, max_page)
    return spec.to_dict()
