"""The store's driver SQL: schemes read fresh for every append, values stored as SQLAlchemy stores
them, and the driver's errors raised as SQLAlchemy raises them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events import statements
from events.db import reading, writing
from events.driver import DriverSQL
from events.interchange import parse_event
from events.store import EventsRefused, append
from events.subjects import case_subjects, subject_keys
from events.tables import cases, event_voids, events, schemes
from projections.rebuild import project
from tests.helpers import event, log, referral, void


def _engagement(scheme: str = "kenward-trust") -> dict[str, Any]:
    return event("engagement.recorded", scheme, "2024-05-03", kind="outreach", people=3,
                 location="market")


def _set_retired(engine: Engine, scheme_id: str, retired: bool) -> None:
    with writing(engine) as connection:
        connection.execute(
            sa.update(schemes).where(schemes.c.scheme_id == scheme_id)
            .values(retired_at=datetime(2024, 6, 1, tzinfo=UTC) if retired else None)
        )


def test_a_scheme_retired_between_two_appends_is_refused_on_the_second(engine: Engine) -> None:
    log(engine, _engagement())
    _set_retired(engine, "kenward-trust", True)
    with pytest.raises(EventsRefused, match="retired"):
        log(engine, _engagement())
    _set_retired(engine, "kenward-trust", False)
    assert len(log(engine, _engagement())) == 1


def test_a_scheme_added_while_the_app_runs_takes_events_at_once(engine: Engine) -> None:
    with pytest.raises(EventsRefused, match="no scheme"):
        log(engine, _engagement("night-marshals"))
    with writing(engine) as connection:
        connection.execute(sa.insert(schemes).values(
            scheme_id="night-marshals", name="Night marshals", lead="Council", priority="ASB"))
    assert len(log(engine, _engagement("night-marshals"))) == 1


def test_rows_are_stored_as_sqlalchemy_stores_them(engine: Engine, backend: str) -> None:
    first, = log(engine, referral(case="DA-FMT", occurred_at="2024-05-03T09:30:00+01:00",
                                  subject="S-FMT", risk="high"))
    later, = log(engine, referral(case="DA-FMT", occurred_at="2024-07-04T10:15:00.250000Z",
                                  subject="S-FMT", risk="medium"))
    log(engine, void(first))
    with reading(engine) as connection:
        stored = connection.execute(
            sa.select(events.c.occurred_at, events.c.local_date, events.c.recorded_at)
            .where(events.c.event_id == later.event_id)
        ).one()
        case = connection.execute(sa.select(cases).where(cases.c.case_ref == "DA-FMT")).one()
        key = connection.execute(sa.select(subject_keys)).one()
        link = connection.execute(sa.select(case_subjects)).one()
        voided = connection.execute(sa.select(event_voids.c.target_id)).scalar_one()
        raw = connection.exec_driver_sql(
            "SELECT occurred_at, local_date FROM events WHERE event_id = "
            + ("?" if backend == "sqlite" else "%s"), (later.event_id,)
        ).one()
    assert stored.occurred_at == datetime(2024, 7, 4, 10, 15, 0, 250000, tzinfo=UTC)
    assert stored.local_date == date(2024, 7, 4)
    assert stored.recorded_at == later.recorded_at
    assert (case.version, case.opened_on) == (2, date(2024, 5, 3))
    assert case.last_occurred_at == stored.occurred_at
    assert key.kind == "subject" and key.created_at.tzinfo is not None and len(key.key) == 32
    assert (link.case_ref, link.key_id) == ("DA-FMT", key.key_id)
    assert voided == first.event_id
    if backend == "sqlite":
        assert raw == ("2024-07-04 10:15:00.250000", "2024-07-04")


def test_a_later_event_never_moves_a_case_back_in_time(engine: Engine) -> None:
    latest, = log(engine, referral(case="DA-ORDER", occurred_at="2024-07-04", subject="S-O",
                                   risk="high"))
    log(engine, referral(case="DA-ORDER", occurred_at="2024-05-03", subject="S-O", risk="high"))
    with reading(engine) as connection:
        case = connection.execute(sa.select(cases).where(cases.c.case_ref == "DA-ORDER")).one()
    assert case.version == 2
    assert case.last_occurred_at == latest.occurred_at


def test_driver_errors_are_raised_as_sqlalchemy_raises_them(engine: Engine) -> None:
    stored, = log(engine, _engagement())
    row = {"target_id": stored.event_id, "void_id": "not-a-real-void", "reason": "twice"}
    with pytest.raises(sa.exc.IntegrityError), writing(engine) as connection:
        driver = DriverSQL(connection)
        statements.insert_voids(driver, [row])
        with driver.pipeline():
            statements.insert_voids(driver, [{**row, "void_id": "another"}])


def test_an_append_on_a_connection_not_yet_begun_commits_only_with_it(engine: Engine) -> None:
    line = _engagement()
    with engine.connect() as connection:
        append(connection, [parse_event(line, default_recorded_by="t")], project=project)
        assert connection.in_transaction()
        connection.rollback()
    with reading(engine) as connection:
        stored = connection.execute(
            sa.select(sa.func.count()).select_from(events).where(events.c.event_id == line["id"])
        ).scalar_one()
    assert stored == 0
