"""The store's driver SQL: schemes read fresh for every append, values stored as SQLAlchemy stores
them, and the driver's errors raised as SQLAlchemy raises them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events import statements
from events.db import make_engine, reading, writing
from events.driver import DriverSQL, Pending
from events.interchange import parse_event
from events.quarters import FinancialYear
from events.store import ANALYSE_FROM, EventsRefused, append, import_lines, read_events
from events.subjects import case_subjects, subject_keys
from events.tables import cases, event_voids, events, schemes
from projections import stored_rows
from projections.rebuild import project
from projections.summary import build_summary
from projections.tables import current_generation
from tests.bench.synth import synthetic_events
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


def _import_in_chunks(url: str, lines: list[str], chunk_size: int) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            transaction = connection.execution_options(casebook_write=True).begin()
            report = import_lines(connection, lines, default_recorded_by="importer",
                                  project=project, chunk_size=chunk_size)
            assert report.errors == []
            transaction.commit()
    finally:
        engine.dispose()


def _stored_state(url: str) -> dict[str, Any]:
    """Everything an import leaves, less what is random by design (keys, nonces, times of writing)."""
    engine = make_engine(url)
    try:
        with reading(engine) as connection:
            logged = [
                (e.position, e.event_id, e.type, e.scheme, e.case_ref, e.stream_version,
                 e.occurred_at, e.local_date, e.period, e.recorded_by, e.data, e.key_id is None)
                for e in read_events(connection)
            ]
            links = connection.execute(
                sa.select(case_subjects.c.case_ref, subject_keys.c.kind, subject_keys.c.lookup)
                .join(subject_keys, subject_keys.c.key_id == case_subjects.c.key_id)
                .order_by(case_subjects.c.case_ref, subject_keys.c.lookup)
            ).all()
            state = {
                "events": logged,
                "cases": connection.execute(sa.select(cases).order_by(cases.c.case_ref)).all(),
                # Reasons are sealed with random nonces; the void events above carry them opened.
                "voids": connection.execute(
                    sa.select(event_voids.c.target_id, event_voids.c.void_id)
                    .order_by(event_voids.c.target_id)).all(),
                "keys": connection.execute(
                    sa.select(subject_keys.c.kind, subject_keys.c.lookup)
                    .order_by(subject_keys.c.lookup)).all(),
                "links": links,
                "summary": build_summary(connection, FinancialYear.parse("2023/24"), None),
            }
    finally:
        engine.dispose()
    state["summary"].pop("as_of")
    return state


def test_a_bulk_import_stores_what_one_small_chunk_at_a_time_stores(
    new_database_url: Callable[..., str],
) -> None:
    # 1,000 lines in one chunk go by COPY on PostgreSQL; chunks of 10 go row by row, in a
    # pipeline. Cases, subjects, notices and voids: everything the store writes.
    lines = [json.dumps(line) for line in synthetic_events(1000)]
    bulk, small = new_database_url(), new_database_url()
    _import_in_chunks(bulk, lines, chunk_size=1000)
    _import_in_chunks(small, lines, chunk_size=10)
    expected, stored = _stored_state(small), _stored_state(bulk)
    assert len(stored["events"]) == 1000 and stored["voids"] and stored["links"]
    assert stored == expected


class _Recording(DriverSQL):
    """The driver, keeping the SQL it sends."""

    def __init__(self, connection: sa.Connection):
        super().__init__(connection)
        self.sent: list[tuple[str, list[Any]]] = []

    def send(self, sql: str, params: Sequence[Any] = ()) -> Pending:
        self.sent.append((sql, list(params)))
        return super().send(sql, params)


def test_lookups_are_planned_for_the_log_as_it_is_now(engine: Engine, backend: str) -> None:
    # The rules' look-back at a case must read that case's events, not every notice in the
    # log; on PostgreSQL no statement may keep a plan made for the tables as they once were.
    # Either would make an import slower with every event before it.
    with writing(engine) as connection:
        if backend == "postgresql":
            setting = connection.exec_driver_sql("SHOW plan_cache_mode").scalar_one()
            assert setting == "force_custom_plan"
            return
        driver = _Recording(connection)
        statements.histories(driver, [f"ASB-{n}" for n in range(200)])()
        (sql, params), = driver.sent
        plan = " ".join(
            str(row[-1]) for row in
            connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, tuple(params))
        )
    assert "ix_events_type" not in plan
    # References are case-insensitive: a case's events are found by upper(case_ref).
    assert "ix_events_case_ref_upper (<expr>=?)" in plan, plan


def test_the_projections_read_referrals_and_returns_through_their_own_indexes(
    engine: Engine, backend: str
) -> None:
    # Each read names (figure, subject) or (figure, period) pairs. Searching by the figure
    # alone reads every referral of the figure for every pair: quadratic in a large import.
    log(engine, referral(case="DA-1", subject="S-1"), referral(case="DA-2", subject="S-1"))
    with writing(engine) as connection:
        tables = current_generation(connection)[0]  # type: ignore[index]
        figure_id, subject = connection.execute(
            sa.select(tables.referrals.c.figure_id, tables.referrals.c.subject)).first()
        driver = _Recording(connection)
        found = stored_rows.read_referrals(
            driver, tables.referrals, [(figure_id, subject), (figure_id, "nobody")])
        stored_rows.read_returns(driver, tables.returns, [("idva-cases", 20241), ("x", 1)])
        assert len(found[(figure_id, subject)]) == 2
        if backend == "postgresql":
            return
        for (sql, params), index in zip(driver.sent, ["subject", "period"], strict=True):
            plan = " ".join(
                str(row[-1]) for row in
                connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, tuple(params))
            )
            assert f"_{index} (figure_id=? AND {index}=?)" in plan, plan


def test_a_large_import_refreshes_postgresqls_statistics_as_it_goes(
    engine: Engine, backend: str
) -> None:
    # Planned without statistics, the lookups scan whole tables for every chunk (see
    # events.store._Statistics). SQLite's plans are the ones it makes without any.
    lines = [json.dumps(line) for line in synthetic_events(ANALYSE_FROM * 2 + 500)]
    with engine.connect() as connection:
        transaction = connection.execution_options(casebook_write=True).begin()
        report = import_lines(connection, lines, default_recorded_by="importer", project=project)
        assert report.errors == []
        if backend == "postgresql":
            estimated = connection.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE relname = 'events'").scalar_one()
            assert estimated >= ANALYSE_FROM * 2 - 1000
        else:
            stats = connection.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").scalar_one()
            assert stats == 0
        transaction.commit()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_options_in_a_postgresql_url_are_kept_beside_casebooks_own(database_url: str) -> None:
    url = sa.make_url(database_url).update_query_dict({"options": "-c statement_timeout=12345"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with engine.connect() as connection:
            timeout = connection.exec_driver_sql("SHOW statement_timeout").scalar_one()
            plans = connection.exec_driver_sql("SHOW plan_cache_mode").scalar_one()
    finally:
        engine.dispose()
    assert (timeout, plans) == ("12345ms", "force_custom_plan")


@pytest.fixture
def rounds(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The driver SQL sent from now on, one list per round: each outermost pipeline is one round
    (one round trip on PostgreSQL), and so is each statement sent outside a pipeline."""
    sent: list[list[str]] = []
    depth = [0]
    real = {name: getattr(DriverSQL, name) for name in ("send", "execute", "executemany")}
    real_pipeline = DriverSQL.pipeline

    @contextmanager
    def pipeline(self: DriverSQL) -> Iterator[None]:
        depth[0] += 1
        if depth[0] == 1:
            sent.append([])
        try:
            with real_pipeline(self):
                yield
        finally:
            depth[0] -= 1

    def recording(name: str) -> Callable[..., Any]:
        def record(self: DriverSQL, sql: str, *args: Any) -> Any:
            if not depth[0]:
                sent.append([])
            sent[-1].append(sql)
            return real[name](self, sql, *args)
        return record

    monkeypatch.setattr(DriverSQL, "pipeline", pipeline)
    for name in real:
        monkeypatch.setattr(DriverSQL, name, recording(name))
    return sent


def test_a_known_subjects_key_is_read_with_the_appends_lookups_and_the_secret_once(
    engine: Engine, request: pytest.FixtureRequest
) -> None:
    """The key secret never changes, so a connection reads it once; after that a subject's key
    is looked up in the same pipeline as the rules' lookups (one round trip on PostgreSQL)."""
    log(engine, referral(case="DA-1", subject="S-1"))
    rounds: list[list[str]] = request.getfixturevalue("rounds")
    stored, = log(engine, referral(case="DA-2", subject="S-1"))

    sent = [sql for round_ in rounds for sql in round_]
    assert not [sql for sql in sent if "subject_key_secret" in sql]
    lookups = next(r for r in rounds if any("SELECT event_id FROM events" in sql for sql in r))
    assert any("FROM subject_keys WHERE" in sql for sql in lookups), rounds
    with reading(engine) as connection:
        keys = connection.execute(sa.select(sa.func.count()).select_from(subject_keys)).scalar()
        first_key = connection.execute(
            sa.select(events.c.key_id).where(events.c.case_ref == "DA-1")).scalar()
    assert keys == 1 and stored.key_id == first_key


def test_the_projections_figures_and_activity_are_written_in_one_round(
    engine: Engine, rounds: list[list[str]]
) -> None:
    log(engine, _engagement())
    last = rounds[-1]
    assert any("INSERT INTO \"fig_totals_g" in sql for sql in last), rounds
    assert any("INSERT INTO \"scheme_activity_g" in sql for sql in last), rounds
