"""Every kind of value and change reads the same text in every place it is shown: the dashboard,
the summary page, the summary's CSV and its workbook (one table of kinds × places). The API's
summary JSON carries numbers only, no display text, so it has no place in the table."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from html import unescape
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, render_template
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from events.db import reading, writing
from events.quarters import FinancialYear
from projections.archive import SCHEDULED, generate, stored_summaries
from projections.catalogue import figures_of_year
from projections.dashboard import Cell, Dashboard, FigureRow, PriorityGroup, SchemeGroup
from tests.helpers import ON_SQLITE_ONLY
from tests.test_casebook.conftest import SignedIn

pytestmark = ON_SQLITE_ONLY

MINUS = "\u2212"
#: Figure id -> (kind, value, previous, the value's text, the change's text, its tone's words).
KINDS: dict[str, tuple[str, Any, Any, str, str, str]] = {
    "davss.referrals": ("count, up", 20, 6, "20", "up 14 (+233%)", ""),
    "freedom.attendees": ("big count, no change", 12345, 12345, "12,345", "no change", ""),
    "own_my_life.attendees": ("big count, up", 13345, 1000, "13,345", "up 12,345 (+1,234%)", ""),
    "davss.repeat_rate": ("rate, up", 0.1234, 0.1, "12.3%", "up 2.3 points", ""),
    "asb.complaints": ("count, down where lower is better", 9, 12, "9", f"down 3 ({MINUS}25%)",
                       ", better"),
    "enforcement.flytipping": ("count, up where lower is better", 12, 9, "12", "up 3 (+33%)",
                               ", worse"),
    "cdap.referrals": ("no value", None, 4, "–", "–", ""),
    "mediation.clients": ("hidden small count", "fewer than 5", 7, "fewer than 5", "–", ""),
    "channel.referrals": ("hidden beside a small count", "[c]", 10, "[c]", "–", ""),
}
NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def words(html: str) -> str:
    """Visible words: visually hidden text and tags removed, whitespace collapsed."""
    html = re.sub(r'<span class="govuk-visually-hidden">[^<]*</span>', "", html)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@pytest.fixture
def stored(engine: Engine) -> int:
    """A stored summary of 2024/25 Q1 whose figures are the table's values."""
    summary = generate(engine, FinancialYear(2024).quarter(1), SCHEDULED, only_if_missing=False,
                       now=NOW)
    assert summary is not None
    document = summary.document
    for figure_id, (_kind, value, previous, *_texts) in KINDS.items():
        document["figures"][figure_id].update(value=value, previous=previous)
        document["figures"][figure_id].pop("breakdown", None)
    document["figures"]["davss.referrals"]["breakdown"] = {
        "risk": {"high": 12, "medium": "[c]", "not-recorded": "fewer than 5"}}
    # Stored summaries are never changed: the table's values are stored as the next version.
    with writing(engine) as connection:
        return int(connection.execute(sa.insert(stored_summaries).values(
            year=summary.year, quarter=summary.quarter, version=summary.version + 1,
            generated_at=summary.generated_at, reason=summary.reason, as_of=summary.as_of,
            position=summary.position, document=json.dumps(document),
        ).returning(stored_summaries.c.id)).scalar_one())


def summary_page(client: FlaskClient, summary_id: int) -> dict[str, tuple[str, str, str]]:
    """Figure id -> (value, change, the change's whole HTML) on the summary page."""
    html = client.get(f"/summaries/{summary_id}").get_data(as_text=True)
    found = {}
    for figure_id in KINDS:
        row = re.search(rf'<tr class="govuk-table__row" id="{re.escape(figure_id)}">(.*?)</tr>',
                        html, re.S)
        assert row is not None, figure_id
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
        found[figure_id] = (words(cells[1]), words(cells[3]), cells[3])
    return found


def summary_csv(client: FlaskClient, summary_id: int) -> dict[str, tuple[str, str]]:
    body = client.get(f"/summaries/{summary_id}/internal.csv").get_data(as_text=True)
    return {row["figure"]: (row["value_text"], row["change"])
            for row in csv.DictReader(io.StringIO(body)) if not row["breakdown"]}


def shown_in_a_spreadsheet(value: Any, number_format: str) -> str:
    """What a spreadsheet shows of a cell: its number in the cell's number format, or its text."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int | float) and number_format == "0.0%":
        return f"{value:.1%}"
    if isinstance(value, int | float) and number_format == "#,##0":
        return f"{value:,.0f}"
    return str(value)


def workbook_cells(client: FlaskClient, summary_id: int) -> dict[str, tuple[str, str]]:
    """Figure id -> (value, change) as its row in the workbook shows them: a hidden value is
    left out of the number column and said in the note ("This period: fewer than 5")."""
    body = client.get(f"/summaries/{summary_id}/internal.xlsx").get_data()
    book = load_workbook(io.BytesIO(body))
    found = {}
    for sheet in book.worksheets[1:]:
        headings = [str(c.value or "").lower() for c in sheet[2]]
        at = {name: headings.index(name) for name in ("value", "change", "note", "figure id")}
        for row in sheet.iter_rows(min_row=3):
            texts = [shown_in_a_spreadsheet(c.value, c.number_format) for c in row]
            if row[1].value:
                continue  # a breakdown's row
            note = re.search(r"This period: ([^;]*)", texts[at["note"]])
            value = texts[at["value"]] or (note.group(1) if note else "–")
            found[texts[at["figure id"]]] = (value, texts[at["change"]])
    return found


def dashboard_cells(app: Flask, engine: Engine) -> dict[str, tuple[str, str, str]]:
    """Figure id -> (value, change, the change's HTML) in the dashboard's year-to-date column."""
    with reading(engine) as connection:
        figures = {f.id: f for f in figures_of_year(connection, "2024/25")}
    year = FinancialYear(2024)
    rows = [FigureRow(figures[figure_id], [Cell(value, previous)] * 4, Cell(value, previous), [])
            for figure_id, (_kind, value, previous, *_texts) in KINDS.items()]
    # A board of the table's values, rendered by the dashboard's own template and filters.
    board = Dashboard(year, year.quarter(1), [PriorityGroup("All", [SchemeGroup("all", rows)])],
                      today=NOW.date(), span=None)
    with app.test_request_context("/dashboard"):
        html = render_template("dashboard/index.html", board=board, names={}, as_of=None,
                               years=[year], quarter=1, today=year.quarter(1),
                               partly_published=False, breakdowns={},
                               explained=dict.fromkeys(figures, ""))
    found = {}
    for figure_id in KINDS:
        row = re.search(rf'id="figure-{re.escape(figure_id)}">(.*?)</tr>', html, re.S)
        assert row is not None, figure_id
        to_date = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)[4]
        value = re.search(r'data-period="year">(.*?)<span', to_date, re.S)
        moved = re.search(r'<strong class="govuk-tag[^"]*app-change".*?</strong>'
                          r'|<span class="app-change">.*?</span>', to_date, re.S)
        assert value is not None, to_date
        change_html = moved.group(0) if moved else ""
        found[figure_id] = (words(value.group(1)), words(change_html) or "–", change_html)
    return found


def test_every_kind_of_value_and_change_reads_the_same_in_every_place(
    app: Flask, client: FlaskClient, signed_in: SignedIn, engine: Engine, stored: int
) -> None:
    signed_in(client, "admin")
    places: dict[str, Mapping[str, tuple[str, ...]]] = {
        "dashboard": dashboard_cells(app, engine),
        "summary page": summary_page(client, stored),
        "summary CSV": summary_csv(client, stored),
        "summary workbook": workbook_cells(client, stored),
    }
    for figure_id, (kind, _value, _previous, value_text, change_text, tone) in KINDS.items():
        for place, found in places.items():
            assert found[figure_id][:2] == (value_text, change_text), (kind, place)
        for place in ("dashboard", "summary page"):
            change_html = places[place][figure_id][2]
            # The tone is said in words, and coloured only where the figure says which way is
            # better; a figure that does not is never green or red.
            assert (tone in change_html) if tone else ("govuk-tag--" not in change_html), place
            assert ("govuk-tag--green" in change_html) == (tone == ", better"), (kind, place)
            assert ("govuk-tag--red" in change_html) == (tone == ", worse"), (kind, place)


def test_a_breakdown_reads_in_labels_with_its_counts_as_every_value_reads(
    client: FlaskClient, signed_in: SignedIn, stored: int
) -> None:
    signed_in(client, "admin")
    html = client.get(f"/summaries/{stored}").get_data(as_text=True)
    table = re.search(r'<table class="govuk-table app-breakdown" data-breakdown="risk">(.*?)'
                      r"</table>", html, re.S)
    assert table is not None
    assert "Referrals to DAVSS by risk level" in words(table.group(1))
    rows = [words(r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)[1:]]
    assert rows == ["Medium [c]", "High 12", "Not recorded fewer than 5"]
    assert "not-recorded" not in words(table.group(1))
    lines = [r for r in csv.DictReader(io.StringIO(client.get(
        f"/summaries/{stored}/internal.csv").get_data(as_text=True))) if r["breakdown"] == "risk"]
    assert {r["key"]: r["value_text"] for r in lines} == {
        "high": "12", "medium": "[c]", "not-recorded": "fewer than 5"}

