"""Vocabulary values and the events that carry them, generated from the event schemas, and a
plan adoption that adds values (spec §8)."""

from __future__ import annotations

from typing import Any

from marshmallow import fields
from sqlalchemy.engine import Engine

from casebook.database import default_schemes
from events.clock import utc_now
from events.db import writing
from events.quarters import FinancialYear
from events.types import EVENT_TYPES, CasePolicy
from projections.adopt import adopt
from projections.catalogue import load_plans
from projections.plan import default_plan_files, plan_from_file
from projections.plan_check import read_plan
from tests.helpers import event

#: A value no schema has, for every vocabulary field, and the label a plan gives it.
NEW_VALUE = "closure-order"
NEW_LABEL = "Closure order"
#: The plan year adopted in these tests; its vocabulary is valid for events of any year.
YEAR = "2024/25"


def vocabulary_fields() -> list[tuple[str, str]]:
    """(event type, field) of every schema field that takes values a plan may add."""
    return [(type_name, name) for type_name, known in EVENT_TYPES.items()
            for name, schema_field in known.schema().fields.items()
            if schema_field.metadata.get("vocabulary")]


def scheme_logging(type_name: str, year: str = YEAR) -> str:
    """The first scheme (by id) whose default plan logs `type_name`."""
    plan = next(plan_from_file(document) for document in default_plan_files()
                if document["year"] == year)
    return next(scheme for scheme, types in sorted(plan.logged_types().items())
                if type_name in types)


def _sample(schema_field: fields.Field) -> Any:
    if isinstance(schema_field, fields.Boolean):
        return True
    if isinstance(schema_field, fields.Integer):
        return 1
    if isinstance(schema_field, fields.List):
        return ["X-1"]
    choices = schema_field.metadata.get("choices")
    return next(iter(choices)) if choices else "X-1"


def carrying(type_name: str, field_name: str, value: str, case: str = "V-1") -> dict[str, Any]:
    """An event of `type_name`, in a scheme that logs it, whose `field_name` is `value`; its
    other required fields filled with values the schema accepts."""
    known = EVENT_TYPES[type_name]
    data = {name: _sample(schema_field) for name, schema_field in known.schema().fields.items()
            if schema_field.required}
    data[field_name] = value
    with_case = case if known.case is CasePolicy.REQUIRED else None
    return event(type_name, scheme_logging(type_name), "2024-05-03", with_case, **data)


def adopt_words(engine: Engine, *words: tuple[str, str, str], year: str = YEAR) -> int:
    """Adopt a new version of `year`'s plan adding these (field, value, label) to its
    vocabulary, through the check and adoption `casebook plan adopt` uses; the version."""
    with writing(engine) as connection:
        plans = load_plans(connection)
        document = plans.for_year(FinancialYear.parse(year)).plan.as_file()
        document["year"] = year
        document["vocabulary"] = [*document.get("vocabulary", []),
                                  *({"field": f, "value": v, "label": label}
                                    for f, v, label in words)]
        checked = read_plan(document, schemes=[s["id"] for s in default_schemes()],
                            adopted=plans.vocabulary)
        assert checked.plan is not None, [str(p) for p in checked.problems]
        return adopt(connection, checked.plan, by="tests", reason="new kinds of notice",
                     now=utc_now())


def adopt_everywhere(engine: Engine) -> None:
    """Adopt `NEW_VALUE` in every vocabulary field."""
    names = sorted({name for _, name in vocabulary_fields()})
    adopt_words(engine, *((name, NEW_VALUE, NEW_LABEL) for name in names))
