"""The dashboard's figures and comparisons, and the list of events behind each figure."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from projections.presentation.chart import bar_chart
from tests.helpers import event, log, notice, referral, value, void
from tests.test_casebook.conftest import SignedIn
from tests.test_casebook.page_reading import text_of


def cell(html: str, figure: str, period: str) -> str:
    found = re.search(rf'data-figure="{re.escape(figure)}" data-period="{period}">([^<]*)<', html)
    assert found, f"no {figure} {period} on the page"
    return found.group(1)


def listed_ids(html: str) -> list[str]:
    return re.findall(r'href="/events/([0-9a-f-]{36})"', html)


def test_every_role_sees_the_figures_per_quarter_and_to_date_against_last_year(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    log(engine, referral(occurred_at="2023-05-01"), referral(occurred_at="2024-05-01"),
        referral(occurred_at="2024-05-02"), referral(occurred_at="2024-08-01"))
    for role in ("admin", "officer", "partner", "viewer"):
        signed_in(client, role, schemes=["davss"] if role == "partner" else [])
        response = client.get("/dashboard?year=2024/25&quarter=Q2")
        assert response.status_code == 200, role
        html = response.get_data(as_text=True)
        assert cell(html, "davss.referrals", "Q1") == "2"
        assert cell(html, "davss.referrals", "Q2") == "1"
        assert cell(html, "davss.referrals", "year") == "3"
        row = html[html.index('id="figure-davss.referrals"'):]
        row = row[: row.index("</tr>")]
        assert "last year 1" in row and "last year 1, up 2 (+200%)" in re.sub(r"<[^>]+>", "", row)
        trend = html[html.index('id="trend-davss.referrals"'):]
        trend = trend[: trend.index("</tr>")]
        assert "<svg" in trend and 'role="img"' in trend


def test_the_dashboard_is_for_this_financial_year_unless_another_is_chosen(
    client: FlaskClient, signed_in: SignedIn
) -> None:
    signed_in(client, "viewer")
    page = text_of(client.get("/dashboard"))
    assert re.search(r"Dashboard 20\d\d/\d\d", page)
    assert "Dashboard 2023/24" in text_of(client.get("/dashboard?year=2023/24"))
    assert client.get("/dashboard?year=2023").status_code == 404
    assert client.get("/dashboard?year=2023/24&quarter=Q5").status_code == 404


def test_rates_are_shown_as_percentages(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    log(engine, referral(occurred_at="2024-05-01", subject="S1"),
        referral(occurred_at="2024-05-20", subject="S1"))
    assert value(engine, "davss.repeat_rate", quarter="Q1") == 0.5
    signed_in(client, "officer")
    html = client.get("/dashboard?year=2024/25").get_data(as_text=True)
    assert cell(html, "davss.repeat_rate", "Q1") == "50.0%"


def test_the_drill_down_lists_exactly_the_events_behind_the_figure(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    cpws = log(engine, notice("cpw", case="A-1", occurred_at="2024-05-01"),
               notice("cpw", case="A-2", occurred_at="2024-06-01"))
    voided, _ = log(engine, notice("cpw", case="A-3", occurred_at="2024-06-02"),
                    notice("cpn", case="A-1", occurred_at="2024-06-03"))
    log(engine, void(voided), notice("cpw", case="A-4", occurred_at="2024-07-01"),
        notice("cpw", case="D-1", scheme="pspo-vehicles", occurred_at="2024-05-01"))
    signed_in(client, "officer")
    response = client.get("/dashboard/figures/asb.cpw?year=2024/25&quarter=Q1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert value(engine, "asb.cpw", quarter="Q1") == 2
    assert listed_ids(html) == [e.event_id for e in cpws]
    assert "2 events behind this figure" in text_of(response)
    year = client.get("/dashboard/figures/asb.cpw?year=2024/25").get_data(as_text=True)
    assert len(listed_ids(year)) == value(engine, "asb.cpw") == 3


def test_the_drill_down_applies_the_figures_filter_on_data(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    log(engine, event("application.received", "asb-case-review", "2024-05-01", case="C-1"),
        event("application.received", "asb-case-review", "2024-05-01", case="C-2"))
    yes, _ = log(engine,
                  event("threshold.decided", "asb-case-review", "2024-05-02", case="C-1", met=True),
                  event("threshold.decided", "asb-case-review", "2024-05-02", case="C-2", met=False))
    signed_in(client, "officer")
    html = client.get("/dashboard/figures/case_review.threshold_met?year=2024/25").get_data(
        as_text=True)
    assert listed_ids(html) == [yes.event_id]


def test_viewers_see_the_count_and_partners_of_other_schemes_the_published_value_only(
    client: FlaskClient, signed_in: SignedIn, engine: Engine, app: object
) -> None:
    [stored] = log(engine, referral(occurred_at="2024-05-01", case="DA-1"))
    url = "/dashboard/figures/davss.referrals?year=2024/25"
    signed_in(client, "viewer")
    response = client.get(url)
    assert "1 event behind this figure" in text_of(response)
    assert stored.event_id not in response.get_data(as_text=True)
    assert "DA-1" not in response.get_data(as_text=True)

    partner = app.test_client()  # type: ignore[attr-defined]
    signed_in(partner, "partner", schemes=["idva"])
    response = partner.get(url)
    assert "Referrals to DAVSS: fewer than 5" in text_of(response)
    assert "behind this figure" not in text_of(response)
    assert stored.event_id not in response.get_data(as_text=True)
    own = app.test_client()  # type: ignore[attr-defined]
    signed_in(own, "partner", schemes=["davss"])
    assert listed_ids(own.get(url).get_data(as_text=True)) == [stored.event_id]


def test_a_partner_sees_another_schemes_year_to_date_only_where_it_gives_no_quarter_away(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    log(engine, *[referral(occurred_at="2024-05-01") for _ in range(2)],
        *[referral(occurred_at="2024-08-01") for _ in range(10)],
        *[referral(occurred_at="2024-11-01") for _ in range(10)])
    signed_in(client, "partner", schemes=["idva"])
    html = client.get("/dashboard?year=2024/25&quarter=Q1").get_data(as_text=True)
    assert [cell(html, "davss.referrals", q) for q in ("Q1", "Q2", "Q3", "Q4")] == [
        "fewer than 5", "[c]", "10", "0"]
    # Q1 to date is Q1 itself; Q1 and Q2 to date add up the hidden pair, the year less Q3.
    assert cell(html, "davss.referrals", "year") == "fewer than 5"
    html = client.get("/dashboard?year=2024/25&quarter=Q2").get_data(as_text=True)
    assert cell(html, "davss.referrals", "year") == "12"
    assert cell(html, "asb.cpw", "year") == "0"


def test_an_unknown_figure_is_not_found(client: FlaskClient, signed_in: SignedIn) -> None:
    signed_in(client, "officer")
    assert client.get("/dashboard/figures/no.such?year=2024/25").status_code == 404


def test_a_chart_has_a_bar_per_quarter_and_says_its_values_in_words() -> None:
    svg = bar_chart([("2024/25 Q1", 2.0, "2"), ("2024/25 Q2", None, "–"),
                     ("2024/25 Q3", 4.0, "4")], title="Referrals", chart_id="c")
    assert svg.count("<rect") == 3
    assert '<desc id="c-desc">2024/25 Q1: 2; 2024/25 Q2: –; 2024/25 Q3: 4</desc>' in svg
    heights = [float(h) for h in re.findall(r'<rect[^>]*height="([\d.]+)"', svg)]
    assert heights[2] == 2 * heights[0] and heights[1] == 0


def test_a_returns_figure_lists_only_the_return_stored_last_for_each_quarter(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    def idva_return(quarter: str, people: int, indicator: str = "people-supported") -> dict:
        return event("return.submitted", "idva", "2024-10-05", indicator=indicator,
                     quarter=quarter, value=people)

    [first] = log(engine, idva_return("2024/25 Q1", 80))
    corrected, second, _ = log(engine, idva_return("2024/25 Q1", 85),
                               idva_return("2024/25 Q2", 90),
                               idva_return("2024/25 Q2", 7, indicator="referrals"))
    assert value(engine, "idva.supported") == 175
    signed_in(client, "officer")
    html = client.get("/dashboard/figures/idva.supported?year=2024/25").get_data(as_text=True)
    replaced = re.findall(r'data-replaced="([0-9a-f-]{36})"', html)
    assert replaced == [first.event_id]
    assert [i for i in listed_ids(html) if i not in replaced] == [corrected.event_id,
                                                                  second.event_id]


def test_an_active_figure_lists_who_is_active_at_the_end_of_the_period(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    def member(kind: str, name: str, day: str) -> dict:
        return event(f"member.{kind}", "safer-towns", day, member=name)

    events = log(engine, member("joined", "Bakery", "2024-02-01"),
                 member("joined", "Chemist", "2024-03-01"),
                 member("left", "Bakery", "2024-05-01"),
                 member("joined", "Florist", "2024-08-01"))
    assert value(engine, "safer_towns.members", quarter="Q1") == 1
    signed_in(client, "officer")
    response = client.get("/dashboard/figures/safer_towns.members?year=2024/25&quarter=Q1")
    # The Bakery joined and left; the Chemist, still in, is listed with its joining.
    assert listed_ids(response.get_data(as_text=True)) == [events[1].event_id]
