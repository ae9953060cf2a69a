"""The dashboard tells a partner which of their schemes' returns are missing for the quarter
last ended, until the return is in; nobody else is told of it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from tests.helpers import ON_SQLITE_ONLY, event, log
from tests.test_casebook.conftest import SignedIn
from tests.test_casebook.page_reading import text_of

pytestmark = ON_SQLITE_ONLY

#: 9 July 2025: 2025/26 Q1 has ended, and its returns were due by 7 July.
JULY_9 = datetime(2025, 7, 9, 10, 0, tzinfo=UTC)
BANNER = 'id="returns-missing"'


def test_a_partner_is_told_of_their_missing_return_until_it_is_in(
        app: Flask, client: FlaskClient, engine: Engine, signed_in: SignedIn) -> None:
    app.config["FROZEN_NOW"] = JULY_9
    signed_in(client, "partner", ["idva"])
    page = client.get("/dashboard")
    assert BANNER in page.get_data(as_text=True)
    words = text_of(page)
    assert "A return is missing for 2025/26 Q1, due by 7 July 2025" in words
    assert "People supported by the IDVA service (IDVA service for high-risk victims)" in words
    assert 'href="/returns"' in page.get_data(as_text=True)

    log(engine, event("return.submitted", "idva", "2025-07-08", indicator="people-supported",
                      quarter="2025/26 Q1", value=80))
    assert BANNER not in client.get("/dashboard").get_data(as_text=True)


def test_nobody_else_is_told_of_a_schemes_missing_return(
        app: Flask, client: FlaskClient, signed_in: SignedIn) -> None:
    app.config["FROZEN_NOW"] = JULY_9
    for role, schemes in (("partner", ["davss"]), ("officer", []), ("viewer", [])):
        signed_in(client, role, schemes)
        page = client.get("/dashboard")
        assert page.status_code == 200
        assert BANNER not in page.get_data(as_text=True), role
