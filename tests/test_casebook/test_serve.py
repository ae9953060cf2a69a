"""`casebook serve`: a newcomer gets a first admin, demo data and a working sign-in."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy.engine import Engine
from waitress.server import create_server

from casebook.cli.serve import ensure_first_admin, listening_urls
from events.tables import events
from tests.test_casebook.conftest import csrf_token_from

CASEBOOK = Path(sys.executable).parent / "casebook"
ROOT = Path(__file__).resolve().parents[2]
SERVING = re.compile(r"Serving casebook at (http://127\.0\.0\.1:(\d+)) ")


def _read_until_serving(process: subprocess.Popen[str], limit: float = 180) -> str:
    assert process.stdout is not None
    output = ""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        output += line
        if line.startswith("Serving casebook at"):
            return output
    raise AssertionError(f"casebook serve did not start:\n{output}")


def test_serve_prints_a_first_admin_who_can_sign_in_and_loads_demo_data(
        database_url: str, engine: Engine, tmp_path: Path) -> None:
    environment = {**os.environ, "CASEBOOK_DATABASE_URL": database_url,
                   "CASEBOOK_SECRET_KEY": "serve-test", "CASEBOOK_SQLITE_SYNCHRONOUS": "NORMAL"}
    # Port 0: the system chooses a free port, and the address printed is the one to use.
    process = subprocess.Popen([str(CASEBOOK), "serve", "--port", "0"], env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               cwd=tmp_path)
    try:
        output = _read_until_serving(process)
        found = re.search(r"username: (\S+)\s+password: (\S+)", output)
        assert found, output
        serving = SERVING.search(output)
        assert serving and serving.group(2) != "0", output
        base = serving.group(1)
        assert f"Sign in at {base}/sign-in" in output
        # No waiting: the server listens before it prints its address.
        browser = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        form = browser.open(f"{base}/sign-in").read().decode()
        body = urllib.parse.urlencode({"username": found.group(1), "password": found.group(2),
                                       "csrf_token": csrf_token_from(form)}).encode()
        landed = browser.open(f"{base}/sign-in", data=body)
        assert "/sign-in" not in landed.geturl()
        page = landed.read().decode()
        assert "Sign out admin" in page
        assert browser.open(f"{base}/log").status == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
    with engine.connect() as connection:
        stored = connection.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
    assert stored > 1000


def test_the_first_admin_is_made_only_on_an_empty_users_table(app: Flask) -> None:
    with app.app_context():
        assert ensure_first_admin() is not None
        assert ensure_first_admin() is None


def test_prepare_prints_the_first_admin_and_writes_the_demo_once(
    app: Flask, engine: Engine, runner: FlaskCliRunner
) -> None:
    first = runner.invoke(args=["casebook", "prepare"])
    assert first.exit_code == 0, first.output
    assert re.search(r"username: admin\n\s+password: \S+", first.output)
    assert "demo events written" in first.output
    with engine.connect() as connection:
        stored = connection.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
    assert stored > 1000
    again = runner.invoke(args=["casebook", "prepare"])
    assert again.exit_code == 0, again.output
    assert "password" not in again.output and "demo events written" not in again.output
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(events)).scalar_one() == stored


def test_make_run_prepares_before_the_scheduler_starts_so_its_catch_up_sees_the_demo() -> None:
    script = (Path(__file__).resolve().parents[2] / "scripts" / "run.sh").read_text()
    prepare, scheduler, serve = (script.index(f'"$BIN/casebook" {command}')
                                 for command in ("prepare", "scheduler", "serve"))
    assert prepare < scheduler < serve


def test_the_address_printed_is_the_port_the_server_listens_on(app: Flask) -> None:
    server = create_server(app, host="127.0.0.1", port=0, ident="casebook")
    try:
        (url,) = listening_urls(server)
        port = int(url.rpartition(":")[2])
        assert url == f"http://127.0.0.1:{port}" and port != 0
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        server.close()


def _fake_casebook(folder: Path) -> Path:
    """A `casebook` that only writes down how it was called, one line per call.

    Its `serve` returns once its `scheduler` has started (they meet at a named pipe): `make run`
    stops the scheduler when the server ends, which could otherwise be before the background
    scheduler had even written its line.
    """
    os.mkfifo(folder / "started")
    script = folder / "casebook"
    script.write_text(
        '#!/bin/sh\nhere="$(dirname "$0")"\necho "$*" >> "$here/calls"\n'
        'case "$1" in\n'
        '  scheduler) echo started > "$here/started" ;;\n'
        '  serve) read -r _ < "$here/started" ;;\n'
        'esac\n')
    script.chmod(0o755)
    return folder / "calls"


def _make_run(folder: Path, *variables: str) -> list[str]:
    # `make test` runs these tests, so make is there; without it they fail, never skip.
    assert shutil.which("make"), "make is required: the README's commands are make targets"
    calls = _fake_casebook(folder)
    environment = {k: v for k, v in os.environ.items() if k != "PORT"}
    # -o: the virtual environment and the GOV.UK assets count as made; only `run` itself runs.
    subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed-stamp", "-o", "assets",
                    "run", f"BIN={folder}", *variables], cwd=ROOT, env=environment, check=True,
                   capture_output=True, timeout=60)
    return calls.read_text().splitlines()


def test_make_run_serves_on_the_port_asked_for_and_prints_that_port(tmp_path: Path) -> None:
    calls = _make_run(tmp_path, "PORT=5001")
    assert "prepare --url http://127.0.0.1:5001" in calls
    assert "serve --port 5001" in calls
    assert "scheduler" in calls


def test_make_run_serves_on_port_5000_unless_asked(tmp_path: Path) -> None:
    calls = _make_run(tmp_path)
    assert "prepare --url http://127.0.0.1:5000" in calls and "serve --port 5000" in calls
