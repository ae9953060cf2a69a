"""The log form's case reference: the next free one offered, a new case confirmed before it is
stored, another scheme's prefix refused; references in any case on the pages and the API."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from events.db import reading, writing
from events.tables import cases, events, schemes
from tests.helpers import ON_SQLITE_ONLY, log, referral
from tests.test_casebook.conftest import MakeToken, SignedIn
from tests.test_casebook.page_reading import (
    date_fields,
    error_summary_links,
    hidden_fields,
    post_form,
    text_of,
)

pytestmark = ON_SQLITE_ONLY

FORM = "/log/asb-casework/referral.received"
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def _count(engine: Engine) -> int:
    with reading(engine) as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(events)).scalar_one())


def _officer(client: FlaskClient, signed_in: SignedIn) -> None:
    client.application.config["FROZEN_NOW"] = NOW
    signed_in(client, "officer")


def test_the_form_offers_the_schemes_next_free_reference_and_no_other_schemes(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    log(engine, referral(scheme="asb-casework", case="ASB-2026-0041"),
        referral(scheme="asb-casework", case="asb-2026-0007"),
        referral(scheme="asb-casework", case="ASB-2025-0300"))
    # A reference with ASB's prefix that another scheme took before prefixes were set.
    with writing(engine) as connection:
        connection.execute(sa.update(schemes).where(schemes.c.scheme_id == "asb-casework")
                           .values(case_prefix=None))
    log(engine, referral(scheme="davss", case="ASB-2026-0200"))
    with writing(engine) as connection:
        connection.execute(sa.update(schemes).where(schemes.c.scheme_id == "asb-casework")
                           .values(case_prefix="ASB"))
    _officer(client, signed_in)
    page = client.get(FORM).get_data(as_text=True)
    assert 'value="ASB-2026-0042"' in page
    assert "The next free reference for a new case is ASB-2026-0042." in text_of(client.get(FORM))
    # A scheme without cases this year starts at 0001.
    mediation = text_of(client.get("/log/mediation/referral.received"))
    assert "The next free reference for a new case is MED-2026-0001." in mediation


def test_a_new_case_is_confirmed_before_anything_is_stored(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    _officer(client, signed_in)
    before = _count(engine)
    asked = post_form(client, FORM, {"case": "asb-2026-0042", **date_fields("3")},
                      confirm_new_case=False)
    assert asked.status_code == 200
    assert "This opens a new case: ASB-2026-0042. Continue?" in text_of(asked)
    assert _count(engine) == before
    fields = hidden_fields(asked.get_data(as_text=True))
    assert fields["new_case"] == "ASB-2026-0042"
    # Changing the reference asks again, for the new one.
    changed = client.post(FORM, data=fields | {"case": "ASB-2026-0043", **date_fields("3")})
    assert "This opens a new case: ASB-2026-0043. Continue?" in text_of(changed)
    assert _count(engine) == before
    stored = client.post(FORM, data=fields | {"case": "asb-2026-0042", **date_fields("3")})
    assert stored.status_code == 303 and stored.headers["Location"].endswith("/cases/ASB-2026-0042")
    assert _count(engine) == before + 1
    # An existing case, typed in any case, is not asked about.
    again = post_form(client, FORM, {"case": "Asb-2026-0042", **date_fields("4")},
                      confirm_new_case=False)
    assert again.status_code == 303
    with reading(engine) as connection:
        assert connection.execute(sa.select(cases.c.case_ref, cases.c.version)).all() == [
            ("ASB-2026-0042", 2)]


def test_the_form_refuses_another_schemes_prefix_before_asking(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    _officer(client, signed_in)
    before = _count(engine)
    for confirm in (False, True):
        refused = post_form(client, FORM, {"case": "DA-2026-0001", **date_fields("3")},
                            confirm_new_case=confirm)
        assert refused.status_code == 422
        assert error_summary_links(refused)["case"].startswith(
            "Case reference cannot begin with DA-")
        assert "This opens a new case" not in text_of(refused)
    assert _count(engine) == before


def test_the_case_page_and_search_find_a_reference_in_any_case(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    log(engine, referral(scheme="asb-casework", case="asb-2026-0005"))
    _officer(client, signed_in)
    for path in ("/cases/asb-2026-0005", "/cases/ASB-2026-0005"):
        page = client.get(path)
        assert page.status_code == 200 and "ASB-2026-0005" in text_of(page)
    assert "ASB-2026-0005" in text_of(client.get("/cases?q=asb-2026-0005"))


def test_the_api_opens_one_case_in_any_case_and_refuses_another_schemes_prefix(
        client: FlaskClient, make_token: MakeToken, engine: Engine) -> None:
    officer = make_token("officer")

    def post(*lines: dict[str, object]) -> object:
        return client.post("/api/events", data=json.dumps(list(lines)), headers=officer.headers,
                           content_type="application/json")

    assert post(referral(scheme="asb-casework", case="asb-2026-9003")).status_code == 201
    assert post(referral(scheme="asb-casework", case="ASB-2026-9003")).status_code == 201
    refused = post(referral(scheme="asb-casework", case="da-2026-1"))
    assert refused.status_code == 422
    assert refused.get_json()["items"] == [{"index": 0, "fields": {"case": [
        "Case reference cannot begin with DA-, the prefix of another scheme's cases: check it, "
        "or use a reference beginning ASB- for this scheme."]}}]
    with reading(engine) as connection:
        assert connection.execute(sa.select(cases.c.case_ref, cases.c.version)).all() == [
            ("ASB-2026-9003", 2)]


def test_an_admin_sets_a_schemes_prefix(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    signed_in(client, "admin")
    form = "/admin/schemes/mobile-cctv"
    fields = {"name": "Mobile CCTV", "lead": "Borough council", "priority": "Anti-social behaviour"}
    bad = post_form(client, form, {**fields, "case_prefix": "cc-tv"})
    assert bad.status_code == 200
    assert "Case reference prefix must be a letter" in error_summary_links(bad)["case_prefix"]
    taken = post_form(client, form, {**fields, "case_prefix": "asb"})
    assert "already the prefix of another scheme" in error_summary_links(taken)["case_prefix"]
    saved = post_form(client, form, {**fields, "case_prefix": "cam"})
    assert saved.status_code == 302
    with reading(engine) as connection:
        assert connection.execute(sa.select(schemes.c.case_prefix)
                                  .where(schemes.c.scheme_id == "mobile-cctv")).scalar() == "CAM"
    assert "case_prefix" in text_of(client.get(form))
