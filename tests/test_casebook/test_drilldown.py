"""The drill-down behind a figure lists what the figure counts: for every measure the rows, over
every page and in the CSV, number exactly the figure; voids are left out; 50 rows a page."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from events.db import reading
from events.quarters import FinancialYear
from projections.figures import FigureReader
from tests.helpers import event, log, notice, referral, value, void
from tests.test_casebook.conftest import SignedIn
from tests.test_casebook.page_reading import text_of
from tests.test_protection.test_access_log import last_row, rows_of, written

YEAR = "2024/25"


def pages_of(client: FlaskClient, url: str) -> list[str]:
    """Every page of a drill-down, following its pagination's "next" links from `url`."""
    pages = []
    next_url: str | None = url
    while next_url is not None:
        response = client.get(next_url)
        assert response.status_code == 200, next_url
        html = response.get_data(as_text=True)
        pages.append(html)
        found = re.search(r'<div class="govuk-pagination__next">\s*<a[^>]*href="([^"]+)"', html)
        next_url = unescape(found.group(1)) if found else None
    return pages


def row_keys(html: str) -> list[str]:
    """What each listed row stands for (an event id, a case, a member, a quarter)."""
    return [unescape(key) for key in re.findall(r'<tr class="govuk-table__row" data-row="([^"]*)"',
                                                html)]


def all_rows(client: FlaskClient, url: str) -> list[str]:
    return [key for html in pages_of(client, url) for key in row_keys(html)]


def csv_rows(client: FlaskClient, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def figure_of(engine: Engine, figure_id: str, quarter: str | None = None) -> tuple[object, int]:
    """The figure's value and (for a rate) its base, as the read models give them."""
    year = FinancialYear.parse(YEAR)
    period = year if quarter is None else year.quarter(int(quarter[1]))
    with reading(engine) as connection:
        found = FigureReader(connection, year).values([period])[(figure_id, period)]
    return found.value, found.base or 0


def test_a_count_lists_one_row_per_event_50_a_page_and_the_csv_every_row(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    counted = log(engine, *[notice("cpw", case=f"A-{n}", occurred_at=f"2024-05-{n % 28 + 1:02d}")
                            for n in range(120)])
    voided = log(engine, *[notice("cpw", case="V-1", occurred_at="2024-06-01") for _ in range(3)],
                 notice("cpn", case="A-1", occurred_at="2024-06-03"))[:3]
    log(engine, *[void(e) for e in voided])
    assert value(engine, "asb.cpw", quarter="Q1") == 120
    signed_in(client, "officer")
    url = f"/dashboard/figures/asb.cpw?year={YEAR}&quarter=Q1"
    pages = pages_of(client, url)
    assert [len(row_keys(html)) for html in pages] == [50, 50, 20]
    assert "120 events behind this figure" in unescape(re.sub(r"<[^>]+>", "", pages[0]))
    listed = [key for html in pages for key in row_keys(html)]
    assert listed == [e.event_id for e in counted]  # the order stored, page after page
    assert row_keys(client.get(url + "&page=2").get_data(as_text=True)) == listed[50:100]
    assert client.get(url + "&page=4").status_code == 404
    assert client.get(url + "&page=0").status_code == 404
    assert 'class="govuk-pagination' in pages[0] and 'aria-current="page"' in pages[0]
    rows = csv_rows(client, f"/dashboard/figures/asb.cpw.csv?year={YEAR}&quarter=Q1")
    assert [r["Event ID"] for r in rows] == listed
    assert [r["Row"] for r in rows] == [str(n) for n in range(1, 121)]
    assert list(rows[0]) == ["Row", "Event ID", "Event", "Case", "Happened", "Recorded by",
                             "Details"]
    everything = "".join(pages) + str(rows)
    assert not any(e.event_id in everything for e in voided)


def test_a_sum_lists_each_counted_event_with_the_amount_it_adds(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    def course(attendees: int, day: str = "2024-05-10") -> dict:
        return event("programme.delivered", "freedom-programme", day, run="Spring",
                     attendees=attendees)

    stored = log(engine, course(12), course(0), course(7), course(30, "2024-08-01"), course(5))
    log(engine, void(stored[4]))
    total = value(engine, "freedom.attendees", quarter="Q1")
    assert total == 19
    signed_in(client, "officer")
    url = f"/dashboard/figures/freedom.attendees?year={YEAR}&quarter=Q1"
    assert all_rows(client, url) == [stored[0].event_id, stored[2].event_id]
    assert "2 events behind this figure, adding up to 19" in text_of(client.get(url))
    rows = csv_rows(client, f"/dashboard/figures/freedom.attendees.csv?year={YEAR}&quarter=Q1")
    assert sum(int(r["Attendees"]) for r in rows) == total
    year = csv_rows(client, f"/dashboard/figures/freedom.attendees.csv?year={YEAR}")
    assert sum(int(r["Attendees"]) for r in year) == value(engine, "freedom.attendees") == 49


def test_a_distinct_figure_lists_one_row_per_case_with_its_events_beneath(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    many = [referral("asb-casework", "2024-05-01", case="ASB-1"),
            notice("cpw", case="ASB-1", occurred_at="2024-05-09"),
            notice("cpn", case="ASB-1", occurred_at="2024-06-09"),
            referral("asb-casework", "2024-05-02", case="ASB-2"),
            referral("asb-casework", "2024-05-03", case="ASB-3")]
    stored = log(engine, *many, *[referral("asb-casework", "2024-06-01", case=f"ASB-{n}")
                                  for n in range(4, 64)])
    gone = log(engine, referral("asb-casework", "2024-05-04", case="ASB-GONE"))
    log(engine, void(gone[0]), void(stored[4]))  # ASB-3 had only the voided referral
    figure = value(engine, "asb.cases", quarter="Q1")
    assert figure == 62
    signed_in(client, "officer")
    url = f"/dashboard/figures/asb.cases?year={YEAR}&quarter=Q1"
    cases = all_rows(client, url)
    assert len(cases) == figure and cases[:2] == ["ASB-1", "ASB-2"]
    assert "ASB-3" not in cases and "ASB-GONE" not in cases
    first = client.get(url).get_data(as_text=True)
    row = first[first.index('data-row="ASB-1"'):]
    row = row[: row.index("</tr>")]
    assert all(f"/events/{e.event_id}" in row for e in stored[:3])
    assert "62 cases behind this figure, from 64 events" in text_of(client.get(url))
    rows = csv_rows(client, f"/dashboard/figures/asb.cases.csv?year={YEAR}&quarter=Q1")
    assert [r["Case"] for r in rows] == cases
    assert rows[0]["Events"] == "3" and rows[0]["Event IDs"].split() == [
        e.event_id for e in stored[:3]]


def test_a_distinct_figure_of_a_field_counts_each_value_once_and_keeps_it_spreadsheet_safe(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    def placed(asset: str, day: str) -> dict:
        return event("deployment.made", "mobile-cctv", day, asset=asset, location="High St")

    log(engine, placed("camera 1", "2024-04-02"), placed("=camera 2", "2024-04-03"),
        placed("camera 1", "2024-09-02"), placed("camera 3", "2024-10-02"))
    assert value(engine, "cctv.cameras") == 3
    signed_in(client, "officer")
    url = f"/dashboard/figures/cctv.cameras?year={YEAR}"
    assert all_rows(client, url) == ["camera 1", "=camera 2", "camera 3"]
    rows = csv_rows(client, f"/dashboard/figures/cctv.cameras.csv?year={YEAR}")
    assert [r["Asset"] for r in rows] == ["camera 1", "'=camera 2", "camera 3"]
    assert rows[0]["Events"] == "2"


def test_a_repeat_rate_lists_every_referral_with_the_repeats_marked(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    log(engine, referral(occurred_at="2024-01-10", subject="S-OLD"))  # the year before
    q1 = log(engine, referral(occurred_at="2024-04-10", subject="S-1"),
             referral(occurred_at="2024-05-10", subject="S-1"),
             referral(occurred_at="2024-06-10", subject="S-1"),
             referral(occurred_at="2024-04-11", subject="S-2"),
             referral(occurred_at="2024-04-12", subject="S-OLD"),
             referral(occurred_at="2024-04-13"),
             referral(occurred_at="2024-04-14", subject="S-2"))
    log(engine, void(q1[-1]))
    rate, base = figure_of(engine, "davss.repeat_rate", "Q1")
    assert base == 6 and rate == round(3 / 6, 4)
    signed_in(client, "officer")
    url = f"/dashboard/figures/davss.repeat_rate?year={YEAR}&quarter=Q1"
    assert all_rows(client, url) == [e.event_id for e in q1[:-1]]
    page = client.get(url)
    html = page.get_data(as_text=True)
    marked = [key for key in row_keys(html)
              if "govuk-tag" in html[html.index(f'data-row="{key}"'):].split("</tr>")[0]]
    assert marked == [q1[1].event_id, q1[2].event_id, q1[4].event_id]
    assert "3 repeats among 6 referrals behind this figure" in text_of(page)
    assert "another referral of the same subject in the 12 months before" in text_of(page)
    rows = csv_rows(client, f"/dashboard/figures/davss.repeat_rate.csv?year={YEAR}&quarter=Q1")
    assert len(rows) == base
    assert sum(r["Repeat"] == "yes" for r in rows) / len(rows) == rate


def test_an_active_figure_lists_each_member_active_at_the_end_of_the_period_once(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    def member(kind: str, name: str, day: str) -> dict:
        return event(f"member.{kind}", "safer-towns", day, member=name)

    stored = log(engine, member("joined", "Bakery", "2024-02-01"),
                 member("joined", "Chemist", "2024-03-01"),
                 member("left", "Bakery", "2024-05-01"),
                 member("joined", "Bakery", "2024-06-01"),
                 member("joined", "=Florist", "2024-06-02"),
                 member("joined", "Grocer", "2024-06-03"),
                 member("joined", "Deli", "2024-08-01"))
    log(engine, void(stored[5]))
    assert value(engine, "safer_towns.members", quarter="Q1") == 3
    signed_in(client, "officer")
    url = f"/dashboard/figures/safer_towns.members?year={YEAR}&quarter=Q1"
    assert all_rows(client, url) == ["Bakery", "Chemist", "=Florist"]
    html = client.get(url).get_data(as_text=True)
    bakery = html[html.index('data-row="Bakery"'):].split("</tr>")[0]
    assert all(f"/events/{e.event_id}" in bakery for e in (stored[0], stored[2], stored[3]))
    rows = csv_rows(client, f"/dashboard/figures/safer_towns.members.csv?year={YEAR}&quarter=Q1")
    assert [r["Member"] for r in rows] == ["Bakery", "Chemist", "'=Florist"]
    assert rows[0]["Last joined"] == "1 June 2024"
    year = all_rows(client, f"/dashboard/figures/safer_towns.members?year={YEAR}")
    assert len(year) == value(engine, "safer_towns.members") == 4 and year[-1] == "Deli"


def test_a_returns_figure_lists_the_return_that_counts_per_quarter_and_those_it_replaced(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    def idva_return(quarter: str, people: int) -> dict:
        return event("return.submitted", "idva", "2024-10-05", indicator="people-supported",
                     quarter=quarter, value=people)

    first, corrected, second, withdrawn = log(
        engine, idva_return("2024/25 Q1", 80), idva_return("2024/25 Q1", 85),
        idva_return("2024/25 Q2", 90), idva_return("2024/25 Q2", 95))
    log(engine, void(withdrawn))
    total = value(engine, "idva.supported")
    assert total == 175
    signed_in(client, "officer")
    url = f"/dashboard/figures/idva.supported?year={YEAR}"
    assert all_rows(client, url) == [f"{YEAR} Q1", f"{YEAR} Q2"]
    page = client.get(url)
    assert re.findall(r'data-replaced="([^"]+)"', page.get_data(as_text=True)) == [
        first.event_id]
    assert withdrawn.event_id not in page.get_data(as_text=True)
    assert "2 returns counted" in text_of(page) and "1 earlier return replaced" in text_of(page)
    rows = csv_rows(client, f"/dashboard/figures/idva.supported.csv?year={YEAR}")
    assert [r["Event ID"] for r in rows] == [corrected.event_id, second.event_id]
    assert sum(int(r["Value"]) for r in rows) == total
    assert first.event_id in rows[0]["Replaced returns"] and rows[1]["Replaced returns"] == ""


def test_who_may_not_read_the_events_gets_the_count_only_and_no_csv(
    app: Flask, signed_in: SignedIn, engine: Engine
) -> None:
    stored = log(engine, *[referral(occurred_at="2024-05-01", case=f"DA-{n}") for n in range(7)])
    page, download = f"/dashboard/figures/davss.referrals?year={YEAR}", (
        f"/dashboard/figures/davss.referrals.csv?year={YEAR}")
    viewer = app.test_client()
    signed_in(viewer, "viewer")
    response = viewer.get(page)
    assert "7 events behind this figure" in text_of(response)
    assert not row_keys(response.get_data(as_text=True)) and "DA-1" not in text_of(response)
    assert "figure-csv" not in response.get_data(as_text=True)
    assert viewer.get(download).status_code == 403
    other = app.test_client()
    signed_in(other, "partner", schemes=["idva"])
    response = other.get(page)
    assert "Referrals to DAVSS: 7" in text_of(response)
    assert "behind this figure" not in text_of(response)
    assert "/events/" not in response.get_data(as_text=True)
    assert not any(e.event_id in response.get_data(as_text=True) for e in stored)
    assert other.get(download).status_code == 403
    own = app.test_client()
    signed_in(own, "partner", schemes=["davss"])
    assert len(csv_rows(own, download)) == 7


def test_the_csv_is_logged_as_the_page_is_and_a_refusal_of_it_not_at_all(
    app: Flask, signed_in: SignedIn, engine: Engine
) -> None:
    log(engine, referral(occurred_at="2024-05-01", case="DA-CSV", subject="S-CSV"))
    path = f"/dashboard/figures/davss.referrals.csv?year={YEAR}"
    officer_client, viewer_client = app.test_client(), app.test_client()
    officer = signed_in(officer_client, "officer")
    signed_in(viewer_client, "viewer")
    mark = last_row(engine)
    assert "S-CSV" in officer_client.get(path).get_data(as_text=True)
    assert written(engine, mark) == [(officer.username, "figure-events-read", path)]
    assert rows_of(engine, lambda: viewer_client.get(path)) == []
