"""The `casebook` commands of spec §7: init, import, export, rebuild and summary in every format."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from casebook import create_app
from tests.helpers import referral

SPEC_FIGURES = {
    "asb.complaints", "asb.cases", "asb.cpw", "asb.cpn", "asb.cpn_fpn",
    "case_review.applications", "case_review.threshold_met", "case_review.threshold_not_met",
    "case_review.reviews", "case_review.with_recommendations", "pspo.fpn",
    "pspo.warning_letters", "pspo.dispersals", "enforcement.reports", "enforcement.flytipping",
    "cctv.cameras", "cctv.locations", "events.attended", "mediation.clients", "davss.referrals",
    "davss.repeat_rate", "idva.supported", "freedom.programmes", "freedom.attendees",
    "own_my_life.courses", "own_my_life.attendees", "childrens_freedom.attendees",
    "cdap.referrals", "cdap.active", "channel.referrals", "soc.meetings", "kenward.people",
    "kenward.locations", "youth.young_people", "schools.pupils", "schools.schools",
    "self_defence.attendees", "safer_towns.members", "safer_spaces.sites",
}


@pytest.fixture
def empty_app(new_database_url: Callable[..., str], tmp_path: Path) -> Iterator[Flask]:
    """casebook on a database with no tables yet."""
    app = create_app({"TESTING": True, "DATABASE_URL": new_database_url(empty=True),
                      "SECRET_KEY": "test-secret-key"})
    app.instance_path = str(tmp_path / "empty-instance")
    yield app
    app.extensions["casebook.engine"].dispose()


def _import(runner: FlaskCliRunner, tmp_path: Path, *lines: dict[str, object]) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = runner.invoke(args=["casebook", "import", str(path)])
    assert result.exit_code == 0, result.output


def test_init_creates_an_empty_database_with_every_default_scheme_and_figure(
    empty_app: Flask,
) -> None:
    runner = empty_app.test_cli_runner()

    first = runner.invoke(args=["casebook", "init"])

    assert first.exit_code == 0, first.output
    assert ("21 default schemes added; 2 default plans adopted (2024/25 and 2025/26)."
            in first.output)
    again = runner.invoke(args=["casebook", "init"])
    assert again.exit_code == 0, again.output
    assert "0 default schemes added; the plans stored are kept as they are." in again.output
    summary = json.loads(runner.invoke(args=["casebook", "summary", "--year", "2024/25"]).stdout)
    assert set(summary["figures"]) >= SPEC_FIGURES
    assert summary["as_of"] is None


def test_the_summary_prints_the_json_shape_of_spec_section_7(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    _import(runner, tmp_path, referral(risk="high", gender="female"),
            referral(occurred_at="2023-05-01"))

    result = runner.invoke(args=["casebook", "summary", "--year", "2024/25", "--quarter", "q1",
                                 "--format", "json"])

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["year"] == "2024/25" and summary["period"] == "Q1"
    assert summary["as_of"].endswith("+00:00")
    davss = summary["figures"]["davss.referrals"]
    assert {"label", "priority", "scheme", "value", "previous", "breakdown"} <= set(davss)
    assert (davss["scheme"], davss["value"], davss["previous"]) == ("davss", 1, 1)
    assert davss["breakdown"]["risk"] == {"high": 1, "not-recorded": 0}
    assert summary["figures"]["davss.repeat_rate"]["previous"] == 0.0


def test_the_summary_prints_csv_with_a_row_per_figure_and_per_breakdown_value(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    _import(runner, tmp_path, referral(risk="high"))

    result = runner.invoke(args=["casebook", "summary", "--year", "2024/25", "--format", "csv"])

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    figures = {row["figure"] for row in rows if row["breakdown"] == ""}
    assert figures >= SPEC_FIGURES
    assert {"figure": "davss.referrals", "breakdown": "risk", "key": "high", "value": "1"}.items() \
        <= next(r for r in rows if r["breakdown"] == "risk" and r["key"] == "high").items()


def test_the_summary_prints_a_self_contained_html_page(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    _import(runner, tmp_path, referral())
    result = runner.invoke(args=["casebook", "summary", "--year", "2024/25", "--format", "html"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!doctype html>")
    assert "Community Safety Partnership: Annual review 2024/25" in result.stdout
    assert "<tr id='davss.referrals'>" in result.stdout


@pytest.mark.parametrize("args", [["--year", "2024-25"], ["--year", "2024/26"],
                                  ["--year", "2024/25", "--quarter", "Q5"],
                                  ["--year", "2024/25", "--format", "xml"], []])
def test_a_summary_of_a_period_that_is_not_one_is_refused(
    runner: FlaskCliRunner, args: list[str]
) -> None:
    result = runner.invoke(args=["casebook", "summary", *args])
    assert result.exit_code == 2
    assert "Error" in result.output


def test_export_to_standard_output_writes_one_json_line_per_event(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    lines = [referral(), referral(scheme="mediation", category="family")]
    _import(runner, tmp_path, *lines)

    result = runner.invoke(args=["casebook", "export", "-"])

    assert result.exit_code == 0, result.output
    exported = [json.loads(text) for text in result.stdout.splitlines()]
    assert [line["id"] for line in exported] == [line["id"] for line in lines]
    assert "2 events exported." in result.stderr


def test_rebuild_reports_the_new_generation_and_keeps_the_figures(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    _import(runner, tmp_path, referral(), referral(occurred_at="2024-08-01"))
    before = runner.invoke(args=["casebook", "summary", "--year", "2024/25"]).stdout

    result = runner.invoke(args=["casebook", "rebuild"])

    assert result.exit_code == 0, result.output
    assert "Figures rebuilt (generation 2)." in result.output
    assert runner.invoke(args=["casebook", "summary", "--year", "2024/25"]).stdout == before


def test_importing_a_file_that_does_not_exist_is_refused(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(args=["casebook", "import", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2
    assert "No such file or directory" in result.output


def test_import_uses_the_as_option_for_lines_without_recorded_by(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    line = referral()
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    assert runner.invoke(args=["casebook", "import", "--as", "j.smith", str(path)]).exit_code == 0
    exported = json.loads(runner.invoke(args=["casebook", "export", "-"]).stdout)
    assert exported["recorded_by"] == "j.smith"


def test_an_import_file_saved_with_a_byte_order_mark_is_read_like_any_other(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "from-a-spreadsheet.jsonl"
    path.write_text("\ufeff" + json.dumps(referral()) + "\r\n" + json.dumps(referral()) + "\r\n",
                    encoding="utf-8")
    result = runner.invoke(args=["casebook", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 written, 0 duplicates skipped, 0 rejected." in result.output
