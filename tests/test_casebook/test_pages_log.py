"""Logging an event through the pages: choices, the generated form, errors, rules and conflicts."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from tests.helpers import ON_SQLITE_ONLY, log, notice, referral, value
from tests.test_casebook.conftest import SignedIn
from tests.test_casebook.page_reading import (
    date_fields,
    error_summary_links,
    hidden_fields,
    post_form,
    text_of,
)

pytestmark = ON_SQLITE_ONLY

REFERRAL_FORM = "/log/davss/referral.received"


def test_an_officer_logs_a_referral_and_sees_it_on_its_case(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    user = signed_in(client, "officer")
    response = post_form(client, REFERRAL_FORM, {
        "case": "DA-2024-0001", **date_fields("3", time="14:30"), "data-risk": "high",
        "data-gender": "female", "data-source": "police",
    })
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/cases/DA-2024-0001")
    page = text_of(client.get(response.headers["Location"]))
    assert "Referral received logged in case DA-2024-0001" in page
    assert "Risk level High" in page and "Referred by Police" in page
    assert f"by {user.username}" in page
    assert "Happened 3 May 2024 at 2:30pm" in page
    assert value(engine, "davss.referrals") == 1


def test_a_caseless_event_is_shown_on_its_own_page(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    response = post_form(client, "/log/kenward-trust/engagement.recorded", {
        **date_fields("3"), "data-kind": "outreach", "data-people": "12",
        "data-location": "Tonbridge",
    })
    assert response.status_code == 303
    assert "/events/" in response.headers["Location"]
    page = text_of(client.get(response.headers["Location"]))
    assert "Engagement recorded logged" in page
    assert "People engaged 12" in page
    assert value(engine, "kenward.people") == 12


def test_choosing_a_scheme_and_a_type_leads_to_the_generated_form(
    client: FlaskClient, signed_in: SignedIn
) -> None:
    signed_in(client, "officer")
    assert client.get("/log?scheme=davss").headers["Location"].endswith("/log/davss")
    chosen = client.get("/log/davss?type=referral.received&case=DA-9")
    assert chosen.headers["Location"].endswith("/log/davss/referral.received?case=DA-9")
    form = client.get("/log/davss/referral.received?case=DA-9").get_data(as_text=True)
    assert 'name="case"' in form and 'value="DA-9"' in form
    assert 'name="occurred-day"' in form and 'name="occurred-year"' in form
    assert 'type="radio"' in form and 'name="data-risk"' in form
    assert '<select class="govuk-select" id="data-source" name="data-source"' in form
    nothing_chosen = client.get("/log/davss?type=")
    assert nothing_chosen.status_code == 200
    assert error_summary_links(nothing_chosen) == {"type": "Select what happened"}


def test_mistakes_are_listed_in_an_error_summary_linked_to_each_field_with_the_input_kept(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    response = post_form(client, "/log/asb-case-review/panel.held", {
        **date_fields("31", month="2"), "data-recommendations": "several",
        "data-cases": "CR-1\nCR-2",
    })
    assert response.status_code == 422
    assert error_summary_links(response) == {
        "occurred-day": "Date of the panel must be a real date",
        "data-panel": "Select panel",
        "data-recommendations": "Recommendations made must be a whole number, like 12",
    }
    html = response.get_data(as_text=True)
    assert html.startswith("<!DOCTYPE html>") and "<title>Error: Panel held" in html
    assert 'value="several"' in html and "CR-1\nCR-2" in html and 'value="31"' in html
    assert 'id="data-recommendations-error"' in html
    assert value(engine, "case_review.reviews") == 0


def test_a_cpn_without_a_cpw_is_explained_in_words_next_to_the_notice(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    response = post_form(client, "/log/asb-casework/notice.issued", {
        "case": "ASB-2024-0031", **date_fields("3"), "data-notice": "cpn",
    })
    assert response.status_code == 422
    message = error_summary_links(response)["data-notice"]
    assert message.startswith("A Community Protection Notice needs an earlier Community "
                              "Protection Warning (CPW) in the same case")
    assert 'value="cpn" checked' in response.get_data(as_text=True)
    log(engine, notice("cpw", case="ASB-2024-0031", occurred_at="2024-05-01"))
    again = post_form(client, "/log/asb-casework/notice.issued", {
        "case": "ASB-2024-0031", **date_fields("3"), "data-notice": "cpn",
    })
    assert again.status_code == 303
    assert value(engine, "asb.cpn") == 1


def test_a_stale_form_shows_what_changed_in_the_case_and_keeps_the_input(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    log(engine, referral(case="DA-7", occurred_at="2024-05-01"))
    form_url = "/log/davss/case.closed?case=DA-7&seen=1"
    page = client.get(form_url)
    assert hidden_fields(page.get_data(as_text=True))["case_version"] == "1"
    log(engine, referral(case="DA-7", occurred_at="2024-05-02", risk="high"), user="someone.else")
    response = post_form(client, "/log/davss/case.closed", {
        "case": "DA-7", **date_fields("4"), "data-outcome": "Moved away",
    }, form_url=form_url)
    assert response.status_code == 409
    page_text = text_of(response)
    assert "This case changed while you were working on it" in page_text
    assert "by someone.else" in page_text and "Risk level High" in page_text
    assert ">Moved away</textarea>" in response.get_data(as_text=True)
    assert hidden_fields(response.get_data(as_text=True))["case_version"] == "2"
    retried = client.post("/log/davss/case.closed", data=hidden_fields(
        response.get_data(as_text=True)) | {"case": "DA-7", **date_fields("4"),
                                            "data-outcome": "Moved away"})
    assert retried.status_code == 303
    assert "Status Closed" in text_of(client.get("/cases/DA-7"))


def test_sending_the_same_form_twice_stores_the_event_once(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    html = client.get(REFERRAL_FORM).get_data(as_text=True)
    # The user has answered yes to "This opens a new case".
    fields = hidden_fields(html) | {"case": "DA-1", "new_case": "DA-1", **date_fields("3")}
    first = client.post(REFERRAL_FORM, data=fields)
    second = client.post(REFERRAL_FORM, data=fields)
    assert first.status_code == second.status_code == 303
    assert value(engine, "davss.referrals") == 1


def test_a_partner_sees_and_logs_to_their_own_schemes_only(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "partner", schemes=["davss", "idva"])
    choices = client.get("/log").get_data(as_text=True)
    assert set(re.findall(r'name="scheme" type="radio" value="([^"]+)"', choices)) == {
        "davss", "idva"}
    assert client.get("/log/asb-casework").status_code == 403
    assert client.get("/log/asb-casework/notice.issued").status_code == 403
    token_page = client.get(REFERRAL_FORM).get_data(as_text=True)
    refused = client.post("/log/asb-casework/notice.issued", data=hidden_fields(token_page) | {
        "case": "ASB-1", **date_fields("3"), "data-notice": "cpw"})
    assert refused.status_code == 403
    assert value(engine, "asb.cpw") == 0
    assert post_form(client, REFERRAL_FORM, {"case": "DA-1", **date_fields("3")}).status_code == 303


def test_a_viewer_cannot_log_events(client: FlaskClient, signed_in: SignedIn) -> None:
    signed_in(client, "viewer")
    assert client.get("/log").status_code == 403
    assert client.get(REFERRAL_FORM).status_code == 403


def test_someone_not_signed_in_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get(REFERRAL_FORM)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_sent_form_changed_and_sent_again_asks_before_logging_a_second_event(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    fields = hidden_fields(client.get(REFERRAL_FORM).get_data(as_text=True)) | {"new_case": "DA-1"}
    assert client.post(REFERRAL_FORM, data=fields | {"case": "DA-1", **date_fields("3")}
                       ).status_code == 303
    changed = client.post(REFERRAL_FORM, data=fields | {"case": "DA-1", **date_fields("4")})
    assert changed.status_code == 409
    assert "This form has already logged an event" in text_of(changed)
    assert value(engine, "davss.referrals") == 1
    again = hidden_fields(changed.get_data(as_text=True))
    assert again["event_id"] != fields["event_id"]
    assert client.post(REFERRAL_FORM, data=again | {"case": "DA-1", **date_fields("4")}
                       ).status_code == 303
    assert value(engine, "davss.referrals") == 2
