"""The benchmarks' synthetic log is one casebook accepts: `casebook import` takes it whole under
the default plans (each scheme logs only its plan's event types), as `make bench` needs."""

from __future__ import annotations

import json
from pathlib import Path

from flask.testing import FlaskCliRunner

from tests.bench.synth import synthetic_events


def test_casebook_import_takes_the_benchmark_log_whole(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in synthetic_events(4000)), "utf-8")

    result = runner.invoke(args=["casebook", "import", str(path)])

    assert result.exit_code == 0, result.output[-2000:]
    assert "4,000 written" in result.output or "4000 written" in result.output, result.output[-500:]
