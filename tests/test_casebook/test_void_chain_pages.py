"""Voids that keep the rules on the void page and the API: refused naming the dependent event,
or, on the page only, confirmed for the whole chain and stored in one transaction."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from events import statements
from events.checks import DEPENDENTS
from events.store import read_events
from tests.helpers import log, notice, summary, void
from tests.naive_figures import naive_summary
from tests.test_casebook.conftest import MakeToken, SignedIn, csrf_token_from
from tests.test_casebook.page_reading import hidden_fields, post_form, text_of

pytestmark = pytest.mark.sqlite_only

_COMPARED = ("value", "previous", "breakdown", "base")


def _chain(engine: Engine, case: str, *kinds: str, first: int = 3) -> list[dict[str, Any]]:
    """Notices of these kinds logged in the case on successive days of May 2024 from `first`."""
    lines = [notice(kind, case=case, occurred_at=f"2024-05-{n + first:02d}T10:00:00+01:00")
             for n, kind in enumerate(kinds)]
    log(engine, *lines)
    return lines


def _confirm(client: FlaskClient, url: str, page: TestResponse) -> TestResponse:
    """Post the confirmation form as shown (its hidden fields: reason, chain, cascade)."""
    html = page.get_data(as_text=True)
    fields: dict[str, Any] = hidden_fields(html)
    fields["chain"] = _hidden_values(html, "chain")
    fields["csrf_token"] = csrf_token_from(html)
    return client.post(url, data=fields)


def _hidden_values(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="hidden" name="{name}" value="([^"]+)">', html)


def _voided(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [e.data["target"] for e in read_events(connection) if e.type == "event.voided"]


def _figures(engine: Engine) -> dict[str, Any]:
    return {k: {f: v for f, v in e.items() if f in _COMPARED}
            for k, e in summary(engine)["figures"].items()}


def test_voiding_a_cpw_a_cpn_stands_on_is_refused_and_can_be_confirmed_for_both(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    cpw, cpn = _chain(engine, "ASB-7", "cpw", "cpn")
    url = f"/events/{cpw['id']}/void"
    refused = post_form(client, url, {"reason": "Wrong case"})
    assert refused.status_code == 422
    words = text_of(refused)
    assert ("This Community Protection Warning cannot be voided: the Community Protection Notice "
            "of 4 May 2024 in this case depends on it. Void the notice first.") in words
    assert "These 2 events will be voided" in words
    assert _hidden_values(refused.get_data(as_text=True), "chain") == [cpn["id"]]
    assert cpn["id"] not in words, "the page names the notice in words, not by its id"
    assert _voided(engine) == []

    done = _confirm(client, url, refused)
    assert done.status_code == 303 and done.headers["Location"].endswith("/cases/ASB-7")
    assert _voided(engine) == [cpn["id"], cpw["id"]]
    lines = [cpw, cpn, void(cpn, reason="Wrong case"), void(cpw, reason="Wrong case")]
    assert _figures(engine) == naive_summary(lines, 2024, None)
    assert summary(engine)["figures"]["asb.cpn"]["value"] == 0


def test_the_whole_chain_is_listed_and_voided_furthest_first(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    cpw, cpn, fpn = _chain(engine, "ASB-8", "cpw", "cpn", "cpn-fpn")
    url = f"/events/{cpw['id']}/void"
    refused = post_form(client, url, {"reason": "Duplicate"})
    assert "Void all 3 events" in text_of(refused)
    assert _hidden_values(refused.get_data(as_text=True), "chain") == [fpn["id"], cpn["id"]]
    assert _confirm(client, url, refused).status_code == 303
    assert _voided(engine) == [fpn["id"], cpn["id"], cpw["id"]]


def test_a_fault_between_the_voids_of_a_chain_leaves_nothing_voided(
    client: FlaskClient, signed_in: SignedIn, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_in(client, "officer")
    cpw, cpn = _chain(engine, "ASB-9", "cpw", "cpn")
    url = f"/events/{cpw['id']}/void"
    refused = post_form(client, url, {"reason": "Wrong case"})
    figures = _figures(engine)
    real = statements.insert_voids

    def first_then_fail(driver: Any, voids: list[dict[str, Any]]) -> None:
        real(driver, voids[:1])
        raise RuntimeError("fault between the voids")

    monkeypatch.setattr(statements, "insert_voids", first_then_fail)
    try:
        response = _confirm(client, url, refused)
        assert response.status_code == 500
    except RuntimeError as fault:
        assert "between the voids" in str(fault)
    monkeypatch.undo()
    assert _voided(engine) == []
    assert _figures(engine) == figures
    assert client.get(f"/events/{cpn['id']}/void").status_code == 200, "the CPN still stands"


def test_a_chain_that_changed_since_it_was_shown_is_shown_again(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    cpw, cpn = _chain(engine, "ASB-10", "cpw", "cpn")
    url = f"/events/{cpw['id']}/void"
    refused = post_form(client, url, {"reason": "Wrong case"})
    [fpn] = _chain(engine, "ASB-10", "cpn-fpn", first=9)
    again = _confirm(client, url, refused)
    assert again.status_code == 422
    assert "changed while you were working" in text_of(again)
    assert _hidden_values(again.get_data(as_text=True), "chain") == [fpn["id"], cpn["id"]]
    assert _voided(engine) == []


def test_the_api_refuses_naming_the_dependents_and_takes_the_chain_in_one_request(
    client: FlaskClient, make_token: MakeToken, engine: Engine
) -> None:
    token = make_token("officer")
    cpw, cpn = _chain(engine, "ASB-11", "cpw", "cpn")
    refused = client.post("/api/events", json=void(cpw), headers=token.headers)
    assert refused.status_code == 422
    [item] = refused.get_json()["items"]
    assert "the Community Protection Notice of 4 May 2024 in this case depends on it" in (
        item["fields"]["data.target"][0])
    assert item["fields"][DEPENDENTS] == [cpn["id"]]
    assert _voided(engine) == []
    both = client.post("/api/events", json=[void(cpn), void(cpw)], headers=token.headers)
    assert both.status_code == 201 and both.get_json()["written"] == 2
    assert _voided(engine) == [cpn["id"], cpw["id"]]
