"""Submit a return: the returns each scheme's plan expects, corrections, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from events.tables import events
from tests.helpers import ON_SQLITE_ONLY, adopt_edited, event, log, value
from tests.test_casebook.conftest import SignedIn, csrf_token_from
from tests.test_casebook.page_reading import error_summary_links, hidden_fields, post_form, text_of

pytestmark = ON_SQLITE_ONLY

#: 3 July 2025: the last ended quarter is 2025/26 Q1.
JULY_3 = datetime(2025, 7, 3, 10, 0, tzinfo=UTC)
JULY_9 = datetime(2025, 7, 9, 15, 0, tzinfo=UTC)
IDVA = "idva:people-supported"


def _mediation_reports_too(engine: Engine) -> None:
    """Mediation sends a return of cases resolved in 2025/26, as its plan's figure expects."""
    def edit(document: dict[str, Any]) -> None:
        for scheme in document["scheme"]:
            if scheme["id"] == "mediation":
                scheme["types"] = [*scheme["types"], "return.submitted"]
        document["figure"].append({
            "id": "mediation.resolved", "label": "Mediation cases resolved",
            "scheme": "mediation", "types": ["return.submitted"],
            "measure": "latest-return:cases-resolved"})

    adopt_edited(engine, "2025/26", edit)


def _submit(client: FlaskClient, data: dict[str, str]) -> TestResponse:
    return post_form(client, "/returns", data)


def _returns_stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(
            sa.select(sa.func.count()).where(events.c.type == "return.submitted")).scalar_one())


def test_the_form_lists_the_returns_each_of_the_partners_schemes_expects(
        app: Flask, client: FlaskClient, engine: Engine, signed_in: SignedIn) -> None:
    app.config["FROZEN_NOW"] = JULY_3
    _mediation_reports_too(engine)
    signed_in(client, "partner", ["idva", "mediation", "davss"])
    page = client.get("/returns")
    html, words = page.get_data(as_text=True), text_of(page)
    assert page.status_code == 200
    assert 'value="idva:people-supported"' in html and 'value="mediation:cases-resolved"' in html
    assert "IDVA service for high-risk victims · indicator people-supported" in words
    assert "Mediation cases resolved" in words
    assert 'inputmode="numeric"' in html
    assert '<option value="2025/26 Q1" selected>' in html  # the last ended quarter
    assert "2025/26 Q2" not in html  # not ended: not offered
    assert 'href="/returns"' in html  # "Submit a return" in the navigation


def test_a_partner_whose_schemes_send_no_returns_has_no_form_and_no_link(
        app: Flask, client: FlaskClient, signed_in: SignedIn) -> None:
    app.config["FROZEN_NOW"] = JULY_3
    signed_in(client, "partner", ["davss"])
    page = client.get("/returns")
    assert "None of the schemes you log to reports by quarterly return" in text_of(page)
    assert 'href="/returns"' not in client.get("/dashboard").get_data(as_text=True)


def test_a_correction_replaces_the_first_return_and_the_dashboard_counts_the_latest(
        app: Flask, client: FlaskClient, engine: Engine, signed_in: SignedIn) -> None:
    signed_in(client, "partner", ["idva"], username="pat")
    app.config["FROZEN_NOW"] = JULY_3
    first = _submit(client, {"indicator": IDVA, "quarter": "2025/26 Q1", "value": "334"})
    assert first.status_code == 303
    shown = client.get(first.headers["Location"])
    assert "Return submitted 334 for 2025/26 Q1" in text_of(shown)
    assert 'id="replaces"' not in shown.get_data(as_text=True)

    app.config["FROZEN_NOW"] = JULY_9
    second = _submit(client, {"indicator": IDVA, "quarter": "2025/26 Q1", "value": "340"})
    confirmation = text_of(client.get(second.headers["Location"]))
    assert "This replaces 334 submitted on 3 July 2025." in confirmation
    assert "340, submitted on 9 July 2025 by pat, replaces 334 submitted on 3 July 2025" in confirmation

    listed = text_of(client.get("/returns"))
    assert ("334, submitted on 3 July 2025 by pat 340, submitted on 9 July 2025 by pat, "
            "replaces 334 submitted on 3 July 2025 Counts") in listed
    assert value(engine, "idva.supported", "2025/26", "Q1") == 340
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert 'data-figure="idva.supported" data-period="Q1">340<' in dashboard


def test_the_first_returns_page_says_a_later_one_replaces_it(
        app: Flask, client: FlaskClient, engine: Engine, signed_in: SignedIn) -> None:
    app.config["FROZEN_NOW"] = JULY_9
    log(engine, event("return.submitted", "idva", "2025-07-03", indicator="people-supported",
                      quarter="2025/26 Q1", value=334))
    signed_in(client, "officer")
    first = _submit(client, {"indicator": IDVA, "quarter": "2025/26 Q1", "value": "340"})
    assert first.status_code == 303
    with engine.connect() as connection:
        earliest = connection.execute(
            sa.select(events.c.event_id).where(events.c.type == "return.submitted")
            .order_by(events.c.position)).scalars().first()
    words = text_of(client.get(f"/returns/{earliest}"))
    assert "A later return for 2025/26 Q1 replaces this one" in words


def test_a_quarter_that_has_not_ended_is_refused_and_nothing_is_stored(
        app: Flask, client: FlaskClient, engine: Engine, signed_in: SignedIn) -> None:
    app.config["FROZEN_NOW"] = JULY_3
    signed_in(client, "partner", ["idva"])
    for quarter, opens in (("2026/27 Q3", "1 January 2027"), ("2025/26 Q2", "1 October 2025")):
        refused = _submit(client, {"indicator": IDVA, "quarter": quarter, "value": "12"})
        assert refused.status_code == 422
        assert error_summary_links(refused) == {
            "quarter": f"{quarter} has not ended yet: a return can be submitted from {opens}"}
    assert _returns_stored(engine) == 0


def test_a_value_that_is_not_a_whole_number_of_0_or_more_is_refused(
        app: Flask, client: FlaskClient, engine: Engine, signed_in: SignedIn) -> None:
    app.config["FROZEN_NOW"] = JULY_3
    signed_in(client, "partner", ["idva"])
    for typed, message in (("-1", "Value must be a whole number, 0 or more, like 334"),
                           ("3.5", "Value must be a whole number, 0 or more, like 334"),
                           ("many", "Value must be a whole number, 0 or more, like 334"),
                           ("", "Enter the value"),
                           ("2000000", "Value must be 1,000,000 or less")):
        refused = _submit(client, {"indicator": IDVA, "quarter": "2025/26 Q1", "value": typed})
        assert refused.status_code == 422, typed
        assert error_summary_links(refused) == {"value": message}, typed
    assert _returns_stored(engine) == 0


def test_an_indicator_the_schemes_plan_does_not_expect_is_refused(
        app: Flask, client: FlaskClient, engine: Engine, signed_in: SignedIn) -> None:
    app.config["FROZEN_NOW"] = JULY_3
    signed_in(client, "partner", ["idva"])
    refused = _submit(client, {"indicator": "idva:nights-stayed", "quarter": "2025/26 Q1",
                               "value": "5"})
    assert refused.status_code == 422
    assert error_summary_links(refused) == {"indicator": (
        "The 2025/26 plan expects no return of “nights-stayed” from IDVA service for "
        "high-risk victims: choose one of the returns listed")}
    nothing = _submit(client, {"quarter": "2025/26 Q1", "value": "5"})
    assert error_summary_links(nothing) == {"indicator": "Select what the return is for"}
    assert _returns_stored(engine) == 0


def test_another_schemes_return_is_not_found_to_a_partner(
        app: Flask, client: FlaskClient, engine: Engine, signed_in: SignedIn) -> None:
    app.config["FROZEN_NOW"] = JULY_3
    _mediation_reports_too(engine)
    [theirs] = log(engine, event("return.submitted", "mediation", "2025-07-02",
                                 indicator="cases-resolved", quarter="2025/26 Q1", value=9))
    signed_in(client, "partner", ["idva"])
    page = client.get("/returns").get_data(as_text=True)
    assert "mediation" not in page and "Mediation" not in page
    refused = _submit(client, {"indicator": "mediation:cases-resolved", "quarter": "2025/26 Q1",
                               "value": "5"})
    assert refused.status_code == 404
    assert client.get(f"/returns/{theirs.event_id}").status_code == 404
    assert _returns_stored(engine) == 1


def test_a_viewer_may_not_submit_a_return(client: FlaskClient, signed_in: SignedIn) -> None:
    signed_in(client, "viewer")
    assert client.get("/returns").status_code == 403


def test_the_same_form_sent_twice_stores_one_return(
        app: Flask, client: FlaskClient, engine: Engine, signed_in: SignedIn) -> None:
    app.config["FROZEN_NOW"] = JULY_3
    signed_in(client, "partner", ["idva"])
    html = client.get("/returns").get_data(as_text=True)
    fields = {**hidden_fields(html), "csrf_token": csrf_token_from(html), "indicator": IDVA,
              "quarter": "2025/26 Q1", "value": "334"}
    first, again = client.post("/returns", data=fields), client.post("/returns", data=fields)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert _returns_stored(engine) == 1
