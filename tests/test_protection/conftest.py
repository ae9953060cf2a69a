"""A second, empty database on the same backend, for restoring backups into."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from casebook import create_app
from tests.conftest import POSTGRES_ADMIN_URL, RUN_ID, _admin_engine, _with_database
from tests.test_casebook.conftest import make_token, make_user, signed_in  # noqa: F401


@pytest.fixture
def empty_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Another fresh, migrated database with no events, beside `database_url`."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "restored.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"casebook_restore_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield _with_database(POSTGRES_ADMIN_URL, name)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def restored_app(empty_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on the empty database."""
    app = create_app({"TESTING": True, "DATABASE_URL": empty_database_url,
                      "SECRET_KEY": "test-restore-key"})
    app.instance_path = str(tmp_path / "restored-instance")
    yield app
    app.extensions["casebook.engine"].dispose()
