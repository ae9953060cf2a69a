"""PostgreSQL with two roles: the schema's owner migrates and rebuilds; the role the app serves
with reads, appends, imports and erases, and cannot change, disable or drop what protects the log."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy.engine import Engine

from casebook import create_app
from casebook.services.erasure import erase_subject
from events.db import make_engine, writing
from tests.helpers import POSTGRES_ADMIN_URL, import_jsonl, log, referral, void
from tests.test_casebook.conftest import MakeUser, sign_in

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

PROTECTED = ("events", "event_voids", "stored_summaries", "access_log")


@pytest.fixture
def runtime_role(database_url: str) -> Iterator[str]:
    """A login role of its own for this test, with no rights yet; dropped afterwards."""
    name = f"casebook_runtime_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE ROLE "{name}" LOGIN')
    yield name
    owner = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as connection:
        # Its rights and default rights in the test's database go first, then the role itself.
        connection.exec_driver_sql(f'DROP OWNED BY "{name}"')
    owner.dispose()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP ROLE "{name}"')
    admin.dispose()


@pytest.fixture
def runtime_url(database_url: str, runtime_role: str, runner: FlaskCliRunner) -> str:
    """The test's database as the runtime role sees it, after `casebook grant-runtime`."""
    result = runner.invoke(args=["casebook", "grant-runtime", runtime_role])
    assert result.exit_code == 0, result.output
    assert runtime_role in result.output
    return sa.make_url(database_url).set(username=runtime_role).render_as_string(
        hide_password=False)


@pytest.fixture
def runtime_app(runtime_url: str, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app serving as the runtime role, migrating and rebuilding as the owner."""
    app = create_app({"TESTING": True, "DATABASE_URL": runtime_url,
                      "MIGRATION_DATABASE_URL": database_url, "SECRET_KEY": "runtime-test"})
    app.instance_path = str(tmp_path / "runtime-instance")
    yield app
    app.extensions["casebook.engine"].dispose()


@pytest.fixture
def runtime_engine(runtime_url: str) -> Iterator[Engine]:
    engine = make_engine(runtime_url)
    yield engine
    engine.dispose()


def test_the_runtime_role_serves_pages_appends_imports_and_erases(
    runtime_app: Flask, runtime_engine: Engine, make_user: MakeUser
) -> None:
    officer = make_user("officer")
    client = runtime_app.test_client()
    assert sign_in(client, officer.username, officer.password).status_code == 302
    assert client.get("/dashboard").status_code == 200
    first, = log(runtime_engine, referral(case="DA-RT-1", subject="S-RT", risk="high"))
    log(runtime_engine, void(first, reason="Logged against the wrong case"))
    report = import_jsonl(runtime_engine, [referral(case=f"DA-RT-{n}", subject="S-RT")
                                           for n in range(2, 70)])
    assert report.errors == [] and report.written == 68
    with writing(runtime_engine) as connection:
        erase_subject(connection, "S-RT", erased_by="dpo")
    page = client.get("/events")
    assert page.status_code == 200
    with runtime_engine.connect() as connection:
        user = connection.exec_driver_sql("SELECT current_user").scalar_one()
        stored = connection.exec_driver_sql("SELECT count(*) FROM events").scalar_one()
    assert user != "postgres" and stored == 71


def test_rebuild_runs_as_the_owner_and_the_runtime_role_can_write_the_new_tables(
    runtime_app: Flask, runtime_engine: Engine
) -> None:
    log(runtime_engine, referral(case="DA-RB-1"))
    result = runtime_app.test_cli_runner().invoke(args=["casebook", "rebuild"])
    assert result.exit_code == 0, result.output
    log(runtime_engine, referral(case="DA-RB-2"))
    verified = runtime_app.test_cli_runner().invoke(args=["casebook", "verify"])
    assert verified.exit_code == 0, verified.output


def _forbidden(table: str) -> list[str]:
    return [
        f"ALTER TABLE {table} DISABLE TRIGGER ALL",
        f"ALTER TABLE {table} DISABLE TRIGGER USER",
        f"UPDATE {table} SET {'recorded_by' if table == 'events' else 'reason'} = 'x'"
        if table in ("events", "event_voids", "stored_summaries")
        else f"UPDATE {table} SET target = 'x'",
        f"DELETE FROM {table}",
        f"TRUNCATE {table}",
        f"DROP TABLE {table} CASCADE",
        f"CREATE TRIGGER sneaky BEFORE INSERT ON {table} FOR EACH ROW "
        "EXECUTE FUNCTION casebook_refuse_change()",
    ]


def test_the_runtime_role_cannot_change_disable_or_drop_what_protects_the_log(
    runtime_engine: Engine, engine: Engine
) -> None:
    log(engine, referral(case="DA-P-1"))
    with engine.connect() as connection:
        triggers = connection.exec_driver_sql(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal"
            " ORDER BY 1, 2").all()
        before = connection.exec_driver_sql("SELECT * FROM events ORDER BY position").all()
    assert {table for table, _ in triggers} >= set(PROTECTED)
    statements = [s for table in PROTECTED for s in _forbidden(table)]
    statements += [f"DROP TRIGGER {name} ON {table}" for table, name in triggers]
    statements += ["DROP FUNCTION casebook_refuse_change() CASCADE"]
    for statement in statements:
        with pytest.raises(sa.exc.DBAPIError, match="permission denied|must be owner"):
            with runtime_engine.begin() as connection:
                connection.exec_driver_sql(statement)
    with engine.connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal"
            " ORDER BY 1, 2").all() == triggers
        assert connection.exec_driver_sql("SELECT * FROM events ORDER BY position").all() == before
