"""Export, import into an empty database, export again: the same events and the same figures."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from casebook import create_app
from tests.helpers import event
from tests.seed_events import published_2019_20_events, published_2024_25_events, write_jsonl

YEARS = ["2019/20", "2020/21", "2023/24", "2024/25", "2025/26"]


@pytest.fixture
def second_app(new_database_url: Callable[[], str], tmp_path: Path) -> Iterator[Flask]:
    """A second casebook on an empty database of the same kind."""
    app = create_app({"TESTING": True, "DATABASE_URL": new_database_url(),
                      "SECRET_KEY": "test-secret-key"})
    app.instance_path = str(tmp_path / "second-instance")
    yield app
    app.extensions["casebook.engine"].dispose()


def _export(runner: FlaskCliRunner, path: Path) -> list[dict[str, Any]]:
    result = runner.invoke(args=["casebook", "export", str(path)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _without_log_places(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in line.items() if k not in ("recorded_at", "position")}
            for line in lines]


def _summaries(runner: FlaskCliRunner) -> dict[tuple[str, str], Any]:
    found = {}
    for year in YEARS:
        for quarter in (None, "Q1", "Q2", "Q3", "Q4"):
            args = ["casebook", "summary", "--year", year]
            if quarter:
                args += ["--quarter", quarter]
            result = runner.invoke(args=args)
            assert result.exit_code == 0, result.output
            summary = json.loads(result.stdout)
            summary.pop("as_of")
            found[(year, quarter or "year")] = summary
    return found


def test_an_export_imported_into_an_empty_database_exports_the_same_events_and_figures(
    runner: FlaskCliRunner, second_app: Flask, tmp_path: Path
) -> None:
    source = tmp_path / "source.jsonl"
    written_by_hand = [
        event("engagement.recorded", "kenward-trust", "2024-07-01T00:30:00+01:00",
              kind="outreach", people=7, location="Café Rouge – High St, Tonbridge"),
        event("referral.received", "mediation", "2024-09-30T23:30:00Z", "MED-UNI-1",
              category="voisins à problèmes 🏠"),
    ]
    write_jsonl(published_2019_20_events() + published_2024_25_events() + written_by_hand, source)
    assert runner.invoke(args=["casebook", "import", str(source)]).exit_code == 0
    first = _export(runner, tmp_path / "first.jsonl")
    assert first[-1]["data"]["category"] == "voisins à problèmes 🏠"

    second_runner = second_app.test_cli_runner()
    imported = second_runner.invoke(args=["casebook", "import", str(tmp_path / "first.jsonl")])
    assert imported.exit_code == 0, imported.output
    assert f"{len(first)} written, 0 duplicates skipped" in imported.output
    second = _export(second_runner, tmp_path / "second.jsonl")

    assert _without_log_places(second) == _without_log_places(first)
    assert [line["position"] for line in second] == sorted(line["position"] for line in second)
    assert _summaries(second_runner) == _summaries(runner)


def test_an_export_lists_events_in_the_order_stored_with_recorded_at_and_position(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    source = tmp_path / "source.jsonl"
    lines = published_2019_20_events()
    write_jsonl(lines, source)
    assert runner.invoke(args=["casebook", "import", str(source)]).exit_code == 0

    exported = _export(runner, tmp_path / "out.jsonl")

    assert [line["id"] for line in exported] == [line["id"] for line in lines]
    positions = [line["position"] for line in exported]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert all(line["recorded_at"].endswith("+00:00") for line in exported)
    assert all(line["recorded_by"] == "csu.officer" for line in exported)
