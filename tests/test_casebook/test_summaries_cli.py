"""`casebook summaries …` on both databases: catch-up, versions and every format, read back."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask.testing import FlaskCliRunner
from openpyxl import load_workbook
from playwright.sync_api import Page
from sqlalchemy.engine import Engine

from projections.presentation.render import CSV_COLUMNS
from tests.helpers import event, log, referral

SCREENSHOTS = Path(__file__).resolve().parent.parent / "artefacts" / "screenshots"


def run(runner: FlaskCliRunner, *args: str) -> Result:
    result = runner.invoke(args=["casebook", "summaries", *args])
    assert result.exit_code == 0, result.output
    return result


def seed(engine: Engine) -> None:
    """Davss referrals in 2023/24 Q1 and 2024/25 Q1 (with a small 'high' cell), a few CPWs."""
    log(engine, *[referral(occurred_at="2023-05-10") for _ in range(6)])
    log(engine, *[referral(occurred_at="2024-05-10", risk="high") for _ in range(2)],
        *[referral(occurred_at="2024-05-11", risk="medium") for _ in range(6)],
        *[referral(occurred_at="2024-05-12", risk="standard") for _ in range(12)],
        *[event("notice.issued", "asb-casework", "2024-06-01", f"ASB-{i}", notice="cpw")
          for i in range(3)])


def only_id(runner: FlaskCliRunner, year: str, quarter: str) -> int:
    listed = json.loads(run(runner, "list", "--format", "json").output)
    (found,) = [s["id"] for s in listed if (s["year"], s["quarter"]) == (year, quarter)]
    return int(found)


def test_run_due_prints_what_it_generated_and_list_shows_it_as_json(
    engine: Engine, runner: FlaskCliRunner
) -> None:
    seed(engine)
    first = run(runner, "run-due", "--now", "2024-07-01T02:00:00+01:00")
    assert first.output.splitlines() == [
        "Generated 2023/24 Q1 version 1 (id 1).",
        "Generated 2023/24 annual review version 1 (id 2).",
        "Generated 2024/25 Q1 version 1 (id 3).",
        "3 summaries generated.",
    ]
    assert run(runner, "run-due", "--now", "2024-07-01T02:00:00+01:00").output == (
        "0 summaries generated.\n")
    listed = json.loads(run(runner, "list", "--format", "json").output)
    assert [(s["id"], s["year"], s["quarter"], s["version"]) for s in listed] == [
        (3, "2024/25", "Q1", 1), (2, "2023/24", "year", 1), (1, "2023/24", "Q1", 1)]
    assert all(s["generated_at"] and s["as_of"] and s["reason"] == "catch-up" for s in listed)


def test_generate_by_hand_stores_a_new_version_each_time(
    engine: Engine, runner: FlaskCliRunner
) -> None:
    seed(engine)
    assert "version 1" in run(runner, "generate", "--year", "2024/25", "--quarter", "Q1",
                              "--as", "manager").output
    assert "version 2" in run(runner, "generate", "--year", "2024/25", "--quarter", "Q1").output
    assert "annual review version 1" in run(runner, "generate", "--year", "2024/25").output
    listed = json.loads(run(runner, "list", "--format", "json").output)
    assert sorted((s["quarter"], s["version"]) for s in listed) == [
        ("Q1", 1), ("Q1", 2), ("year", 1)]
    assert {s["reason"] for s in listed if s["version"] == 1 and s["quarter"] == "Q1"} == {
        "by hand: manager"}


def test_show_json_has_the_shape_of_the_summary_command_and_restates(
    engine: Engine, runner: FlaskCliRunner
) -> None:
    seed(engine)
    run(runner, "generate", "--year", "2024/25", "--quarter", "Q1")
    late = log(engine, referral(occurred_at="2024-06-20", risk="high"))
    run(runner, "generate", "--year", "2024/25", "--quarter", "Q1")
    live = json.loads(runner.invoke(args=["casebook", "summary", "--year", "2024/25",
                                          "--quarter", "Q1", "--format", "json"]).output)
    shown = json.loads(run(runner, "show", "2", "--format", "json").output)
    assert set(live) <= set(shown)
    assert {k: shown[k] for k in live if k != "figures"} == {k: live[k] for k in live
                                                             if k != "figures"}
    for figure_id, figure in live["figures"].items():
        assert {k: shown["figures"][figure_id][k] for k in figure} == figure
    restated = shown["restatement"]
    assert [c["text"] for c in restated["changes"]] == [
        f"{live['figures']['davss.referrals']['label']} Q1 20 → 21"]
    assert [e["event_id"] for e in restated["late_events"]] == [late[0].event_id]
    published = json.loads(run(runner, "show", "2", "--format", "json", "--published").output)
    assert "restatement" not in published
    assert published["figures"]["asb.cpw"]["value"] == "fewer than 5"


def test_the_workbook_reopened_holds_the_numbers_of_the_json(
    engine: Engine, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    seed(engine)
    run(runner, "run-due", "--now", "2024-07-01T02:00:00+01:00")
    summary_id = only_id(runner, "2024/25", "Q1")
    document = json.loads(run(runner, "show", str(summary_id)).output)
    path = tmp_path / "q1.xlsx"
    run(runner, "show", str(summary_id), "--format", "xlsx", "--output", str(path))
    book = load_workbook(path)
    priorities = {f["priority"] for f in document["figures"].values()}
    assert set(book.sheetnames) == {"Contents"} | {p[:31] for p in priorities}
    seen: dict[str, Any] = {}
    breakdowns: dict[tuple[str, str, str], Any] = {}
    for title in book.sheetnames[1:]:
        for row in book[title].iter_rows(min_row=3, values_only=True):
            _label, _part, value, previous, _change, _note, figure_id, field, key = row
            if field:
                breakdowns[(figure_id, field, key)] = value
            else:
                seen[figure_id] = (value, previous)
                assert document["figures"][figure_id]["priority"][:31] == title
    assert seen == {k: (f["value"], f["previous"]) for k, f in document["figures"].items()}
    assert breakdowns[("davss.referrals", "risk", "high")] == 2
    assert breakdowns == {
        (k, field, key): count for k, f in document["figures"].items()
        for field, counts in f.get("breakdown", {}).items() for key, count in counts.items()}


def test_the_published_workbook_and_csv_hide_small_numbers_and_the_cell_beside_them(
    engine: Engine, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    seed(engine)
    run(runner, "generate", "--year", "2024/25", "--quarter", "Q1")
    path = tmp_path / "published.xlsx"
    run(runner, "show", "1", "--format", "xlsx", "--published", "--output", str(path))
    rows = [row for sheet in load_workbook(path).worksheets[1:]
            for row in sheet.iter_rows(min_row=3, values_only=True)]
    risk = {row[8]: (row[2], row[5]) for row in rows
            if row[6] == "davss.referrals" and row[7] == "risk"}
    # The medium 6 is hidden to protect the high 2: "[c]", never the false "fewer than 5"; a
    # hidden number leaves its cell empty and is said in the note.
    assert risk == {"high": (None, "This period: fewer than 5"), "medium": (None, "This period: [c]"),
                    "standard": (12, None), "not-recorded": (0, None)}
    csv_text = run(runner, "show", "1", "--format", "csv", "--published", "--threshold",
                   "3").output
    assert csv_text.splitlines()[0] == ",".join(CSV_COLUMNS)
    rows = {(row["figure"], row["breakdown"], row["key"]): row
            for row in csv.DictReader(io.StringIO(csv_text))}
    # As in the workbook: the number column empty, the hidden value said in the note.
    high = rows[("davss.referrals", "risk", "high")]
    assert (high["value"], high["value_text"], high["note"]) == (
        "", "fewer than 3", "This period: fewer than 3")
    assert high["breakdown_label"] == "Risk level: High"
    assert rows[("asb.cpw", "", "")]["value"] == "3"


def test_show_without_output_writes_the_workbook_bytes_to_standard_output(
    engine: Engine, runner: FlaskCliRunner
) -> None:
    seed(engine)
    run(runner, "generate", "--year", "2024/25", "--quarter", "Q1")
    result = runner.invoke(args=["casebook", "summaries", "show", "1", "--format", "xlsx"])
    assert result.exit_code == 0
    assert load_workbook(io.BytesIO(result.stdout_bytes)).sheetnames[0] == "Contents"


def test_showing_a_summary_that_does_not_exist_says_so(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["casebook", "summaries", "show", "99"])
    assert result.exit_code != 0 and "no stored summary 99" in result.output


def test_missing_returns_names_the_scheme_that_has_not_returned(
    engine: Engine, runner: FlaskCliRunner
) -> None:
    output = run(runner, "missing-returns", "--now", "2024-07-07T09:00").output
    assert "2024/25 Q1" in output and "idva" in output.lower()
    log(engine, event("return.submitted", "idva", "2024-07-03", indicator="people-supported",
                      quarter="2024/25 Q1", value=80))
    assert run(runner, "missing-returns", "--now", "2024-07-07T09:00").output == (
        "Every partner return for 2024/25 Q1 is in.\n")


@pytest.mark.browser
def test_the_printable_review_renders_in_chromium_with_a_chart_per_figure(
    engine: Engine, runner: FlaskCliRunner, tmp_path: Path, backend: str, browser_page: Page
) -> None:
    seed(engine)
    run(runner, "run-due", "--now", "2025-04-01T02:00:00+01:00")
    summary_id = only_id(runner, "2024/25", "Q1")
    document = json.loads(run(runner, "show", str(summary_id)).output)
    page_path = tmp_path / "review.html"
    run(runner, "show", str(summary_id), "--format", "html", "--published",
        "--output", str(page_path))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"summary-2024-25-q1-published-{backend}.png"
    page = browser_page
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(page_path.as_uri())
    headings = page.locator("h2").all_inner_texts()
    charts = page.locator("section.priority svg").count()
    cpw = page.locator("tr#asb\\.cpw td").nth(1).inner_text()
    davss = page.locator("tr#davss\\.referrals td").all_inner_texts()
    page.emulate_media(media="print")
    page.screenshot(path=str(shot), full_page=True)
    priorities = list(dict.fromkeys(f["priority"] for f in document["figures"].values()))
    assert headings == priorities
    # A figure at 0 (or –) in all eight quarters is named under the charts instead of charted.
    flat = [f for f, values in document["history"]["figures"].items() if not any(values)]
    assert charts == len(document["figures"]) - len(flat) > 0
    assert page.locator("p.flat").count() == len({document["figures"][f]["priority"] for f in flat})
    assert cpw == "fewer than 5"
    assert davss[1:] == ["20", "6", "up 14 (+233%)"]
    assert shot.stat().st_size > 10_000
