"""Cases: search, the case page's timeline, voiding an event, and who may see which case."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from events.tables import schemes
from tests.helpers import event, log, notice, referral, value, void
from tests.test_casebook.conftest import SignedIn
from tests.test_casebook.page_reading import error_summary_links, post_form, text_of


def case_links(response_text: str) -> list[str]:
    return re.findall(r'href="/cases/([^"]+)"', response_text)


def test_cases_are_found_by_exact_reference_or_its_start(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    log(engine, notice("cpw", case="ASB-2024-0031"), notice("cpw", case="ASB-2024-0032"),
        notice("cpw", case="ASB-2025-0001"), referral(case="DA-1"))
    assert case_links(client.get("/cases?q=ASB-2024-0031").get_data(as_text=True)) == [
        "ASB-2024-0031"]
    assert sorted(case_links(client.get("/cases?q=asb-2024").get_data(as_text=True))) == [
        "ASB-2024-0031", "ASB-2024-0032"]
    assert len(case_links(client.get("/cases").get_data(as_text=True))) == 4
    assert "No cases found" in text_of(client.get("/cases?q=NOPE"))


def test_the_case_page_shows_every_event_with_who_and_when(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    log(engine, notice("cpw", case="ASB-1", occurred_at="2024-05-01"), user="j.smith")
    log(engine, notice("cpn", case="ASB-1", occurred_at="2024-06-01T09:15:00"), user="a.khan")
    page = client.get("/cases/ASB-1")
    words = text_of(page)
    assert "Case ASB-1" in words and "Opened 1 May 2024" in words and "Status Open" in words
    assert "Notice Community Protection Warning (CPW)" in words and "by j.smith" in words
    assert "Happened 1 June 2024 at 9:15am" in words and "by a.khan" in words
    html = page.get_data(as_text=True)
    assert html.index("(CPN)") < html.index("(CPW)"), "newest first"
    assert "/log/asb-casework?case=ASB-1&amp;seen=2" in html


def test_a_case_whose_latest_event_closed_it_is_closed_until_something_reopens_it(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    log(engine, referral(case="DA-5", occurred_at="2024-05-01"),
        event("case.closed", "davss", "2024-05-10", case="DA-5"))
    assert "Status Closed" in text_of(client.get("/cases/DA-5"))
    log(engine, referral(case="DA-5", occurred_at="2024-06-01"))
    assert "Status Open" in text_of(client.get("/cases/DA-5"))


def test_voiding_asks_for_a_reason_and_strikes_the_event_through(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    user = signed_in(client, "officer")
    [stored] = log(engine, referral(case="DA-3", risk="high"))
    url = f"/events/{stored.event_id}/void"
    blank = post_form(client, url, {"reason": "   "})
    assert blank.status_code == 422
    assert error_summary_links(blank) == {"reason": "Enter why this event is being voided"}
    assert value(engine, "davss.referrals") == 1

    done = post_form(client, url, {"reason": "Logged in the wrong case"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/cases/DA-3")
    page = client.get("/cases/DA-3")
    html = page.get_data(as_text=True)
    assert "<del>Referral received</del>" in html
    assert f"Voided by {user.username}" in text_of(page)
    assert "Reason: Logged in the wrong case" in text_of(page)
    assert "Referral received voided" in text_of(page)
    assert value(engine, "davss.referrals") == 0
    assert client.get(url).status_code == 404, "an event cannot be voided twice"


def test_a_void_sent_after_the_case_changed_shows_what_changed(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    [first] = log(engine, referral(case="DA-4", occurred_at="2024-05-01"))
    form_url = f"/events/{first.event_id}/void?seen=1"
    client.get(form_url)
    log(engine, referral(case="DA-4", occurred_at="2024-05-02", source="school"), user="b.lee")
    response = post_form(client, f"/events/{first.event_id}/void", {"reason": "Duplicate"},
                         form_url=form_url)
    assert response.status_code == 409
    words = text_of(response)
    assert "This case changed while you were working on it" in words
    assert "Referred by School" in words and "by b.lee" in words
    assert 'Duplicate</textarea>' in response.get_data(as_text=True)
    assert value(engine, "davss.referrals") == 2


def test_a_partner_finds_and_opens_only_their_own_schemes_cases(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "partner", schemes=["davss"])
    [cpw] = log(engine, notice("cpw", case="ASB-9"))
    log(engine, referral(case="DA-9"))
    assert case_links(client.get("/cases").get_data(as_text=True)) == ["DA-9"]
    assert case_links(client.get("/cases?q=ASB-9").get_data(as_text=True)) == []
    assert client.get("/cases/ASB-9").status_code == 404
    assert client.get(f"/events/{cpw.event_id}").status_code == 404
    assert client.get(f"/events/{cpw.event_id}/void").status_code == 404
    assert client.get("/cases/DA-9").status_code == 200


def test_a_viewer_sees_no_cases(client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    signed_in(client, "viewer")
    log(engine, referral(case="DA-9"))
    assert client.get("/cases").status_code == 403
    assert client.get("/cases/DA-9").status_code == 403


def test_personal_fields_and_void_reasons_are_shown_as_written_to_those_who_may_read_them(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    [stored] = log(engine, referral(case="DA-8", subject="SUBJ-77", category="family"))
    log(engine, event("case.closed", "davss", "2024-06-01", case="DA-8", outcome="Rehoused"))
    log(engine, void(stored, reason="Wrong subject reference"))
    words = text_of(client.get("/cases/DA-8"))
    assert "Subject reference SUBJ-77" in words
    assert "Outcome Rehoused" in words
    assert "Reason: Wrong subject reference" in words
    event_log = client.get("/events/events.csv?scheme=davss").get_data(as_text=True)
    assert "SUBJ-77" in event_log and "Wrong subject reference" in event_log


def test_a_retired_schemes_cases_are_read_only(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    log(engine, referral(case="DA-6"))
    with engine.begin() as connection:
        connection.execute(sa.update(schemes).where(schemes.c.scheme_id == "davss")
                           .values(retired_at=datetime.now(UTC)))
    html = client.get("/cases/DA-6").get_data(as_text=True)
    assert "Referral received" in html
    assert "Log an event in this case" not in html and "Void this event" not in html
    assert client.get("/log/davss/referral.received").status_code == 404
