"""The dashboard page on a frozen "today" in the middle of a quarter (2 December 2026, on the
demo's events): the comparison said in words, provisional periods labelled, later quarters empty."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from casebook.services.demo import demo_events
from tests.helpers import import_jsonl
from tests.naive_figures import days_value, definitions
from tests.test_casebook.conftest import SignedIn
from tests.test_casebook.page_reading import text_of

pytestmark = pytest.mark.sqlite_only

TODAY = date(2026, 12, 2)


@pytest.fixture
def lines(app: Flask, engine: Engine) -> list[dict[str, Any]]:
    app.config["FROZEN_NOW"] = datetime(2026, 12, 2, 16, 30, tzinfo=UTC)
    found = list(demo_events(11, TODAY))
    assert import_jsonl(engine, found).errors == []
    return found


def _row(html: str, figure_id: str) -> str:
    row = html[html.index(f'id="figure-{figure_id}"'):]
    return row[: row.index("</tr>")]


def _cell(row: str, period: str) -> str:
    found = re.search(rf'data-period="{period}">([^<]*)<', row)
    assert found, period
    return found.group(1)


def test_the_dashboard_says_what_it_compares_and_marks_what_is_so_far(
    client: FlaskClient, signed_in: SignedIn, lines: list[dict[str, Any]]
) -> None:
    signed_in(client, "viewer")
    response = client.get("/dashboard")
    html, words = response.get_data(as_text=True), text_of(response)

    assert ("Year to date: 1 April to 2 December 2026, against the same days last year." in words)
    assert "2026/27 Q3 is in progress: its figures are provisional, 1 October to 2 December" in words
    complaints = _row(html, "asb.complaints")
    # Q4 is not reached: no number, no link to a drill-down.
    assert "quarter=Q4" not in complaints and 'data-future="true"' in complaints
    assert "so far" in complaints and "provisional" in complaints
    figure = {f["id"]: f for f in definitions()}["asb.complaints"]
    so_far = days_value(lines, figure, date(2026, 10, 1), TODAY)["value"]
    same_days = days_value(lines, figure, date(2025, 10, 1), date(2025, 12, 2))["value"]
    assert _cell(complaints, "Q3") == f"{so_far:,}"
    q3 = complaints[complaints.index('data-period="Q3"'):]
    assert f"last year {same_days:,}" in q3[: q3.index("</td>")]


def test_a_year_of_ended_quarters_has_no_provisional_label(
    client: FlaskClient, signed_in: SignedIn, lines: list[dict[str, Any]]
) -> None:
    signed_in(client, "viewer")
    response = client.get("/dashboard?year=2025/26")
    words = text_of(response)

    assert "Year to date: 1 April 2025 to 31 March 2026, against the same period last year." in words
    assert "in progress" not in words and "so far" not in words
    assert 'data-future="true"' not in response.get_data(as_text=True)
