"""The files casebook writes are its owner's alone, and `casebook import` reads only text files."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy.engine import Engine

from casebook import create_app
from tests.helpers import log, referral
from tests.test_protection.support import exported


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask (022), under which a file made without care is readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_a_new_sqlite_database_and_its_log_files_are_the_owners_alone(tmp_path: Path) -> None:
    database = tmp_path / "casebook.sqlite3"
    app = create_app({"SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{database}"})
    try:
        result = app.test_cli_runner().invoke(args=["casebook", "init"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            from casebook.database import engine

            with engine().connect() as connection:  # open, so the log files are there
                connection.exec_driver_sql("SELECT COUNT(*) FROM events").scalar_one()
                files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
                assert {path.name: _mode(path) for path in files} == {
                    path.name: 0o600 for path in files}
    finally:
        app.extensions["casebook.engine"].dispose()


@pytest.mark.usefixtures("open_umask")
def test_the_instance_folder_and_secret_key_are_the_owners_alone(tmp_path: Path) -> None:
    from casebook.settings import _instance_secret

    _instance_secret(tmp_path / "instance")
    assert _mode(tmp_path / "instance") == 0o700
    assert _mode(tmp_path / "instance" / "secret_key") == 0o600


@pytest.mark.usefixtures("open_umask")
def test_exports_subject_exports_and_summary_files_are_the_owners_alone(
    engine: Engine, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    log(engine, referral(case="DA-1", subject="S-1"))
    written = {name: tmp_path / name for name in ("backup.jsonl", "subject.json", "summary.csv")}
    written["backup.jsonl"].write_text("an older export, readable by everyone\n")
    os.chmod(written["backup.jsonl"], 0o644)
    commands = [["export", str(written["backup.jsonl"])],
                ["subject-export", "S-1", "--out", str(written["subject.json"])],
                ["summaries", "generate", "--year", "2024/25"],
                ["summaries", "show", "1", "--format", "csv", "--output",
                 str(written["summary.csv"])]]
    for command in commands:
        result = runner.invoke(args=["casebook", *command])
        assert result.exit_code == 0, result.output
    assert {name: _mode(path) for name, path in written.items()} == dict.fromkeys(written, 0o600)
    assert json.loads(written["backup.jsonl"].read_text())["data"]["subject"] == "S-1"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def _import(runner: FlaskCliRunner, path: Path | str) -> tuple[int, str]:
    result = runner.invoke(args=["casebook", "import", str(path)])
    return result.exit_code, " ".join(result.output.split())


def test_import_refuses_a_folder_and_a_device_without_reading_them(
    runner: FlaskCliRunner, engine: Engine, tmp_path: Path
) -> None:
    code, said = _import(runner, tmp_path)
    assert code == 2 and "is a folder, not a regular file. Nothing was imported" in said
    code, said = _import(runner, "/dev/zero")
    assert code == 2 and "'/dev/zero' is a device, not a regular file." in said
    assert exported(engine) == []


def test_import_refuses_a_named_pipe_without_waiting_for_a_writer(
    runner: FlaskCliRunner, engine: Engine, tmp_path: Path
) -> None:
    pipe = tmp_path / "events.fifo"
    os.mkfifo(pipe)
    line = json.dumps(referral()).encode() + b"\n"

    def write() -> None:  # waits for a reader; if the import reads the pipe, it gets a line
        try:
            with open(pipe, "wb") as writer:
                writer.write(line)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=write)
    writer.start()
    try:
        code, said = _import(runner, pipe)
    finally:
        # A reader held open until the writer is done lets it go whether it is already waiting
        # in open() or not there yet; opening and closing at once would race the thread.
        reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
        try:
            writer.join()
        finally:
            os.close(reader)
    assert code == 2 and "is a pipe, not a regular file." in said
    assert exported(engine) == []


def test_import_refuses_a_binary_file_with_a_clear_message(
    runner: FlaskCliRunner, engine: Engine, tmp_path: Path
) -> None:
    picture = tmp_path / "photo.jsonl"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    code, said = _import(runner, picture)
    assert code == 2 and "holds binary data, not text. Nothing was imported" in said
    latin = tmp_path / "latin-1.jsonl"
    latin.write_bytes(json.dumps(referral(subject="S-\u00e9"), ensure_ascii=False)
                      .encode("latin-1") + b"\n")
    code, said = _import(runner, latin)
    assert code == 2 and "is not UTF-8 text" in said
    late = tmp_path / "late.jsonl"
    late.write_bytes((json.dumps(referral()) + "\n").encode() * 1000 + b"\xff\xfe\n")
    code, said = _import(runner, late)
    assert code == 1 and "is not UTF-8 text" in said and "Nothing was imported" in said
    assert exported(engine) == []
