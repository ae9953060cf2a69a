"""A partner never sees another scheme's cases or events: in pages, exports or the API."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from tests.helpers import log, referral
from tests.test_casebook.conftest import MakeToken, SignedIn


def _setup(engine: Engine) -> tuple[str, str, str]:
    own = log(engine, referral(scheme="davss", case="DA-OWN-1"))[0]
    other = log(engine, referral(scheme="channel", case="CH-OTHER-1"))[0]
    return own.event_id, other.event_id, other.case_ref or ""


def test_a_partners_csv_export_holds_only_their_schemes_events(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    own_id, other_id, _ = _setup(engine)
    signed_in(client, "partner", ["davss"])
    csv = client.get("/events/events.csv").get_data(as_text=True)
    assert own_id in csv and "DA-OWN-1" in csv
    assert other_id not in csv and "CH-OTHER-1" not in csv and ",channel," not in csv
    filtered = client.get("/events/events.csv?scheme=channel")
    assert other_id not in filtered.get_data(as_text=True)


def test_an_officers_csv_export_holds_every_scheme(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    own_id, other_id, _ = _setup(engine)
    signed_in(client, "officer")
    csv = client.get("/events/events.csv").get_data(as_text=True)
    assert own_id in csv and other_id in csv


def test_a_partner_cannot_open_another_schemes_case_or_event(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    own_id, other_id, other_case = _setup(engine)
    signed_in(client, "partner", ["davss"])
    assert client.get("/cases/DA-OWN-1").status_code == 200
    assert client.get(f"/events/{own_id}").status_code == 200
    for path in (f"/cases/{other_case}", f"/events/{other_id}", f"/events/{other_id}/void"):
        assert client.get(path).status_code in (403, 404), path
    for path in ("/events", f"/cases?q={other_case}", "/cases"):
        html = client.get(path).get_data(as_text=True)
        assert f'href="/cases/{other_case}"' not in html and other_id not in html, path
    assert 'href="/cases/DA-OWN-1"' in client.get("/cases?q=DA-OWN").get_data(as_text=True)


def test_a_partner_cannot_void_another_schemes_event_through_the_api(
        client: FlaskClient, make_token: MakeToken, engine: Engine) -> None:
    _, other_id, _ = _setup(engine)
    partner = make_token("partner", ["davss"])
    disguised = {"type": "event.voided", "scheme": "davss", "occurred_at": "2024-06-01",
                 "data": {"target": other_id, "reason": "not mine"}}
    response = client.post("/api/events", json=disguised, headers=partner.headers)
    assert response.status_code == 422
    honest = {**disguised, "scheme": "channel"}
    assert client.post("/api/events", json=honest, headers=partner.headers).status_code == 403
