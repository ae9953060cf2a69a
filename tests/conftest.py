"""Shared fixtures: every storage test runs on a SQLite file and on the PostgreSQL server.

Each test gets a database of its own, copied from a template migrated once per run; the
PostgreSQL databases are created and dropped here. PostgreSQL being unreachable fails the run.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import Engine

from casebook import create_app
from events.db import make_engine
from tests.helpers import POSTGRES_ADMIN_URL, prepare_database

#: The browser fixtures, defined once for the whole run (one Chromium per run).
pytest_plugins = ["tests.browser"]

BACKENDS = ["sqlite", "postgresql"]
RUN_ID = uuid.uuid4().hex[:8]


def _admin_engine() -> Engine:
    return sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _with_database(url: str, name: str) -> str:
    return sa.make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated PostgreSQL database that each test's database is copied from."""
    admin = _admin_engine()
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL is required for the tests and is not reachable at "
                    f"{POSTGRES_ADMIN_URL}: {error}")
    name = f"casebook_tmpl_{RUN_ID}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    prepare_database(_with_database(POSTGRES_ADMIN_URL, name))
    yield name
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test's database is copied from."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    prepare_database(f"sqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind under test: "sqlite" or "postgresql"."""
    return str(request.param)


@pytest.fixture
def new_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., str]]:
    """Makes further fresh databases of the backend under test (dropped when the test ends)."""
    made: list[str] = []

    def make(empty: bool = False) -> str:
        """A migrated database with the defaults; with `empty`, one with no tables at all."""
        if backend == "sqlite":
            path = tmp_path / f"extra-{uuid.uuid4().hex[:8]}.sqlite3"
            if not empty:
                shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            return f"sqlite:///{path}"
        template = "" if empty else f' TEMPLATE "{request.getfixturevalue("postgres_template")}"'
        name = f"casebook_test_{RUN_ID}_{uuid.uuid4().hex[:8]}"
        admin = _admin_engine()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"{template}')
        admin.dispose()
        made.append(name)
        return _with_database(POSTGRES_ADMIN_URL, name)

    yield make
    if made:
        admin = _admin_engine()
        with admin.connect() as connection:
            for name in made:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def database_url(new_database_url: Callable[..., str]) -> str:
    """A fresh, migrated database with the default schemes and figures, for this test only."""
    return new_database_url()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        # scrypt costs about half a second a user on these machines; the tests make hundreds.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })
    app.instance_path = str(tmp_path / "instance")
    yield app
    app.extensions["casebook.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def _on_postgresql_though_sqlite_only(item: Any) -> bool:
    callspec = getattr(item, "callspec", None)
    return (item.get_closest_marker("sqlite_only") is not None and callspec is not None
            and callspec.params.get("backend") == "postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[Any]) -> None:
    """Page and permission tests (marked `sqlite_only`) run on SQLite alone; then the quick tests
    run first, the browser journeys and long properties last."""
    left_out = [item for item in items if _on_postgresql_though_sqlite_only(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not _on_postgresql_though_sqlite_only(item)]
    items.sort(key=lambda item: (item.get_closest_marker("browser") is not None,
                                 item.get_closest_marker("slow") is not None))
