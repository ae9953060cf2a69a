"""Missing partner returns and the reminder recorded once per quarter, on both databases."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events.db import reading
from events.quarters import Quarter
from projections.returns_due import missing_returns, record_reminder, return_reminders
from tests.helpers import event, log, void

Q1 = Quarter(2024, 1)


def idva_return(value: int, quarter: str = "2024/25 Q1") -> dict[str, object]:
    return event("return.submitted", "idva", "2024-07-03", indicator="people-supported",
                 quarter=quarter, value=value)


def test_a_return_for_another_quarter_or_a_voided_one_leaves_the_quarter_missing(
    engine: Engine,
) -> None:
    stored = log(engine, idva_return(80, quarter="2024/25 Q2"), idva_return(70))
    log(engine, void(stored[1]))
    with reading(engine) as connection:
        missing = missing_returns(connection, Q1)
    assert [(m["figure"], m["scheme"], m["indicator"], m["quarter"]) for m in missing] == [
        ("idva.supported", "idva", "people-supported", "2024/25 Q1")]
    log(engine, idva_return(81))
    with reading(engine) as connection:
        assert missing_returns(connection, Q1) == []


def test_the_reminder_list_is_recorded_once_per_quarter(engine: Engine) -> None:
    first, recorded = record_reminder(engine, Q1)
    assert recorded and [m["figure"] for m in first] == ["idva.supported"]
    again, recorded_again = record_reminder(engine, Q1)
    assert again == first and not recorded_again
    with reading(engine) as connection:
        rows = connection.execute(sa.select(return_reminders)).all()
    assert [(row.quarter, json.loads(row.missing)) for row in rows] == [("2024/25 Q1", first)]
