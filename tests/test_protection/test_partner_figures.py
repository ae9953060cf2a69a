"""A partner sees its own schemes' figures in full and every other scheme's only as published.

The board (viewers) sees every number; only those who may read a scheme's cases see the names
of its free-text breakdown values. Dashboard, drill-down, summaries, downloads and the API agree.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from events.quarters import Quarter
from projections.archive import SCHEDULED, by_hand, generate
from tests.helpers import log, notice, referral
from tests.test_casebook.conftest import MakeToken, SignedIn

Q1 = Quarter(2024, 1)
NAMED = "J Bloggs next door"


def seed(engine: Engine) -> int:
    """2024/25: DAVSS referrals 12 in Q1 (3 high) and 1 in Q2; 3 CPWs; mediation categories."""
    log(engine,
        *[referral(occurred_at="2024-05-10", risk="high") for _ in range(3)],
        *[referral(occurred_at="2024-05-11", risk="standard") for _ in range(9)],
        referral(occurred_at="2024-08-01", risk="standard"),
        *[notice("cpw", case=f"ASB-{i}", occurred_at="2024-06-01") for i in range(3)],
        referral(scheme="mediation", occurred_at="2024-05-02", category=NAMED),
        *[referral(scheme="mediation", occurred_at="2024-05-03", category="family")
          for _ in range(6)],
        *[referral(scheme="mediation", occurred_at="2024-05-04", category="neighbour")
          for _ in range(7)])
    stored = generate(engine, Q1, SCHEDULED, only_if_missing=True)
    assert stored is not None
    return stored.id


def dashboard_cell(html: str, figure: str, period: str) -> str:
    found = re.search(rf'data-figure="{re.escape(figure)}" data-period="{period}">([^<]*)<', html)
    assert found, f"no {figure} {period} on the page"
    return found.group(1)


def rows_of(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body)))


def risk_cells(rows: list[dict[str, str]]) -> dict[str, str]:
    """Each risk cell as read (`value_text`); a hidden one leaves `value`, the number, empty."""
    cells = [r for r in rows if r["figure"] == "davss.referrals" and r["breakdown"] == "risk"]
    assert all(r["value"] == r["value_text"] or (not r["value"] and r["note"]) for r in cells)
    return {r["key"]: r["value_text"] for r in cells}


def test_the_dashboard_shows_other_schemes_to_a_partner_as_published(
    app: Flask, signed_in: SignedIn, engine: Engine
) -> None:
    seed(engine)
    url = "/dashboard?year=2024/25&quarter=Q2"
    shown: dict[str, tuple[str, str, str]] = {}
    for who, role, schemes in (("other", "partner", ["idva"]), ("own", "partner", ["davss"]),
                               ("board", "viewer", [])):
        client = app.test_client()
        signed_in(client, role, schemes=schemes)
        html = client.get(url).get_data(as_text=True)
        shown[who] = tuple(dashboard_cell(html, "davss.referrals", p)  # type: ignore[assignment]
                           for p in ("Q1", "Q2", "year"))
        if who == "other":
            assert 'id="published-note"' in html
            row = html[html.index('id="figure-davss.referrals"'):]
            assert ": 12" not in row[: row.index("</tr>")]  # nor in the chart's words
    assert shown["own"] == shown["board"] == ("12", "1", "13")
    # Q2's 1 is small; Q1 is hidden beside it, or the year less Q1 would give it away.
    assert shown["other"] == ("[c]", "fewer than 5", "13")


def test_a_partner_gets_no_count_or_listing_behind_another_schemes_figure(
    app: Flask, signed_in: SignedIn, engine: Engine
) -> None:
    seed(engine)
    url = "/dashboard/figures/davss.referrals?year=2024/25&quarter=Q2"
    other = app.test_client()
    signed_in(other, "partner", schemes=["idva"])
    html = other.get(url).get_data(as_text=True)
    assert "Referrals to DAVSS: fewer than 5" in html
    assert 'id="event-count"' not in html and "/events/" not in html
    own = app.test_client()
    signed_in(own, "partner", schemes=["davss"])
    html = own.get(url).get_data(as_text=True)
    assert "Referrals to DAVSS: 1" in html and "1 event behind this figure" in html


def test_summary_pages_and_downloads_show_other_schemes_to_a_partner_as_published(
    app: Flask, signed_in: SignedIn, engine: Engine
) -> None:
    summary_id = seed(engine)
    other = app.test_client()
    signed_in(other, "partner", schemes=["idva"])
    page = other.get(f"/summaries/{summary_id}").get_data(as_text=True)
    cpw = page[page.index('id="asb.cpw"'):]
    assert "fewer than 5" in cpw[: cpw.index("</tr>")]
    for variant in ("internal", "published"):
        body = other.get(f"/summaries/{summary_id}/{variant}.csv").get_data(as_text=True)
        assert risk_cells(rows_of(body)) == {"high": "fewer than 5", "standard": "[c]",
                                             "not-recorded": "0"}
        assert NAMED not in body and "neighbour" not in body and "family" not in body
        for kind in ("html", "xlsx"):
            download = other.get(f"/summaries/{summary_id}/{variant}.{kind}")
            assert download.status_code == 200
            assert NAMED.encode() not in download.data and b"neighbour" not in download.data
    own = app.test_client()
    signed_in(own, "partner", schemes=["davss", "mediation"])
    body = own.get(f"/summaries/{summary_id}/internal.csv").get_data(as_text=True)
    assert risk_cells(rows_of(body))["high"] == "3"
    assert NAMED in body
    cpw_row = [r for r in rows_of(body) if r["figure"] == "asb.cpw"][0]
    assert (cpw_row["value"], cpw_row["note"]) == ("", "This period: fewer than 5")
    assert any(r["figure"] == "note" and "[c]" in r["note"] for r in rows_of(body))


def test_the_board_sees_every_number_but_no_free_text_name(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    summary_id = seed(engine)
    signed_in(client, "viewer")
    body = client.get(f"/summaries/{summary_id}/internal.csv").get_data(as_text=True)
    rows = rows_of(body)
    assert risk_cells(rows)["high"] == "3"
    categories = {r["key"]: r["value"] for r in rows
                  if r["figure"] == "mediation.clients" and r["breakdown"] == "category"}
    assert sorted(categories.values()) == ["0", "1", "6", "7"]
    assert NAMED not in body and "neighbour" not in body and "family" not in body


def test_the_api_summary_follows_the_same_rule(
    client: FlaskClient, make_token: MakeToken, engine: Engine
) -> None:
    seed(engine)

    def figures(token: Any, quarter: str = "Q1") -> dict[str, Any]:
        response = client.get(f"/api/summary?year=2024/25&quarter={quarter}",
                              headers=token.headers)
        assert response.status_code == 200
        found: dict[str, Any] = response.get_json()["figures"]
        return found

    other = make_token("partner", ["idva"])
    seen = figures(other)
    assert seen["asb.cpw"]["value"] == "fewer than 5"
    assert NAMED not in str(seen["mediation.clients"]) and "family" not in str(seen)
    # Q1 and Q2 asked one after the other give no small count away: Q1 is hidden beside Q2's
    # 1, and its breakdowns, which would add up to it, with it.
    assert seen["davss.referrals"]["value"] == "[c]"
    assert set(seen["davss.referrals"]["breakdown"]["risk"].values()) == {"[c]"}
    assert figures(other, "Q2")["davss.referrals"]["value"] == "fewer than 5"
    own = figures(make_token("partner", ["davss", "asb-casework", "mediation"]))
    assert own["asb.cpw"]["value"] == 3 and own["davss.referrals"]["value"] == 12
    assert own["mediation.clients"]["breakdown"]["category"][NAMED] == 1
    board = figures(make_token("viewer"))
    assert board["asb.cpw"]["value"] == 3
    assert sorted(board["mediation.clients"]["breakdown"]["category"].values()) == [0, 1, 6, 7]
    assert NAMED not in str(board)


def test_a_restatement_gives_a_partner_no_small_number_of_another_scheme(
    app: Flask, signed_in: SignedIn, engine: Engine
) -> None:
    seed(engine)
    [late] = log(engine, notice("cpw", case="ASB-9", occurred_at="2024-06-10"))
    second = generate(engine, Q1, by_hand("tester"), only_if_missing=False)
    assert second is not None
    other = app.test_client()
    signed_in(other, "partner", schemes=["idva"])
    page = other.get(f"/summaries/{second.id}").get_data(as_text=True)
    assert "3 → 4" not in page and late.event_id not in page
    officer = app.test_client()
    signed_in(officer, "officer")
    page = officer.get(f"/summaries/{second.id}").get_data(as_text=True)
    assert "3 → 4" in page and late.event_id in page
