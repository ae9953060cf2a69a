"""Backup and restore: export, then import into an empty database, gives back every figure and
every case timeline; an export made after an erasure no longer holds the erased data."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy.engine import Engine

from tests.helpers import import_jsonl, log, void
from tests.seed_events import published_2024_25_events
from tests.test_protection.support import all_figures, timelines


def test_export_then_import_into_an_empty_database_reproduces_figures_and_timelines(
    engine: Engine, runner: FlaskCliRunner, restored_app: Flask, tmp_path: Path
) -> None:
    lines = published_2024_25_events()
    assert not import_jsonl(engine, lines).errors
    referral = next(line for line in lines if line["type"] == "referral.received")
    log(engine, void(referral, reason="Logged against the wrong person"))
    subject = next(line["data"]["subject"] for line in lines if "subject" in line["data"])
    erased = runner.invoke(args=["casebook", "erase", subject])
    assert erased.exit_code == 0, erased.output

    backup = tmp_path / "backup.jsonl"
    exported = runner.invoke(args=["casebook", "export", str(backup)])
    assert exported.exit_code == 0, exported.output
    assert subject not in backup.read_text()

    restore = restored_app.test_cli_runner().invoke(args=["casebook", "import", str(backup)])
    assert restore.exit_code == 0, restore.output
    restored = restored_app.extensions["casebook.engine"]
    assert all_figures(restored) == all_figures(engine)
    assert timelines(restored) == timelines(engine)
    assert len(backup.read_text().splitlines()) == len(lines) + 2

    again = restored_app.test_cli_runner().invoke(args=["casebook", "import", str(backup)])
    assert again.exit_code == 0 and f"0 written, {len(lines) + 2} duplicates" in again.output
    positions = [json.loads(line)["position"] for line in backup.read_text().splitlines()]
    assert positions == sorted(positions)
