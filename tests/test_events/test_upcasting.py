"""Old versions of an event are read forever: version 1 referrals come back as version 2."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events.db import reading, writing
from events.model import stored_from_row
from events.quarters import Quarter
from events.store import get_event, read_events
from events.tables import cases, events
from events.types import event_type, upcast_referral_v1_v2
from projections.rebuild import rebuild
from tests.helpers import import_jsonl, summary

OLD_ID = str(uuid.UUID(int=1))


def _store_version_1_referral(engine: Engine, risk: str = "low") -> None:
    """A referral as version 1 of casebook wrote it, straight into the table."""
    occurred = datetime(2024, 5, 3, 9, 0, tzinfo=UTC)
    with writing(engine) as connection:
        connection.execute(sa.insert(events).values(
            event_id=OLD_ID, type="referral.received", version=1, scheme="davss",
            case_ref="DA-OLD", stream_version=1, occurred_at=occurred,
            local_date=date(2024, 5, 3), period=Quarter(2024, 1).index,
            recorded_at=occurred, recorded_by="old.system",
            data=json.dumps({"risk": risk, "gender": "female"}),
        ))
        connection.execute(sa.insert(cases).values(
            case_ref="DA-OLD", scheme="davss", version=1, opened_on=date(2024, 5, 3),
            last_occurred_at=occurred,
        ))


def test_upcasting_version_1_turns_low_risk_into_standard_and_leaves_the_rest() -> None:
    assert upcast_referral_v1_v2({"risk": "low", "gender": "male"}) == {
        "risk": "standard", "gender": "male"}
    assert upcast_referral_v1_v2({"risk": "high"}) == {"risk": "high"}
    assert upcast_referral_v1_v2({}) == {}


def test_a_version_newer_than_this_casebook_cannot_be_read() -> None:
    with pytest.raises(ValueError, match="newer than this casebook"):
        event_type("referral.received").upcast({}, from_version=3)


def test_a_stored_version_1_referral_reads_back_as_version_2_with_standard_risk(
    engine: Engine,
) -> None:
    _store_version_1_referral(engine)
    with reading(engine) as connection:
        row = connection.execute(sa.select(events).where(events.c.event_id == OLD_ID)).one()
        read = list(read_events(connection))
        fetched = get_event(connection, OLD_ID)
    assert row.version == 1 and json.loads(row.data)["risk"] == "low"
    for stored in (stored_from_row(row), read[0], fetched):
        assert stored is not None
        assert stored.version == 2
        assert stored.data == {"risk": "standard", "gender": "female"}
    exported = read[0].to_interchange()
    assert exported["data"]["risk"] == "standard"


def test_a_stored_version_1_referral_counts_under_standard(engine: Engine) -> None:
    _store_version_1_referral(engine)
    rebuild(engine)
    breakdown = summary(engine)["figures"]["davss.referrals"]["breakdown"]["risk"]
    assert breakdown == {"standard": 1, "not-recorded": 0}


def test_voiding_a_stored_version_1_referral_takes_it_off_standard(engine: Engine) -> None:
    _store_version_1_referral(engine)
    rebuild(engine)
    report = import_jsonl(engine, [{
        "type": "event.voided", "scheme": "davss", "occurred_at": "2024-06-01",
        "data": {"target": OLD_ID, "reason": "Duplicate"},
    }])
    assert report.errors == []
    figure = summary(engine)["figures"]["davss.referrals"]
    assert figure["value"] == 0
    assert figure["breakdown"]["risk"] == {"not-recorded": 0}


def test_an_exported_version_1_referral_is_a_duplicate_of_itself_on_import(engine: Engine) -> None:
    _store_version_1_referral(engine)
    with reading(engine) as connection:
        exported = [e.to_interchange() for e in read_events(connection)]
    report = import_jsonl(engine, exported)
    assert report.errors == [] and report.written == 0 and report.duplicates == [OLD_ID]


def test_an_import_line_of_version_1_is_upcast_before_it_is_stored(engine: Engine) -> None:
    line = {"type": "referral.received", "version": 1, "scheme": "davss", "case": "DA-IMP",
            "occurred_at": "2024-05-03", "data": {"risk": "low"}}
    report = import_jsonl(engine, [line])
    assert report.errors == []
    with reading(engine) as connection:
        row = connection.execute(sa.select(events).where(events.c.case_ref == "DA-IMP")).one()
    assert row.version == 2
    assert json.loads(row.data) == {"risk": "standard"}
    assert summary(engine)["figures"]["davss.referrals"]["breakdown"]["risk"]["standard"] == 1


def test_low_risk_is_not_a_word_of_version_2(engine: Engine) -> None:
    line = {"type": "referral.received", "scheme": "davss", "case": "DA-IMP",
            "occurred_at": "2024-05-03", "data": {"risk": "low"}}
    report = import_jsonl(engine, [line])
    assert [(e.line, e.field) for e in report.errors] == [(1, "data.risk")]
