"""The loader compiled from each schema accepts exactly what marshmallow accepts, with the same result.

`parse_event` loads plainly valid data with `events.fastload` and leaves the rest to marshmallow;
these properties hold it to marshmallow's answer for generated lines of every event type, valid
and not, and check that anything the loader does not know goes to marshmallow untouched.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, validate, validates
from marshmallow.utils import missing

from events.fastload import compile_loader
from events.interchange import InvalidEvent, parse_event
from events.schemas import EventData
from events.types import EVENT_TYPES, CasePolicy, EventType
from tests.bench.synth import synthetic_events

TYPE_NAMES = sorted(EVENT_TYPES)

#: Values of every JSON kind, and a few that only Python callers could send.
odd_values = (
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False)
    | st.sampled_from(["", " ", "1", "0", "true", "True", "x\n", 1.0, 0.0, b"bytes", ("a",)])
    | st.lists(st.integers(0, 2) | st.text(max_size=3), max_size=3)
    | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
)

#: True about three times in four.
USUALLY = st.sampled_from([True, True, True, False])


def mostly(usual: st.SearchStrategy[Any], unusual: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`usual` about three times in four: most generated lines should get as far as the data.

    (`st.one_of` would flatten `unusual`'s own alternatives and pick among all of them.)
    """
    return USUALLY.flatmap(lambda usual_one: usual if usual_one else unusual)


def _declared(field: fields.Field, kind: type[Any]) -> list[Any]:
    return [v for v in field.validators if isinstance(v, kind)]


def valid_values(field: fields.Field) -> st.SearchStrategy[Any]:
    """Values a field declares valid (mostly: a plain string field has no rule to read)."""
    if isinstance(field, fields.List):
        return st.lists(valid_values(field.inner), max_size=4)
    if isinstance(field, fields.Integer):
        return st.integers(0, 1_000_000)
    if isinstance(field, fields.Boolean):
        return st.booleans()
    for choices in _declared(field, validate.OneOf):
        return st.sampled_from([str(c) for c in choices.choices])
    if _declared(field, validate.Regexp):
        return st.uuids().map(str) | st.uuids().map(lambda u: str(u).upper())
    for length in _declared(field, validate.Length):
        return st.text(min_size=length.min or 0, max_size=min(length.max or 20, 20))
    return st.sampled_from(["2024/25 Q3", "2023/24 Q1", " 2024/25 Q4", "2024/26 Q1", "Q5"])


def edge_values(field: fields.Field) -> st.SearchStrategy[Any]:
    """Values at and just past what a field declares, and of a nearby wrong kind."""
    edges: list[Any] = [None, True, False, 0, 1, 2.0, "", "x", b"x", ["x"], {"x": 1}]
    for length in _declared(field, validate.Length):
        for n in {length.min or 0, (length.min or 1) - 1, length.max or 1, (length.max or 0) + 1}:
            edges += ["y" * n, ["CASE-1"] * n] if n >= 0 else []
    for choices in _declared(field, validate.OneOf):
        first = str(choices.choices[0])
        edges += [first.upper(), f" {first}", f"{first}\n", f"{first}x"]
    if _declared(field, validate.Regexp):
        some = "0f2b1c4e-8a9d-4e2f-9b1a-0c2d3e4f5a6b"
        edges += [some[:-1], f"{some}\n", f"{some}0", "Not an id", " "]
    if isinstance(field, fields.Integer):
        edges += [-1, 1_000_000, 1_000_001, 10**30, "3", 3.5]
    if isinstance(field, fields.Boolean):
        edges += [1, 2, 1.0, "true", "yes", "True"]
    if isinstance(field, fields.List):
        edges += ["CASE-1", ("CASE-1",), [""], [3], [None], ["y" * 65]]
    return mostly(st.sampled_from(edges), odd_values)


def values_for(field: fields.Field) -> st.SearchStrategy[Any]:
    """Values for a schema field, read from what it declares: valid ones, edge ones and odd ones."""
    return mostly(valid_values(field), edge_values(field))


@st.composite
def data_for(draw: st.DrawFn, type_name: str) -> Any:
    """Data for an event type: valid, or valid but for one thing, or anything at all."""
    declared = EVENT_TYPES[type_name].schema().fields
    data = draw(st.fixed_dictionaries(
        {n: valid_values(f) for n, f in declared.items() if f.required},
        optional={n: valid_values(f) for n, f in declared.items() if not f.required},
    ))
    change = draw(st.sampled_from(["none", "none", "value", "value", "drop", "extra", "any"]))
    if change == "value" and declared:
        name = draw(st.sampled_from(sorted(declared)))
        data[name] = draw(edge_values(declared[name]))
    elif change == "drop" and data:
        del data[draw(st.sampled_from(sorted(data)))]
    elif change == "extra":
        data[draw(st.sampled_from(["unknown", "", "Kind"]) | st.text(max_size=4))] = draw(odd_values)
    elif change == "any":
        anything = {n: values_for(f) for n, f in declared.items()}
        return draw(st.fixed_dictionaries({}, optional=anything) | odd_values)
    if type_name == "referral.received" and draw(st.booleans()):
        data["risk"] = "low"  # valid only as version 1, which upcasts it
    return data


@st.composite
def lines_of(draw: st.DrawFn, type_name: str) -> dict[str, Any]:
    """Whole interchange lines of one type, most of them well formed apart from their data."""
    event_type = EVENT_TYPES[type_name]
    usually = USUALLY
    line: dict[str, Any] = {"type": type_name}
    if draw(usually):
        line["id"] = draw(mostly(st.uuids().map(str),
                                 st.uuids().map(lambda u: str(u).upper())
                                 | st.uuids().map(lambda u: "{" + u.hex + "}") | odd_values))
    line["scheme"] = draw(mostly(st.sampled_from(["asb-casework", "davss"]), odd_values))
    if draw(usually) == (event_type.case is not CasePolicy.NONE):
        line["case"] = draw(mostly(st.just("ASB-2024-0001"), st.just("not a ref") | odd_values))
    line["occurred_at"] = draw(mostly(
        st.sampled_from(["2024-06-30", "2024-06-30T10:00:00+01:00", "2024-06-30T09:00:00Z"]),
        st.sampled_from(["2099-01-01", "June", " 2024-06-30 ", "2024-06-30T10:00:00"]) | odd_values,
    ))
    if draw(usually):
        line["recorded_by"] = draw(mostly(st.just("j.smith"), st.just("") | odd_values))
    line["data"] = draw(data_for(type_name))
    if not draw(usually):
        line["version"] = draw(st.integers(0, 3) | odd_values)
    if not draw(usually):
        line[draw(st.sampled_from(["position", "recorded_at", "bogus"]))] = draw(odd_values)
    return line


any_line = st.sampled_from(TYPE_NAMES).flatmap(lines_of)


def _outcome(line: dict[str, Any]) -> tuple[str, Any]:
    """What `parse_event` makes of a line, in a form that tells `True` from `1`."""
    try:
        parsed = parse_event(line, default_recorded_by="tester")
    except InvalidEvent as refused:
        return "refused", list(refused.errors.items())
    if line.get("id") is None:  # a fresh random id each time: not part of the comparison
        parsed = dataclasses.replace(parsed, event_id="fresh")
    return "parsed", repr(parsed)


@settings(max_examples=1500, deadline=None)
@given(any_line)
def test_parse_event_gives_what_marshmallow_alone_gives(line: dict[str, Any]) -> None:
    with_loader = _outcome(line)
    with mock.patch("events.interchange._loader", lambda _name: None):
        marshmallow_only = _outcome(line)
    assert with_loader == marshmallow_only


def _schema_and_data() -> st.SearchStrategy[tuple[Schema, Any]]:
    return st.sampled_from(TYPE_NAMES).flatmap(
        lambda name: st.tuples(st.just(EVENT_TYPES[name].schema()), data_for(name))
    )


@settings(max_examples=1500, deadline=None)
@given(_schema_and_data())
def test_the_loader_returns_loads_result_or_nothing_and_never_accepts_what_load_refuses(
    schema_and_data: tuple[Schema, Any],
) -> None:
    schema, data = schema_and_data
    loader = compile_loader(schema)
    assert loader is not None
    fast = loader.load(data)
    try:
        expected = schema.load(data)
    except ValidationError:
        assert fast is None
    else:
        assert fast is None or repr(fast) == repr(expected)


def test_every_event_type_has_a_loader_and_it_takes_every_synthetic_event() -> None:
    loaders = {name: compile_loader(t.schema()) for name, t in EVENT_TYPES.items()}
    assert all(loader is not None for loader in loaders.values())
    for line in synthetic_events(3000):
        loader = loaders[line["type"]]
        assert loader is not None and loader.load(line["data"]) is not None, line


class _WithUnknownFieldType(EventData):
    reading = fields.Float(required=True)
    note = fields.String(required=False)


class _Shouting(fields.String):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return str(super()._deserialize(value, attr, data, **kwargs)).upper()


class _WithOwnStringType(EventData):
    word = _Shouting(required=True)


class _WithOwnValidator(EventData):
    word = fields.String(required=True, validate=lambda value: value != "no")


class _WithDefault(EventData):
    word = fields.String(load_default="none given")


@pytest.mark.parametrize(
    "schema", [_WithUnknownFieldType, _WithOwnStringType, _WithOwnValidator, _WithDefault]
)
def test_a_schema_with_anything_the_loader_does_not_know_has_no_loader(schema: type[Schema]) -> None:
    assert compile_loader(schema()) is None


def test_a_type_whose_schema_has_no_loader_is_loaded_and_refused_by_marshmallow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = f"test.measured-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(EVENT_TYPES, name, EventType(name, "Measured", _WithUnknownFieldType,
                                                     CasePolicy.NONE))
    line = {"type": name, "scheme": "davss", "occurred_at": "2024-06-30",
            "data": {"reading": 2, "note": "ok"}}
    assert parse_event(line, default_recorded_by="tester").data == {"reading": 2.0, "note": "ok"}
    with pytest.raises(InvalidEvent) as refused:
        parse_event({**line, "data": {"reading": "high", "note": 3, "extra": 1}},
                    default_recorded_by="tester")
    assert refused.value.errors == {
        "data.reading": ["Not a valid number."],
        "data.note": ["Not a valid string."],
        "data.extra": ["Unknown field."],
    }


def test_a_validates_hook_that_drops_its_value_is_followed() -> None:
    class Dropping(EventData):
        word = fields.String(required=False)

        @validates("word")
        def _drop(self, value: str, **_: Any) -> Any:
            return missing

    loader = compile_loader(Dropping())
    assert loader is not None
    assert loader.load({"word": "gone"}) == Dropping().load({"word": "gone"})


def _id_as_uuid_reads_it(raw: Any) -> str | None:
    try:
        return str(uuid.UUID(raw)) if isinstance(raw, str) else None
    except ValueError:
        return None


@settings(max_examples=500, deadline=None)
@given(st.uuids().flatmap(lambda u: st.sampled_from([
    str(u), str(u).upper(), u.hex, "{" + str(u) + "}", f"urn:uuid:{u}", f"{u}\n", f" {u}", str(u)[:-1],
])) | st.text(max_size=40) | odd_values.filter(lambda value: value is not None))
def test_an_event_id_is_read_as_uuid_reads_it(raw: Any) -> None:
    line = {"id": raw, "type": "member.joined", "scheme": "safer-towns", "occurred_at": "2024-06-30",
            "data": {"member": "Business 1"}}
    expected = _id_as_uuid_reads_it(raw)
    try:
        assert parse_event(line, default_recorded_by="tester").event_id == expected
    except InvalidEvent as refused:
        assert expected is None and refused.errors == {"id": ["Not a valid UUID."]}
