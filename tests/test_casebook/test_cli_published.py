"""The figures the CSP published, reproduced from logged events through the `casebook` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from flask.testing import FlaskCliRunner
from openpyxl import load_workbook

from tests.seed_events import (
    MEDIATION_2024_25,
    PREVIOUS_2024_25,
    PUBLISHED_2019_20,
    PUBLISHED_2024_25,
    PUBLISHED_OVER_2024_25,
    REPEAT_RATE_2019_20_Q4,
    published_2019_20_events,
    published_2024_25_events,
    write_jsonl,
)

CONSOLE_SCRIPT = Path(sys.executable).parent / "casebook"
ROOT = Path(__file__).resolve().parents[2]


def _summary(runner: FlaskCliRunner, year: str, quarter: str | None = None) -> dict[str, Any]:
    args = ["casebook", "summary", "--year", year, "--format", "json"]
    if quarter is not None:
        args += ["--quarter", quarter]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _assert_2024_25_published(summary: dict[str, Any]) -> None:
    figures = summary["figures"]
    assert summary["year"] == "2024/25" and summary["period"] == "year"
    for figure_id, published in PUBLISHED_2024_25.items():
        assert figures[figure_id]["value"] == published, figure_id
    for figure_id, floor in PUBLISHED_OVER_2024_25.items():
        assert figures[figure_id]["value"] > floor, figure_id
    for figure_id, previous in PREVIOUS_2024_25.items():
        assert figures[figure_id]["previous"] == previous, figure_id
    assert figures["mediation.clients"]["breakdown"]["category"] == {
        **MEDIATION_2024_25, "not-recorded": 0,
    }
    for name in ("risk", "gender"):
        assert sum(figures["davss.referrals"]["breakdown"][name].values()) == 376


def test_the_2024_25_review_figures_come_out_of_an_imported_event_file(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    lines = published_2024_25_events()
    path = tmp_path / "review-2024-25.jsonl"
    write_jsonl(lines, path)

    result = runner.invoke(args=["casebook", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert f"{len(lines)} written, 0 duplicates skipped, 0 rejected." in result.output
    _assert_2024_25_published(_summary(runner, "2024/25"))


def test_quarters_of_the_2024_25_review_add_up_to_the_year(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "review-2024-25.jsonl"
    write_jsonl(published_2024_25_events(), path)
    assert runner.invoke(args=["casebook", "import", str(path)]).exit_code == 0

    quarters = [_summary(runner, "2024/25", f"Q{n}")["figures"] for n in (1, 2, 3, 4)]

    for figure_id in ("asb.complaints", "davss.referrals", "idva.supported", "pspo.fpn",
                      "enforcement.reports", "soc.meetings", "freedom.attendees"):
        assert sum(q[figure_id]["value"] for q in quarters) == PUBLISHED_2024_25[figure_id]
    # The Enforcement Team ran from April to September only.
    assert [q["enforcement.reports"]["value"] for q in quarters][2:] == [0, 0]
    assert quarters[0]["soc.meetings"]["value"] == 3
    assert quarters[3]["cdap.active"]["value"] == 7
    assert quarters[3]["safer_towns.members"]["value"] == 32
    # Distinct figures for a year are not the sum of the quarters'.
    assert sum(q["cctv.locations"]["value"] for q in quarters) >= 8


def test_importing_the_review_file_again_writes_nothing_and_counts_duplicates(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    lines = published_2024_25_events()
    path = tmp_path / "review-2024-25.jsonl"
    write_jsonl(lines, path)
    assert runner.invoke(args=["casebook", "import", str(path)]).exit_code == 0

    again = runner.invoke(args=["casebook", "import", str(path)])

    assert again.exit_code == 0, again.output
    assert f"0 written, {len(lines)} duplicates skipped, 0 rejected." in again.output
    _assert_2024_25_published(_summary(runner, "2024/25"))


def test_the_2019_20_review_figures_come_out_of_an_imported_event_file(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "review-2019-20.jsonl"
    write_jsonl(published_2019_20_events(), path)
    assert runner.invoke(args=["casebook", "import", str(path)]).exit_code == 0

    figures = _summary(runner, "2019/20")["figures"]
    for figure_id, published in PUBLISHED_2019_20.items():
        assert figures[figure_id]["value"] == published, figure_id
    quarter = _summary(runner, "2019/20", "Q4")["figures"]["davss.repeat_rate"]
    assert quarter["value"] == REPEAT_RATE_2019_20_Q4
    assert quarter["previous"] is None


def test_the_console_script_imports_the_review_and_prints_the_published_summary(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "review-2024-25.jsonl"
    write_jsonl(published_2024_25_events(), path)
    environment = {
        **os.environ,
        "CASEBOOK_DATABASE_URL": database_url,
        "CASEBOOK_SECRET_KEY": "console-script-test",
    }

    def casebook(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(CONSOLE_SCRIPT), *args], env=environment, cwd=tmp_path,
                              capture_output=True, text=True, timeout=300, check=False)

    imported = casebook("import", str(path))
    assert imported.returncode == 0, imported.stderr
    printed = casebook("summary", "--year", "2024/25", "--format", "json")
    assert printed.returncode == 0, printed.stderr
    _assert_2024_25_published(json.loads(printed.stdout))

    through_flask = subprocess.run(
        [str(CONSOLE_SCRIPT.parent / "flask"), "--app", "wsgi", "casebook", "summary",
         "--year", "2024/25"],
        env=environment, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert through_flask.returncode == 0, through_flask.stderr
    assert json.loads(through_flask.stdout) == json.loads(printed.stdout)


def test_the_published_edition_of_the_review_hides_small_counts_of_people_only(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "review-2024-25.jsonl"
    write_jsonl(published_2024_25_events(), path)
    assert runner.invoke(args=["casebook", "import", str(path)]).exit_code == 0
    assert runner.invoke(args=["casebook", "summaries", "generate", "--year", "2024/25"]
                         ).exit_code == 0

    def show(fmt: str) -> bytes:
        result = runner.invoke(args=["casebook", "summaries", "show", "1", "--published",
                                     "--format", fmt])
        assert result.exit_code == 0, result.output
        return result.stdout_bytes

    figures = json.loads(show("json"))["figures"]
    # Cameras, events, courses and sites are things: the CSP publishes them as they are.
    for figure_id in ("cctv.cameras", "events.attended", "freedom.programmes",
                      "own_my_life.courses", "safer_spaces.sites", "soc.meetings"):
        assert figures[figure_id]["value"] == PUBLISHED_2024_25[figure_id], figure_id
    for figure_id in ("asb.cpn", "channel.referrals", "case_review.applications"):
        assert figures[figure_id]["value"] == "fewer than 5", figure_id
    # Family (3) is small, anger management (8) is hidden beside it, and neither is named.
    assert figures["mediation.clients"]["breakdown"]["category"] == {
        "neighbour": 11, "not-recorded": 0, "[not named 1]": "[c]",
        "[not named 2]": "fewer than 5"}
    for fmt in ("csv", "html"):
        body = show(fmt).decode()
        assert ",family" not in body and ": family" not in body
        assert "anger-management" not in body
        assert "[c]: hidden to protect a small count" in body
    workbook = tmp_path / "published.xlsx"
    assert runner.invoke(args=["casebook", "summaries", "show", "1", "--published", "--format",
                               "xlsx", "--output", str(workbook)]).exit_code == 0
    notes = [row[0] for row in load_workbook(workbook)["Contents"].iter_rows(values_only=True)]
    assert any(isinstance(n, str) and n.startswith("[c]: hidden") for n in notes)
