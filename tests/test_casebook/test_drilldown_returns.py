"""A returns figure's drill-down is read from its read model, the same rows as found among the
events: a page lists a quarter's latest earlier returns and says how many more it replaced,
while the CSV lists every one."""

from __future__ import annotations

import re
from dataclasses import replace
from itertools import product

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from casebook.services import figure_rows, figure_rows_python
from casebook.services.figure_rows_returns import REPLACED_SHOWN
from events.db import reading
from events.quarters import FinancialYear
from projections.figures import FigureReader
from tests.bench.synth import synthetic_events
from tests.helpers import event, import_jsonl, log, value
from tests.test_casebook.conftest import SignedIn
from tests.test_casebook.page_reading import text_of
from tests.test_casebook.test_drilldown import YEAR, csv_rows


def test_a_quarter_with_many_corrections_lists_the_latest_and_counts_the_rest(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    returns = log(engine, *[
        event("return.submitted", "idva", "2024-10-05", indicator="people-supported",
              quarter="2024/25 Q1", value=80 + n) for n in range(REPLACED_SHOWN + 3)])
    assert value(engine, "idva.supported") == 80 + REPLACED_SHOWN + 2
    signed_in(client, "officer")
    page = client.get(f"/dashboard/figures/idva.supported?year={YEAR}")
    html = page.get_data(as_text=True)
    listed = [r.event_id for r in reversed(returns[:-1])][:REPLACED_SHOWN]
    assert re.findall(r'data-replaced="([^"]+)"', html) == listed
    assert "and 2 earlier returns replaced, in the CSV" in text_of(page)
    assert f"{REPLACED_SHOWN + 2} earlier returns replaced by a later one" in text_of(page)
    rows = csv_rows(client, f"/dashboard/figures/idva.supported.csv?year={YEAR}")
    assert [r["Event ID"] for r in rows] == [returns[-1].event_id]
    assert all(r.event_id in rows[0]["Replaced returns"] for r in returns[:-1])


def test_the_read_models_returns_are_the_rows_found_among_the_events(
    app: Flask, engine: Engine
) -> None:
    report = import_jsonl(engine, list(synthetic_events(4_000)))
    assert not report.errors
    year = FinancialYear.parse("2023/24")
    with app.app_context(), reading(engine) as connection:
        figures = [f for f in FigureReader(connection, year).figures
                   if f.measure == "latest-return"]
        assert figures
        for figure, quarters in product(figures, (year.quarters, year.quarters[2:3])):
            expected = figure_rows_python.all_rows(connection, figure, [q.index for q in quarters])
            listed = list(figure_rows.every_row(connection, figure, quarters))
            assert [(r.key, r.amount, [e.event.event_id for e in (*r.events, *r.replaced)])
                    for r in listed] == [
                (r.key, r.amount, [e.event.event_id for e in (*r.events, *r.replaced)])
                for r in expected], figure.id
            # Joinings less leavings are an active figure's alone.
            assert figure_rows.figure_rows(connection, figure, quarters) == replace(
                figure_rows_python.tally(figure, expected), net=0)
