"""`casebook serve`: a newcomer gets a first admin, demo data and a working sign-in."""

from __future__ import annotations

import http.cookiejar
import os
import re
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

from casebook.cli.serve import ensure_first_admin
from events.tables import events
from tests.test_casebook.conftest import csrf_token_from

CASEBOOK = Path(sys.executable).parent / "casebook"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


def _wait_for(url: str, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing answered at {url}")


def test_serve_prints_a_first_admin_who_can_sign_in_and_loads_demo_data(
        database_url: str, engine: Engine, tmp_path: Path) -> None:
    port = _free_port()
    environment = {**os.environ, "CASEBOOK_DATABASE_URL": database_url,
                   "CASEBOOK_SECRET_KEY": "serve-test", "CASEBOOK_SQLITE_SYNCHRONOUS": "NORMAL"}
    process = subprocess.Popen([str(CASEBOOK), "serve", "--port", str(port)], env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               cwd=tmp_path)
    try:
        output = _read_until_serving(process)
        found = re.search(r"username: (\S+)\s+password: (\S+)", output)
        assert found, output
        base = f"http://127.0.0.1:{port}"
        _wait_for(f"{base}/sign-in")
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
