"""The event id is the idempotency key, however the id and the time were written."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from events.db import reading
from events.store import read_events
from tests.helpers import event, import_jsonl, log, referral, value


def _stored(engine: Engine) -> list[dict[str, Any]]:
    with reading(engine) as connection:
        return [e.to_interchange() for e in read_events(connection)]


def test_a_line_with_a_fractional_second_is_a_duplicate_of_itself(engine: Engine) -> None:
    line = referral(occurred_at="2024-06-01T10:00:00.123456+01:00")
    assert import_jsonl(engine, [line]).written == 1
    again = import_jsonl(engine, [line])
    assert again.errors == [] and again.duplicates == [line["id"]]


def test_the_same_moment_written_with_another_offset_is_the_same_content(engine: Engine) -> None:
    line = referral(occurred_at="2024-06-01T10:00:00+01:00")
    import_jsonl(engine, [line])
    again = import_jsonl(engine, [{**line, "occurred_at": "2024-06-01T09:00:00Z"}])
    assert again.errors == [] and again.duplicates == [line["id"]]


def test_an_id_in_capitals_is_the_same_id(engine: Engine) -> None:
    line = referral()
    import_jsonl(engine, [line])
    again = import_jsonl(engine, [{**line, "id": line["id"].upper()}])
    assert again.errors == [] and again.duplicates == [line["id"]]


def test_a_void_naming_its_target_in_capitals_voids_it(engine: Engine) -> None:
    (stored,) = log(engine, referral())
    report = import_jsonl(engine, [event("event.voided", "davss", "2024-06-01",
                                         target=stored.event_id.upper(), reason="Typo")])
    assert report.errors == []
    assert value(engine, "davss.referrals") == 0


def test_two_identical_lines_in_one_file_store_one_event(engine: Engine) -> None:
    line = referral()
    report = import_jsonl(engine, [line, line])
    assert report.errors == [] and report.written == 1 and report.duplicates == [line["id"]]
    assert len(_stored(engine)) == 1
