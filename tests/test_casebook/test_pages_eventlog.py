"""The event log: filters, paging by position, and the CSV download, scoped to the user's schemes."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from casebook.web.pages import eventlog
from tests.helpers import event, log, notice, referral, void
from tests.test_casebook.conftest import MakeToken, SignedIn


def listed_ids(html: str) -> list[str]:
    return re.findall(r'href="/events/([0-9a-f-]{36})"', html)


def csv_rows(client: FlaskClient, query: str = "") -> list[dict[str, str]]:
    response = client.get("/events/events.csv" + query)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def logged(engine: Engine) -> dict[str, str]:
    """A few events of different schemes, types, dates and recorders."""
    a = log(engine, referral(case="DA-1", occurred_at="2024-05-01"), user="j.smith")[0]
    b = log(engine, notice("cpw", case="ASB-1", occurred_at="2024-06-01"), user="a.khan")[0]
    c = log(engine, referral(case="DA-2", occurred_at="2024-07-01", risk="high"), user="a.khan")[0]
    d = log(engine, event("incident.reported", "asb-enforcement", "2024-08-01",
                          category="flytipping", location="Tonbridge"), user="j.smith")[0]
    return {"a": a.event_id, "b": b.event_id, "c": c.event_id, "d": d.event_id}


def test_events_are_filtered_by_scheme_type_date_and_recorder(
    client: FlaskClient, signed_in: SignedIn, logged: dict[str, str]
) -> None:
    signed_in(client, "officer")

    def ids(query: str) -> list[str]:
        response = client.get("/events" + query)
        assert response.status_code == 200
        return listed_ids(response.get_data(as_text=True))

    assert ids("") == [logged[k] for k in "dcba"]
    assert ids("?scheme=davss") == [logged["c"], logged["a"]]
    assert ids("?type=notice.issued") == [logged["b"]]
    assert ids("?from=2024-06-01&to=2024-07-01") == [logged["c"], logged["b"]]
    assert ids("?recorded_by=j.smith") == [logged["d"], logged["a"]]
    assert ids("?scheme=davss&recorded_by=a.khan") == [logged["c"]]


def test_a_bad_date_filter_is_named_in_an_error_summary(
    client: FlaskClient, signed_in: SignedIn, logged: dict[str, str]
) -> None:
    signed_in(client, "officer")
    html = client.get("/events?from=2024-13-01").get_data(as_text=True)
    assert '<a href="#from">The ‘from’ date must be a real date, like 2024-04-01</a>' in html


def test_the_log_is_paged_by_position(
    client: FlaskClient, signed_in: SignedIn, logged: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(eventlog, "PAGE_SIZE", 3)
    signed_in(client, "officer")
    first = client.get("/events").get_data(as_text=True)
    assert listed_ids(first) == [logged[k] for k in "dcb"]
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older and "before=2" in older.group(1)
    second = client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert listed_ids(second) == [logged["a"]]
    assert 'rel="next"' not in second


def test_the_csv_holds_the_filtered_events_in_the_order_stored(
    client: FlaskClient, signed_in: SignedIn, logged: dict[str, str], engine: Engine
) -> None:
    signed_in(client, "officer")
    [voiding] = log(engine, void(referral_line(logged["a"]), reason="Wrong case"))
    rows = csv_rows(client, "?scheme=davss")
    assert [r["id"] for r in rows] == [logged["a"], logged["c"], voiding.event_id]
    assert rows[0]["voided"] == "yes" and rows[0]["void_reason"] == "Wrong case"
    assert rows[1]["case"] == "DA-2" and rows[1]["recorded_by"] == "a.khan"
    assert rows[1]["data"] == '{"risk": "high"}' and rows[1]["local_date"] == "2024-07-01"
    assert [r["type"] for r in csv_rows(client, "?type=event.voided")] == ["event.voided"]


def referral_line(event_id: str) -> dict[str, str]:
    return {"id": event_id, "scheme": "davss"}


def test_a_partner_sees_and_downloads_only_their_own_schemes_events(
    client: FlaskClient, signed_in: SignedIn, logged: dict[str, str]
) -> None:
    signed_in(client, "partner", schemes=["davss"])
    assert listed_ids(client.get("/events").get_data(as_text=True)) == [logged["c"], logged["a"]]
    assert [r["id"] for r in csv_rows(client)] == [logged["a"], logged["c"]]
    assert client.get("/events?scheme=asb-casework").status_code == 403
    assert client.get("/events/events.csv?scheme=asb-casework").status_code == 403
    assert "a.khan" in client.get("/events").get_data(as_text=True)
    assert client.get(f"/events/{logged['b']}").status_code == 404


def test_a_viewer_has_no_event_log(client: FlaskClient, signed_in: SignedIn) -> None:
    signed_in(client, "viewer")
    assert client.get("/events").status_code == 403
    assert client.get("/events/events.csv").status_code == 403


def test_the_csv_keeps_free_text_from_being_read_as_a_spreadsheet_formula(
    client: FlaskClient, signed_in: SignedIn, logged: dict[str, str], engine: Engine
) -> None:
    signed_in(client, "officer")
    log(engine, void(referral_line(logged["a"]), reason="=HYPERLINK(\"http://x\")"))
    [voided] = [r for r in csv_rows(client) if r["id"] == logged["a"]]
    assert voided["void_reason"] == "'=HYPERLINK(\"http://x\")"


@pytest.mark.parametrize("query", [
    "", "?scheme=davss", "?type=notice.issued", "?from=2024-06-01&to=2024-07-31",
    "?recorded_by=a.khan", "?case=DA-2", "?scheme=davss&recorded_by=a.khan&from=2024-06-01",
    "?scheme=", "?from=2024-13-01",
])
def test_the_page_its_csv_and_the_api_read_one_filter_alike(
    client: FlaskClient, signed_in: SignedIn, make_token: MakeToken, logged: dict[str, str],
    query: str,
) -> None:
    officer = make_token("officer")
    api = client.get("/api/events" + query, headers=officer.headers)
    signed_in(client, "officer")
    page = client.get("/events" + query)
    if "2024-13" in query:  # a date that cannot be read names its field on both
        assert api.status_code == 400 and "from" in api.get_json()["fields"]
        assert page.status_code == 400 or 'href="#from"' in page.get_data(as_text=True)
        return
    assert api.status_code == 200 and page.status_code == 200
    from_api = [line["id"] for line in api.get_json()["events"]]
    assert from_api == [row["id"] for row in csv_rows(client, query)]
    assert listed_ids(page.get_data(as_text=True)) == list(reversed(from_api))
    assert from_api  # every query above matches something
