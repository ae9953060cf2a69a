"""The OpenAPI 3 document describing the JSON API, served at /api/openapi.json."""

from __future__ import annotations

from functools import cache
from typing import Any

from marshmallow import Schema, fields, validate

from events.types import ERASED, EVENT_TYPES

_ERROR = {"$ref": "#/components/schemas/Error"}


def field_schema(field: fields.Field) -> dict[str, Any]:
    """The JSON Schema of one marshmallow field, with its choices, ranges and lengths."""
    if isinstance(field, fields.Boolean):
        out: dict[str, Any] = {"type": "boolean"}
    elif isinstance(field, fields.Integer):
        out = {"type": "integer"}
    elif isinstance(field, fields.List):
        out = {"type": "array", "items": field_schema(field.inner)}
    elif isinstance(field, fields.String):
        out = {"type": "string"}
    else:
        out = {}
    array = out.get("type") == "array"
    for check in field.validators:
        if isinstance(check, validate.OneOf):
            out["enum"] = list(check.choices)
        elif isinstance(check, validate.Range):
            if check.min is not None:
                out["minimum"] = check.min
            if check.max is not None:
                out["maximum"] = check.max
        elif isinstance(check, validate.Length):
            if check.min is not None:
                out["minItems" if array else "minLength"] = check.min
            if check.max is not None:
                out["maxItems" if array else "maxLength"] = check.max
        elif isinstance(check, validate.Regexp):
            out["pattern"] = check.regex.pattern
    label = field.metadata.get("label")
    if label:
        out["description"] = label
    if field.allow_none:
        out["nullable"] = True
    return out


def data_schema(schema: type[Schema]) -> dict[str, Any]:
    """The JSON Schema of an event type's data, from the marshmallow schema forms and imports use."""
    declared = schema().fields
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {field.data_key or name: field_schema(field)
                       for name, field in declared.items()},
        "required": sorted(field.data_key or name for name, field in declared.items()
                           if field.required) or None,
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ERROR, description)


def _query(name: str, description: str, schema: dict[str, Any],
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema}


@cache
def openapi_document() -> dict[str, Any]:
    """The API's OpenAPI 3.0 document."""
    # Erasures are recorded only by `casebook erase`, which destroys the key: never sent in.
    sendable = {name: kind for name, kind in sorted(EVENT_TYPES.items()) if name != ERASED}
    event_inputs = {f"Event_{name}": _event_input(name) for name in sendable}
    data_schemas = {f"Data_{name}": _without_empty(data_schema(kind.schema))
                    for name, kind in sendable.items()}
    event_input = {
        "description": "One event in the interchange format (product specification, section 4).",
        "oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in event_inputs],
    }
    return _document(event_input, event_inputs, data_schemas)


def _without_empty(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if value is not None}


def _event_input(type_name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "scheme", "occurred_at", "data"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "format": "uuid",
                   "description": "Idempotency key; made by casebook when absent."},
            "type": {"type": "string", "enum": [type_name]},
            "version": {"type": "integer", "minimum": 1},
            "scheme": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"},
            "case": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$"},
            "occurred_at": {"type": "string",
                            "description": "A date (2024-05-03) or a date and time; local "
                                           "(Europe/London) time without an offset. Not "
                                           "before 1 January 2000 (CASEBOOK_EARLIEST_DATE) "
                                           "and not later than now."},
            "recorded_by": {"type": "string",
                            "description": "Always the token's user; may be left out."},
            "data": {"$ref": f"#/components/schemas/Data_{type_name}"},
        },
    }


def _document(event_input: dict[str, Any], event_inputs: dict[str, Any],
              data_schemas: dict[str, Any]) -> dict[str, Any]:
    stored_event = {
        "type": "object",
        "required": ["id", "type", "scheme", "occurred_at", "recorded_by", "data",
                     "recorded_at", "position"],
        "properties": {
            "id": {"type": "string"},
            "type": {"type": "string"},
            "scheme": {"type": "string"},
            "case": {"type": "string"},
            "occurred_at": {"type": "string", "format": "date-time"},
            "recorded_by": {"type": "string"},
            "data": {"type": "object"},
            "recorded_at": {"type": "string", "format": "date-time"},
            "position": {"type": "integer"},
        },
    }
    post_body = {
        "oneOf": [
            {"$ref": "#/components/schemas/EventInput"},
            {"type": "array", "minItems": 1, "maxItems": 1000,
             "items": {"$ref": "#/components/schemas/EventInput"}},
            {"type": "object", "required": ["events"], "additionalProperties": False,
             "properties": {
                 "events": {"type": "array", "minItems": 1, "maxItems": 1000,
                            "items": {"$ref": "#/components/schemas/EventInput"}},
                 "expected_versions": {
                     "type": "object",
                     "description": "The version each case had when you read it: a case "
                                    "changed since is refused with 409.",
                     "additionalProperties": {"type": "integer", "minimum": 0}},
             }},
        ]
    }
    refusal = {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "fields": {"type": "object",
                       "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            "items": {"type": "array", "items": {
                "type": "object", "required": ["index", "fields"],
                "properties": {
                    "index": {"type": "integer", "description": "Counted from 0."},
                    "fields": {"type": "object", "additionalProperties": {
                        "type": "array", "items": {"type": "string"}}},
                }}},
        },
    }
    created = {
        "type": "object",
        "required": ["ids", "written", "duplicates"],
        "properties": {
            "ids": {"type": "array", "items": {"type": "string"}},
            "written": {"type": "integer"},
            "duplicates": {"type": "array", "items": {"type": "string"}},
            "positions": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    }
    conflict = {
        "type": "object",
        "required": ["error", "message", "case", "expected_version", "actual_version"],
        "properties": {
            "error": {"type": "string"}, "message": {"type": "string"},
            "case": {"type": "string"}, "expected_version": {"type": "integer"},
            "actual_version": {"type": "integer"},
        },
    }
    page = {
        "type": "object",
        "required": ["events", "next_after"],
        "properties": {
            "events": {"type": "array", "items": {"$ref": "#/components/schemas/StoredEvent"}},
            "next_after": {"type": "integer", "nullable": True,
                           "description": "Pass as `after` for the next page; null at the end."},
        },
    }
    summary = {
        "type": "object",
        "required": ["year", "period", "figures"],
        "properties": {
            "year": {"type": "string"},
            "period": {"type": "string"},
            "as_of": {"type": "string", "nullable": True},
            "figures": {"type": "object", "additionalProperties": {"type": "object"}},
        },
    }
    unauthorised = _error("No valid API token was sent.")
    forbidden = _error("The token's user may not do this (role or scheme).")
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "casebook API",
            "version": "1",
            "description": "Log and read the events of a Community Safety Partnership's cases "
                           "and read the figures derived from them. Authenticate with "
                           "`Authorization: Bearer TOKEN` from `casebook token create USER`.",
        },
        "security": [{"bearerAuth": []}],
        "paths": {
            "/api/events": {
                "post": {
                    "summary": "Log one event or several, all or none",
                    "operationId": "postEvents",
                    "requestBody": {"required": True, "content": {
                        "application/json": {"schema": post_body}}},
                    "responses": {
                        "201": _json(created, "Stored (duplicates of stored events skipped)."),
                        "400": _error("The body is not JSON of a recognised shape."),
                        "401": unauthorised,
                        "403": forbidden,
                        "409": _json(conflict, "A case changed since the expected version."),
                        "413": _error("Too many events, or too large a body."),
                        "422": _json(refusal, "Some events were refused; nothing was stored."),
                    },
                },
                "get": {
                    "summary": "List events in the order stored, page by page",
                    "operationId": "listEvents",
                    "parameters": [
                        _query("scheme", "Only this scheme.", {"type": "string"}),
                        _query("type", "Only this event type.", {"type": "string"}),
                        _query("case", "Only this case.", {"type": "string"}),
                        _query("from", "Occurred on or after this local date.",
                               {"type": "string", "format": "date"}),
                        _query("to", "Occurred on or before this local date.",
                               {"type": "string", "format": "date"}),
                        _query("recorded_by", "Only events this user recorded.",
                               {"type": "string"}),
                        _query("after", "Only events after this position.",
                               {"type": "integer", "minimum": 0}),
                        _query("limit", "Most events in the page.",
                               {"type": "integer", "minimum": 1, "maximum": 1000,
                                "default": 100}),
                    ],
                    "responses": {
                        "200": _json(page, "A page of events."),
                        "400": _json(refusal, "A filter could not be read."),
                        "401": unauthorised,
                        "403": forbidden,
                    },
                },
            },
            "/api/summary": {
                "get": {
                    "summary": "The figures for a financial year or quarter",
                    "operationId": "getSummary",
                    "parameters": [
                        _query("year", "Financial year, like 2024/25.",
                               {"type": "string", "pattern": "^[0-9]{4}/[0-9]{2}$"}, True),
                        _query("quarter", "Q1 to Q4; the whole year when left out.",
                               {"type": "string", "enum": ["Q1", "Q2", "Q3", "Q4"]}),
                    ],
                    "responses": {
                        "200": _json(summary, "The same JSON as `casebook summary`."),
                        "400": _json(refusal, "The year or quarter could not be read."),
                        "401": unauthorised,
                        "403": forbidden,
                    },
                },
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This document",
                    "operationId": "getOpenApi",
                    "security": [],
                    "responses": {"200": {"description": "The OpenAPI document.",
                                          "content": {"application/json": {
                                              "schema": {"type": "object"}}}}},
                },
            },
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "EventInput": event_input,
                **event_inputs,
                **data_schemas,
                "StoredEvent": stored_event,
                "Error": refusal,
            },
        },
    }
