"""A second, empty database on the same backend, for restoring backups into."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from casebook import create_app
from tests.test_casebook.conftest import make_token, make_user, signed_in  # noqa: F401


@pytest.fixture
def empty_database_url(new_database_url: Callable[..., str]) -> str:
    """Another fresh, migrated database with no events, beside `database_url`."""
    return new_database_url()


@pytest.fixture
def restored_app(empty_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on the empty database."""
    app = create_app({"TESTING": True, "DATABASE_URL": empty_database_url,
                      "SECRET_KEY": "test-restore-key"})
    app.instance_path = str(tmp_path / "restored-instance")
    yield app
    app.extensions["casebook.engine"].dispose()
