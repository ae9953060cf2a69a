"""The JSON API: bearer tokens, all-or-nothing appends, per-field refusals, conflicts, paging."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from tests.helpers import event, log, notice, referral, summary
from tests.test_casebook.conftest import MakeToken, SignedIn


def _post(client: FlaskClient, headers: dict[str, str], body: Any):
    return client.post("/api/events", data=json.dumps(body), headers=headers,
                       content_type="application/json")


def test_the_api_refuses_a_request_without_a_token(client: FlaskClient) -> None:
    for response in (client.get("/api/events"), client.get("/api/summary?year=2024/25"),
                     _post(client, {}, referral())):
        assert response.status_code == 401
        assert response.get_json()["error"] == "unauthorised"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_api_refuses_an_unknown_or_revoked_token(
        client: FlaskClient, make_token: MakeToken, runner) -> None:
    assert client.get("/api/events", headers={"Authorization": "Bearer nonsense"}
                      ).status_code == 401
    officer = make_token("officer")
    assert client.get("/api/events", headers=officer.headers).status_code == 200
    listed = runner.invoke(args=["casebook", "token", "list"])
    token_id = next(line.split("\t")[0] for line in listed.output.splitlines()
                    if officer.user.username in line)
    assert runner.invoke(args=["casebook", "token", "revoke", token_id]).exit_code == 0
    assert client.get("/api/events", headers=officer.headers).status_code == 401


def test_the_api_ignores_a_signed_in_browser_session(
        client: FlaskClient, signed_in: SignedIn) -> None:
    signed_in(client, "officer")
    assert client.get("/signed-in").status_code == 200
    assert client.get("/api/events").status_code == 401
    assert _post(client, {}, referral()).status_code == 401


def test_an_officer_logs_one_event_and_gets_its_id(
        client: FlaskClient, make_token: MakeToken, engine: Engine) -> None:
    officer = make_token("officer")
    line = referral(scheme="davss", risk="high")
    response = _post(client, officer.headers, line)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["ids"] == [line["id"]]
    assert response.get_json()["written"] == 1
    listed = client.get(f"/api/events?case={line['case']}", headers=officer.headers).get_json()
    assert [e["id"] for e in listed["events"]] == [line["id"]]
    assert listed["events"][0]["recorded_by"] == officer.user.username
    assert summary(engine)["figures"]["davss.referrals"]["value"] == 1


def test_a_list_is_stored_whole_or_not_at_all(
        client: FlaskClient, make_token: MakeToken) -> None:
    officer = make_token("officer")
    good = referral(scheme="davss")
    bad = notice("cpn", case="ASB-API-1")  # a CPN with no CPW before it
    response = _post(client, officer.headers, [good, bad])
    assert response.status_code == 422
    body = response.get_json()
    assert body["items"] == [{"index": 1, "fields": {"data.notice": [body["items"][0]["fields"]
                                                                     ["data.notice"][0]]}}]
    assert "Community Protection Warning" in body["items"][0]["fields"]["data.notice"][0]
    assert client.get("/api/events", headers=officer.headers).get_json()["events"] == []


def test_schema_errors_name_the_item_and_the_field(
        client: FlaskClient, make_token: MakeToken) -> None:
    officer = make_token("officer")
    lines = [referral(), event("notice.issued", "asb-casework", "2024-05-03", "C-1",
                               notice="shouting"),
             {"type": "referral.received", "scheme": "davss"}]
    response = _post(client, officer.headers, lines)
    assert response.status_code == 422
    items = {item["index"]: item["fields"] for item in response.get_json()["items"]}
    assert set(items) == {1, 2}
    assert "data.notice" in items[1]
    assert "occurred_at" in items[2]


def test_recorded_by_cannot_name_someone_else(
        client: FlaskClient, make_token: MakeToken) -> None:
    officer = make_token("officer")
    line = referral()
    line["recorded_by"] = "someone.else"
    response = _post(client, officer.headers, line)
    assert response.status_code == 422
    assert "recorded_by" in response.get_json()["items"][0]["fields"]


def test_a_stale_expected_version_is_a_conflict(
        client: FlaskClient, make_token: MakeToken, engine: Engine) -> None:
    officer = make_token("officer")
    first = notice("cpw", case="ASB-API-2")
    log(engine, first)
    log(engine, notice("warning-letter", case="ASB-API-2"))
    body = {"events": [notice("cpn", case="ASB-API-2")],
            "expected_versions": {"ASB-API-2": 1}}
    response = _post(client, officer.headers, body)
    assert response.status_code == 409
    assert response.get_json()["case"] == "ASB-API-2"
    assert response.get_json()["actual_version"] == 2
    body["expected_versions"] = {"ASB-API-2": 2}
    assert _post(client, officer.headers, body).status_code == 201


def test_sending_the_same_event_twice_stores_it_once(
        client: FlaskClient, make_token: MakeToken) -> None:
    officer = make_token("officer")
    line = referral()
    assert _post(client, officer.headers, line).status_code == 201
    again = _post(client, officer.headers, line)
    assert again.status_code == 201
    assert again.get_json()["written"] == 0
    assert again.get_json()["duplicates"] == [line["id"]]


def test_a_body_that_is_not_json_is_a_bad_request(
        client: FlaskClient, make_token: MakeToken) -> None:
    officer = make_token("officer")
    response = client.post("/api/events", data="not json", headers=officer.headers,
                           content_type="application/json")
    assert response.status_code == 400
    assert _post(client, officer.headers, []).status_code == 422


def test_a_partner_logs_only_in_their_own_schemes(
        client: FlaskClient, make_token: MakeToken) -> None:
    partner = make_token("partner", ["davss"])
    assert _post(client, partner.headers, referral(scheme="davss")).status_code == 201
    refused = _post(client, partner.headers, [referral(scheme="davss"),
                                              referral(scheme="channel")])
    assert refused.status_code == 403
    assert "channel" in refused.get_json()["message"]


def test_a_partner_reads_only_their_own_schemes_events(
        client: FlaskClient, make_token: MakeToken, engine: Engine) -> None:
    log(engine, referral(scheme="davss"), referral(scheme="channel"),
        referral(scheme="davss"))
    partner = make_token("partner", ["davss"])
    listed = client.get("/api/events", headers=partner.headers).get_json()["events"]
    assert [e["scheme"] for e in listed] == ["davss", "davss"]
    assert client.get("/api/events?scheme=channel", headers=partner.headers).status_code == 403
    channel_case = log(engine, referral(scheme="channel"))[0].case_ref
    by_case = client.get(f"/api/events?case={channel_case}", headers=partner.headers)
    assert by_case.get_json()["events"] == []


def test_a_viewer_reads_figures_but_neither_reads_nor_logs_events(
        client: FlaskClient, make_token: MakeToken) -> None:
    viewer = make_token("viewer")
    assert client.get("/api/summary?year=2024/25", headers=viewer.headers).status_code == 200
    assert client.get("/api/events", headers=viewer.headers).status_code == 403
    assert _post(client, viewer.headers, referral()).status_code == 403


def test_events_are_paged_by_position_with_filters(
        client: FlaskClient, make_token: MakeToken, engine: Engine) -> None:
    stored = log(engine, *[referral(scheme="davss", occurred_at=f"2024-05-{d:02d}")
                           for d in range(1, 8)], user="someone")
    log(engine, referral(scheme="channel", occurred_at="2024-06-10"), user="other")
    officer = make_token("officer")
    seen: list[int] = []
    after = 0
    while True:
        page = client.get(f"/api/events?scheme=davss&limit=3&after={after}",
                          headers=officer.headers).get_json()
        seen += [e["position"] for e in page["events"]]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert seen == [e.position for e in stored]
    dated = client.get("/api/events?from=2024-05-03&to=2024-05-04", headers=officer.headers)
    assert [e["position"] for e in dated.get_json()["events"]] == [stored[2].position,
                                                                   stored[3].position]
    mine = client.get("/api/events?recorded_by=other", headers=officer.headers).get_json()
    assert [e["scheme"] for e in mine["events"]] == ["channel"]
    typed = client.get("/api/events?type=notice.issued", headers=officer.headers).get_json()
    assert typed["events"] == []


def test_bad_filters_are_named(client: FlaskClient, make_token: MakeToken) -> None:
    officer = make_token("officer")
    response = client.get("/api/events?limit=0&from=yesterday&after=-1",
                          headers=officer.headers)
    assert response.status_code == 400
    assert set(response.get_json()["fields"]) == {"limit", "from", "after"}


def test_the_summary_is_the_same_json_as_the_command_line(
        client: FlaskClient, make_token: MakeToken, engine: Engine, runner) -> None:
    log(engine, referral(scheme="davss", risk="high", occurred_at="2024-05-03"),
        referral(scheme="davss", occurred_at="2024-08-03"))
    viewer = make_token("viewer")
    for query, args in (("year=2024/25", []), ("year=2024/25&quarter=Q2", ["--quarter", "Q2"])):
        response = client.get(f"/api/summary?{query}", headers=viewer.headers)
        cli = runner.invoke(args=["casebook", "summary", "--year", "2024/25", *args])
        assert response.status_code == 200
        assert response.get_json() == json.loads(cli.output)
    assert client.get("/api/summary?year=2024", headers=viewer.headers).status_code == 400
    assert client.get("/api/summary", headers=viewer.headers).status_code == 400


def test_a_tokens_last_use_is_recorded(
        app: Flask, client: FlaskClient, make_token: MakeToken) -> None:
    import sqlalchemy as sa

    from casebook.models import ApiToken, reading_session

    officer = make_token("officer")
    client.get("/api/events", headers=officer.headers)
    with app.app_context(), reading_session() as db:
        used = db.execute(sa.select(ApiToken.last_used_at)).scalar_one()
    assert used is not None


def test_a_generated_id_is_returned_when_none_is_sent(
        client: FlaskClient, make_token: MakeToken) -> None:
    officer = make_token("officer")
    line = referral()
    del line["id"]
    response = _post(client, officer.headers, line)
    assert response.status_code == 201
    uuid.UUID(response.get_json()["ids"][0])


def test_listed_events_show_personal_fields_as_they_were_logged(
        client: FlaskClient, make_token: MakeToken) -> None:
    officer = make_token("officer")
    line = referral(scheme="davss", subject="SUBJ-0042", category="neighbour dispute")
    assert _post(client, officer.headers, line).status_code == 201
    listed = client.get(f"/api/events?case={line['case']}", headers=officer.headers).get_json()
    assert listed["events"][0]["data"]["subject"] == "SUBJ-0042"
    assert listed["events"][0]["data"]["category"] == "neighbour dispute"


def test_a_token_works_from_a_client_that_also_holds_a_browser_session(
        client: FlaskClient, signed_in: SignedIn, make_token: MakeToken) -> None:
    client.get("/sign-in")  # an anonymous session holding a CSRF token
    viewer = make_token("viewer")
    assert client.get("/api/summary?year=2024/25", headers=viewer.headers).status_code == 200
    signed_in(client, "officer")
    # Signed in as an officer in the browser, the token's viewer is who the API sees.
    assert client.get("/api/events", headers=viewer.headers).status_code == 403
