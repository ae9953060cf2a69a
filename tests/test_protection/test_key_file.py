"""CASEBOOK_KEY_FILE: with a key file kept outside the database, the subject keys and the lookup
secret are stored wrapped, so a copy of the database alone opens no personal field."""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from sqlalchemy.engine import Engine

from events.db import make_engine, reading
from events.keyfile import KEY_FILE, KeyFileError, unwrap
from events.subjects import find_subject
from tests.helpers import event, log, referral, void
from tests.test_protection.erasure_support import database_bytes, key_forms, subject_keys
from tests.test_protection.support import exported

TEXTS = ["S-LOCKED-2231", "an outcome behind the key file", "a reason behind the key file"]


def _history(engine: Engine) -> None:
    first = log(engine,
                referral(subject="S-LOCKED-2231", case="DA-1", occurred_at="2024-04-02"),
                event("case.closed", "davss", "2024-05-01", "DA-1",
                      outcome="an outcome behind the key file"))
    log(engine, void(first[0], reason="a reason behind the key file"))


@pytest.fixture
def key_file(tmp_path: Path, runner: FlaskCliRunner) -> Path:
    """A key file written by `casebook keys new-file`."""
    path = tmp_path / "keys" / "casebook.key"
    path.parent.mkdir()
    result = runner.invoke(args=["casebook", "keys", "new-file", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def copy_of_the_database(database_url: str, backend: str, tmp_path: Path) -> Iterator[Engine]:
    """The database as someone holding a copy of it opens it: a copied file on SQLite, the same
    database through a new engine on PostgreSQL."""
    url = database_url
    if backend == "sqlite":
        # As the README's backup does it, outside a transaction.
        with closing(sqlite3.connect(sa.make_url(database_url).database or "")) as original:
            original.execute(f"VACUUM INTO '{tmp_path / 'copy.sqlite3'}'")
        url = f"sqlite:///{tmp_path / 'copy.sqlite3'}"
    copied = make_engine(url)
    yield copied
    copied.dispose()


def test_a_copy_of_the_database_without_the_key_file_opens_nothing(
    engine: Engine, key_file: Path, database_url: str, backend: str, runner: FlaskCliRunner,
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest,
) -> None:
    monkeypatch.setenv(KEY_FILE, str(key_file))
    # As `casebook init` (run by `serve`) does once the key file is set: the lookup secret.
    wrapped = runner.invoke(args=["casebook", "keys", "wrap"])
    assert wrapped.exit_code == 0 and "1 key wrapped" in wrapped.output
    _history(engine)
    assert [t for t in TEXTS if t not in json.dumps(exported(engine))] == []
    stored = subject_keys(engine)
    plain = {key_id: unwrap(key, f"subject key {key_id}")
             for key_id, key in stored.items() if key is not None}
    assert plain and all(plain[k] != stored[k] for k in plain), "keys stored as made"
    raw = database_bytes(engine, database_url)
    assert not [k for k in plain.values() for form in key_forms(k, backend) if form in raw]

    monkeypatch.delenv(KEY_FILE)
    copied = request.getfixturevalue("copy_of_the_database")
    with pytest.raises(KeyFileError, match=KEY_FILE):
        exported(copied)
    with reading(copied) as connection, pytest.raises(KeyFileError, match=KEY_FILE):
        find_subject(connection, "S-LOCKED-2231")

    monkeypatch.setenv(KEY_FILE, str(key_file))
    assert [t for t in TEXTS if t not in json.dumps(exported(copied))] == []


def test_another_key_file_opens_nothing_either(
    engine: Engine, key_file: Path, tmp_path: Path, runner: FlaskCliRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEY_FILE, str(key_file))
    _history(engine)
    other = tmp_path / "other.key"
    assert runner.invoke(args=["casebook", "keys", "new-file", str(other)]).exit_code == 0
    monkeypatch.setenv(KEY_FILE, str(other))
    fresh = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with pytest.raises(KeyFileError, match="not the one"):
            exported(fresh)
    finally:
        fresh.dispose()


def test_init_wraps_the_keys_stored_before_the_key_file_was_set(
    engine: Engine, key_file: Path, runner: FlaskCliRunner, database_url: str, backend: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _history(engine)
    before = {k: v for k, v in subject_keys(engine).items() if v is not None}
    monkeypatch.setenv(KEY_FILE, str(key_file))
    result = runner.invoke(args=["casebook", "init"])
    assert result.exit_code == 0, result.output
    assert f"{len(before) + 1} keys wrapped" in result.output  # and the lookup secret
    raw = database_bytes(engine, database_url)
    assert not [k for k in before.values() for form in key_forms(k, backend) if form in raw]
    again = runner.invoke(args=["casebook", "keys", "wrap"])
    assert again.exit_code == 0 and "0 keys wrapped" in again.output

    monkeypatch.delenv(KEY_FILE)
    fresh = make_engine(database_url)
    try:
        with pytest.raises(KeyFileError):
            exported(fresh)
    finally:
        fresh.dispose()


def test_a_key_file_is_written_for_its_owner_only_and_never_replaced(
    key_file: Path, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    text = key_file.read_text()
    again = runner.invoke(args=["casebook", "keys", "new-file", str(key_file)])
    assert again.exit_code == 1 and "never replaced" in again.output
    assert key_file.read_text() == text
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    monkeypatch.setenv(KEY_FILE, str(bad))
    refused = runner.invoke(args=["casebook", "keys", "wrap"])
    assert refused.exit_code == 1 and "64 hexadecimal digits" in refused.output
