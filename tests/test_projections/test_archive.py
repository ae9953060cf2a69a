"""Stored summaries on both databases: versions, restatement, immutability and catch-up."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events.db import make_engine, reading, writing
from events.quarters import FinancialYear, Quarter
from projections.archive import (
    SCHEDULED,
    archive_metadata,
    by_hand,
    generate,
    get_summary,
    list_summaries,
    previous_version,
    stored_summaries,
)
from projections.due import due_periods, run_due
from projections.restatement import restatement
from projections.returns_due import return_reminders  # noqa: F401  (declares its table)
from tests.helpers import event, log, referral, summary, void

Q1 = Quarter(2024, 1)


def test_a_stored_summary_holds_the_summary_json_and_its_history(engine: Engine) -> None:
    log(engine, referral(occurred_at="2024-05-03"), referral(occurred_at="2023-05-03"))
    stored = generate(engine, Q1, by_hand("manager"), only_if_missing=False)
    assert stored is not None and stored.version == 1 and stored.reason == "by hand: manager"
    document = stored.document
    live = summary(engine, quarter="Q1")
    assert {k: document[k] for k in ("year", "period", "as_of")} == {
        k: live[k] for k in ("year", "period", "as_of")}
    assert document["figures"]["davss.referrals"]["value"] == 1
    assert document["figures"]["davss.referrals"]["previous"] == 1
    history = document["history"]
    assert history["quarters"][0] == "2022/23 Q2" and history["quarters"][-1] == "2024/25 Q1"
    assert history["figures"]["davss.referrals"] == [0, 0, 0, 1, 0, 0, 0, 1]
    assert stored.as_of is not None and stored.as_of.isoformat() == document["as_of"]


def test_regenerating_after_a_late_event_restates_exactly_and_leaves_the_first_version(
    engine: Engine,
) -> None:
    first_events = log(engine, *[referral(occurred_at="2024-05-03") for _ in range(3)])
    first = generate(engine, Q1, SCHEDULED, only_if_missing=True)
    assert first is not None
    with reading(engine) as connection:
        stored_text = connection.execute(
            sa.select(stored_summaries.c.document).where(stored_summaries.c.id == first.id)
        ).scalar_one()

    late = log(engine, referral(occurred_at="2024-06-30T23:30:00+01:00"),
               referral(occurred_at="2024-07-02"),
               void(first_events[0]))
    second = generate(engine, Q1, by_hand("manager"), only_if_missing=False)
    assert second is not None and second.version == 2

    with reading(engine) as connection:
        again = get_summary(connection, first.id)
        assert previous_version(connection, second) == again
        restated = restatement(connection, second, again)
    assert again is not None and again.document_text == stored_text == first.document_text
    assert restated is not None
    changes = {c["figure"]: (c["old"], c["new"]) for c in restated["changes"]}
    assert changes == {}  # one late referral and one void: the count is unchanged
    listed = [(e["event_id"], e["voids"]) for e in restated["late_events"]]
    assert listed == [(late[0].event_id, None), (late[2].event_id, first_events[0].event_id)]


def test_a_late_referral_shows_as_old_to_new_with_the_event_behind_it(engine: Engine) -> None:
    log(engine, *[referral(occurred_at="2024-04-10") for _ in range(95)])
    first = generate(engine, Q1, SCHEDULED, only_if_missing=True)
    late = log(engine, referral(occurred_at="2024-06-01"), referral(occurred_at="2024-06-02"))
    second = generate(engine, Q1, by_hand("manager"), only_if_missing=False)
    assert first is not None and second is not None
    with reading(engine) as connection:
        restated = restatement(connection, second, first)
    assert restated is not None
    davss = [c for c in restated["changes"] if c["figure"] == "davss.referrals"]
    assert davss == [{
        "figure": "davss.referrals",
        "label": first.document["figures"]["davss.referrals"]["label"],
        "old": 95, "new": 97,
        "text": f"{first.document['figures']['davss.referrals']['label']} Q1 95 → 97",
    }]
    assert [e["event_id"] for e in restated["late_events"]] == [e.event_id for e in late]


def test_a_late_partner_return_counts_in_the_quarter_it_names(engine: Engine) -> None:
    log(engine, event("return.submitted", "idva", "2024-07-03", indicator="people-supported",
                      quarter="2024/25 Q1", value=80))
    first = generate(engine, Q1, SCHEDULED, only_if_missing=True)
    late = log(engine, event("return.submitted", "idva", "2024-08-20",
                             indicator="people-supported", quarter="2024/25 Q1", value=84))
    second = generate(engine, Q1, by_hand("idva"), only_if_missing=False)
    with reading(engine) as connection:
        assert second is not None
        restated = restatement(connection, second, first)
    assert restated is not None
    assert [(c["figure"], c["old"], c["new"]) for c in restated["changes"]] == [
        ("idva.supported", 80, 84)]
    assert [e["event_id"] for e in restated["late_events"]] == [late[0].event_id]


def test_the_database_refuses_to_change_or_delete_a_stored_summary(engine: Engine) -> None:
    log(engine, referral())
    stored = generate(engine, Q1, SCHEDULED, only_if_missing=True)
    assert stored is not None
    for statement in (
        sa.update(stored_summaries).values(document="{}"),
        sa.delete(stored_summaries),
    ):
        with pytest.raises(sa.exc.DatabaseError, match="immutable"):
            with writing(engine) as connection:
                connection.execute(statement)
    with reading(engine) as connection:
        assert get_summary(connection, stored.id) == stored


def test_automatic_generation_stores_a_first_version_only(engine: Engine) -> None:
    log(engine, referral())
    assert generate(engine, Q1, SCHEDULED, only_if_missing=True) is not None
    assert generate(engine, Q1, SCHEDULED, only_if_missing=True) is None
    by_hand_version = generate(engine, Q1, by_hand("a"), only_if_missing=False)
    assert by_hand_version is not None and by_hand_version.version == 2


def test_catch_up_after_an_outage_of_two_quarters_generates_both_and_only_those(
    engine: Engine,
) -> None:
    log(engine, *(referral(occurred_at=day) for day in
                  ("2024-05-03", "2024-08-03", "2024-11-03", "2025-02-03")))
    first = run_due(engine, datetime(2024, 7, 1, 1, 0, tzinfo=UTC))
    assert [(s.year, s.quarter) for s in first] == [("2024/25", "Q1")]
    after_outage = run_due(engine, datetime(2025, 1, 1, 2, 0, tzinfo=UTC))
    assert [(s.year, s.quarter) for s in after_outage] == [("2024/25", "Q2"), ("2024/25", "Q3")]
    assert run_due(engine, datetime(2025, 1, 1, 2, 0, tzinfo=UTC)) == []
    with reading(engine) as connection:
        assert len(list_summaries(connection)) == 3


def test_the_year_is_due_after_its_fourth_quarter_and_quarters_without_events_are_not(
    engine: Engine,
) -> None:
    log(engine, referral(occurred_at="2024-05-03"), referral(occurred_at="2025-03-03"))
    with reading(engine) as connection:
        in_march = due_periods(connection, datetime(2025, 3, 31, 22, 0, tzinfo=UTC))
        # 1 April 01:59 in London (BST) is before the scheduled run; 02:00 is when Q4 is due.
        before_the_job = due_periods(connection, datetime(2025, 4, 1, 0, 59, tzinfo=UTC))
        at_the_job = due_periods(connection, datetime(2025, 4, 1, 1, 0, tzinfo=UTC))
    assert in_march == before_the_job == [Q1]
    assert at_the_job == [Q1, Quarter(2024, 4), FinancialYear(2024)]


def test_racing_generators_store_one_automatic_summary_and_distinct_versions_by_hand(
    engine: Engine, database_url: str
) -> None:
    log(engine, *[referral(occurred_at="2024-05-03") for _ in range(5)])
    engines = [make_engine(database_url) for _ in range(3)]
    start = threading.Barrier(len(engines))
    results: dict[str, list[object]] = {"auto": [], "hand": []}

    def race(own: Engine, kind: str) -> None:
        start.wait()
        results[kind].append(generate(own, Q1, SCHEDULED if kind == "auto" else by_hand("a"),
                                      only_if_missing=kind == "auto"))

    try:
        for kind in ("auto", "hand"):
            threads = [threading.Thread(target=race, args=(own, kind)) for own in engines]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        for own in engines:
            own.dispose()
    assert len([r for r in results["auto"] if r is not None]) == 1
    with reading(engine) as connection:
        stored = list_summaries(connection)
    assert sorted((s.version, s.reason) for s in stored) == [
        (1, "scheduled"), (2, "by hand: a"), (3, "by hand: a"), (4, "by hand: a")]


def test_the_archive_tables_declared_in_code_match_the_migrated_database(engine: Engine) -> None:
    inspector = sa.inspect(engine)
    for table in archive_metadata.sorted_tables:
        migrated = {column["name"]: column for column in inspector.get_columns(table.name)}
        assert set(migrated) == {column.name for column in table.columns}, table.name
        for column in table.columns:
            assert migrated[column.name]["nullable"] == column.nullable, (table.name, column.name)
    assert {"stored_summaries", "return_reminders"} <= set(archive_metadata.tables)
    assert "apscheduler_jobs" in inspector.get_table_names()
