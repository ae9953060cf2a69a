"""Bad input, fuzzed: any JSON value is either a valid event or refused with `InvalidEvent`, and
an import with any bad line writes nothing."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from events.interchange import InvalidEvent, parse_event
from events.types import EVENT_TYPES
from tests.helpers import import_jsonl
from tests.test_protection.support import exported

FIELDS = ["id", "type", "scheme", "case", "occurred_at", "recorded_by", "data", "version",
          "recorded_at", "position"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)

plausible_values: dict[str, Any] = {
    "id": st.uuids().map(str) | json_values,
    "type": st.sampled_from(sorted(EVENT_TYPES)) | json_values,
    "scheme": st.sampled_from(["davss", "asb-casework", "no-such-scheme"]) | json_values,
    "case": st.from_regex(r"[A-Z]{2,3}-[0-9]{1,4}", fullmatch=True) | json_values,
    "occurred_at": st.sampled_from(["2024-05-03", "2024-07-01T00:30:00+01:00", "2099-01-01",
                                    "9999-12-31T23:59:59-23:59", "0001-01-01", "0001-01-01T00:00:00Z",
                                    "2024-02-30",
                                    "24:00", ""]) | st.text(max_size=30) | json_values,
    "recorded_by": st.text(max_size=140) | json_values,
    "data": st.fixed_dictionaries({}, optional={
        "subject": st.text(max_size=20) | json_values,
        "risk": st.sampled_from(["high", "low", "medium"]) | json_values,
        "notice": st.sampled_from(["cpw", "cpn", "cpn-fpn"]) | json_values,
        "met": json_values, "attendees": json_values, "people": json_values,
        "kind": st.sampled_from(["outreach", "patrol"]) | json_values,
        "quarter": st.sampled_from(["2024/25 Q3", "2024/26 Q1", "Q5"]) | json_values,
        "value": json_values, "target": st.uuids().map(str) | json_values,
        "reason": st.text(max_size=10) | json_values, "key": json_values,
    }) | json_values,
    "version": st.integers(-2, 4) | json_values,
}
plausible_events = st.fixed_dictionaries({}, optional=plausible_values)


def _parse_or_refuse(line: Any) -> None:
    try:
        parse_event(line, default_recorded_by="fuzz")
    except InvalidEvent as refused:
        assert refused.errors and all(isinstance(m, list) and m for m in refused.errors.values())


@settings(max_examples=1500, deadline=None)
@given(json_values)
def test_any_json_value_is_an_event_or_refused_as_invalid(line: Any) -> None:
    _parse_or_refuse(line)


@settings(max_examples=3000, deadline=None)
@given(plausible_events)
def test_any_near_valid_event_is_an_event_or_refused_as_invalid(line: Any) -> None:
    _parse_or_refuse(line)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(plausible_events | json_values.map(json.dumps).map(lambda t: t[:40]),
                min_size=1, max_size=8))
def test_an_import_with_any_bad_line_writes_nothing(engine: Engine, lines: list[Any]) -> None:
    before = exported(engine)
    texts = [line if isinstance(line, str) else json.dumps(line) for line in lines]
    report = import_jsonl(engine, texts)
    after = exported(engine)
    if report.errors:
        assert after == before
        assert all(1 <= e.line <= len(texts) for e in report.errors)
    else:
        assert len(after) == len(before) + report.written
