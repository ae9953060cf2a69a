"""The API's OpenAPI document is valid, and generated requests never make the API fail."""

from __future__ import annotations

from typing import Any

import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from marshmallow import validate as checks
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from events.interchange import CASE_REF, SCHEME_ID
from events.types import EVENT_TYPES, SUBJECT_ERASED
from tests.test_casebook.conftest import MakeToken


def test_the_openapi_document_is_valid_openapi_3(client: FlaskClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert document["openapi"].startswith("3.")


def test_the_openapi_document_describes_every_api_route(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    routes = {(rule.rule, method.lower()) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/")
              for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == described


def test_no_generated_request_makes_the_api_fail(app: Flask, make_token: MakeToken) -> None:
    officer = make_token("officer")
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    results = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), results
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    # schemathesis leaves out the document's own path; the three that act on data remain.
    assert {op.label for op in operations} == {"GET /api/events", "POST /api/events",
                                               "GET /api/summary"}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=30, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            def never_a_server_error(case: Any) -> None:
                response = case.call(headers=officer.headers)
                case.validate_response(response, checks=[not_a_server_error])

            never_a_server_error()


def test_the_documented_event_shape_accepts_real_events_and_refuses_wrong_ones(
        client: FlaskClient) -> None:
    from openapi_schema_validator import OAS30Validator

    from tests.helpers import notice, referral

    document = client.get("/api/openapi.json").get_json()
    schema = {**document["components"]["schemas"]["EventInput"],
              "components": document["components"]}
    validator = OAS30Validator(schema)
    for good in (referral(risk="high", gender="female"), notice("cpw", case="ASB-1")):
        assert validator.is_valid(good), list(validator.iter_errors(good))
    wrong = [notice("shouting", case="ASB-1"), {**referral(), "data": {"risk": "extreme"}},
             {**referral(), "data": {"colour": "blue"}}, {**referral(), "colour": "blue"}]
    for line in wrong:
        assert not validator.is_valid(line), line


def _resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_every_sendable_event_type_is_described_from_its_schema(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    components = document["components"]["schemas"]
    sendable = sorted(name for name in EVENT_TYPES if name != SUBJECT_ERASED)
    assert [_resolved(document, one)["properties"]["type"]["enum"]
            for one in components["EventInput"]["oneOf"]] == [[name] for name in sendable]
    for name in sendable:
        envelope = components[f"Event_{name}"]
        assert set(envelope["required"]) == {"type", "scheme", "occurred_at", "data"}
        assert envelope["additionalProperties"] is False
        assert envelope["properties"]["scheme"]["pattern"] == SCHEME_ID.pattern
        assert envelope["properties"]["case"]["pattern"] == CASE_REF.pattern
        data = _resolved(document, envelope["properties"]["data"])
        declared = EVENT_TYPES[name].schema().fields
        assert data["additionalProperties"] is False
        assert set(data["properties"]) == set(declared), name
        assert set(data.get("required", [])) == {key for key, f in declared.items() if f.required}
        for key, field in declared.items():
            described = data["properties"][key]
            assert described.get("description") == field.metadata.get("label"), (name, key)
            choices = [list(check.choices) for check in field.validators
                       if isinstance(check, checks.OneOf)]
            if field.metadata.get("vocabulary"):
                # No plan of the defaults adds a value: the schema's own, which it leaves to the store.
                choices = [list(field.metadata["choices"])]
            assert described.get("enum") == (choices[0] if choices else None), (name, key)
