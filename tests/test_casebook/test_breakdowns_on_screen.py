"""Breakdowns (risk, gender, category) under their figure on the dashboard and the summary page,
in plain labels; and a change coloured only where the plan says which way is better."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from events.quarters import FinancialYear
from projections.archive import SCHEDULED, generate
from tests.helpers import ON_SQLITE_ONLY, log, notice, referral
from tests.test_casebook.conftest import SignedIn
from tests.test_casebook.plan_pages import confirm, post, text

pytestmark = ON_SQLITE_ONLY


def breakdown(html: str, figure_id: str, field: str) -> list[str]:
    """The rows of a figure's breakdown table by `field`, as their words."""
    part = html[html.index(f'id="breakdown-{figure_id}"'):]
    table = re.search(rf'data-breakdown="{field}">(.*?)</table>', part, re.S)
    assert table is not None, field
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)[1:]
    return [re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", r))).strip() for r in rows]


def seed(engine: Engine) -> None:
    log(engine,
        *[referral(occurred_at="2024-05-03", risk="high", gender="female") for _ in range(6)],
        referral(occurred_at="2024-08-03", risk="standard"),
        *[referral(scheme="mediation", occurred_at="2024-05-04", category="anger-management")
          for _ in range(7)],
        referral(scheme="mediation", occurred_at="2024-05-05"))


def test_the_dashboard_shows_each_breakdown_under_its_figure_in_plain_labels(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    seed(engine)
    signed_in(client, "admin")
    html = client.get("/dashboard?year=2024/25&quarter=Q2").get_data(as_text=True)
    assert breakdown(html, "davss.referrals", "risk") == ["Standard 1", "High 6"]
    assert breakdown(html, "davss.referrals", "gender") == ["Female 6", "Not recorded 1"]
    assert breakdown(html, "mediation.clients", "category") == ["Anger management 7",
                                                                "Not recorded 1"]
    assert "Referrals to DAVSS by risk level, 1 April to 30 September 2024" in text(
        client.get("/dashboard?year=2024/25&quarter=Q2"))
    # Up to Q1, the quarter's events only.
    q1 = client.get("/dashboard?year=2024/25&quarter=Q1").get_data(as_text=True)
    assert breakdown(q1, "davss.referrals", "risk") == ["High 6"]
    for raw in ("not-recorded", "anger-management", ">high<"):
        assert raw not in re.sub(r'data-[a-z-]+="[^"]*"', "", html), raw


def test_a_partner_sees_other_schemes_breakdowns_as_published_and_no_typed_in_name(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    seed(engine)
    signed_in(client, "partner", schemes=["cdap"])
    html = client.get("/dashboard?year=2024/25&quarter=Q2").get_data(as_text=True)
    assert breakdown(html, "davss.referrals", "risk") == ["Standard fewer than 5", "High [c]"]
    category = breakdown(html, "mediation.clients", "category")
    assert category == ["[not named 1] [c]", "Not recorded fewer than 5"]
    assert "Anger management" not in html


def test_the_summary_page_shows_the_breakdowns_under_the_figures_table_row(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    seed(engine)
    stored = generate(engine, FinancialYear(2024).quarter(1), SCHEDULED, only_if_missing=False,
                      now=datetime(2025, 6, 1, tzinfo=UTC))
    assert stored is not None
    signed_in(client, "admin")
    html = client.get(f"/summaries/{stored.id}").get_data(as_text=True)
    assert breakdown(html, "davss.referrals", "risk") == ["High 6"]
    assert breakdown(html, "davss.referrals", "gender") == ["Female 6"]
    assert breakdown(html, "mediation.clients", "category") == ["Anger management 7",
                                                                "Not recorded 1"]


def test_which_way_is_better_is_set_in_the_figure_form_and_colours_the_dashboard(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    log(engine, *[notice("cpw", case=f"A-{n}", occurred_at="2024-05-01") for n in range(3)],
        notice("cpw", case="A-9", occurred_at="2025-05-01"))
    signed_in(client, "admin")
    page = client.get("/dashboard?year=2025/26&quarter=Q1").get_data(as_text=True)
    row = page[page.index('id="figure-asb.cpw"'):]
    row = row[:row.index("</tr>")]
    assert "down 2 (\u221267%)" in row and "govuk-tag--" not in row
    draft = [("label", "Community Protection Warnings issued"), ("scheme", "asb-casework"),
             ("types", "notice.issued"), ("measure", "count"), ("where-notice", "cpw"),
             ("counts", "people")]
    form = text(client.get("/plan/2025-26/figures/asb.cpw",
                           query_string=[("show", "details"), *draft]))
    assert "Which way is better?" in form
    assert re.search(r'name="better" type="radio" value="neither" checked', form), form
    preview = post(client, "/plan/2025-26/figures/asb.cpw", [*draft, ("better", "lower")])
    body = text(preview)
    assert "Figures whose better direction changed" in body and "Lower is better" in body
    assert confirm(client, preview, "A fall in warnings is good news").status_code == 303
    page = client.get("/dashboard?year=2025/26&quarter=Q1").get_data(as_text=True)
    row = page[page.index('id="figure-asb.cpw"'):]
    row = row[:row.index("</tr>")]
    assert ('govuk-tag govuk-tag--green app-change" data-tone="good">down 2 (\u221267%)'
            '<span class="govuk-visually-hidden">, better</span>') in row
