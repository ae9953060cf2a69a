"""The access log: every response that shows personal data, and every refused attempt at a case
or an event, writes exactly one row (who, what, which, from where).

The routes come from the app's URL map: a route added later without an audit declaration on its
view, or an entry in SHOWS_NO_PERSONAL_DATA saying why it needs none, fails the first test.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import Engine

from casebook.services.access_log import access_log
from events.quarters import FinancialYear
from projections.archive import by_hand, generate
from tests.helpers import event, log, referral
from tests.test_casebook.conftest import MakeToken, MakeUser, SignedIn, csrf_token_from
from tests.test_casebook.page_reading import date_fields, post_form
from tests.test_casebook.test_access_matrix import FILENAMES, _samples, routes

#: Routes whose responses show no personal data, and why; every other route declares its audit.
SHOWS_NO_PERSONAL_DATA: dict[str, str] = {
    "static": "the app's own files",
    "govuk_assets": "the design system's files",
    "home": "a redirect to the user's first page",
    "auth.sign_in": "the sign-in form",
    "auth.sign_out": "a redirect to the sign-in form",
    "auth.signed_in": "the signed-in user's own account",
    "api.openapi": "the API's description",
    "admin.index": "links to the admin pages",
    "admin.two_step_sign_in": "which roles must use two-step sign-in",
    "admin.user_two_step_reset": "resets a staff account's two-step sign-in, then redirects",
    "account.password": "the signed-in person's own password form",
    "account.sign_in_code": "the sign-in code step, before anyone is signed in",
    "account.set_up_two_step": "the signed-in person's own authenticator secret and recovery codes",
    "admin.users": "staff accounts, never a case",
    "admin.user": "a staff account, never a case",
    "admin.new_user": "the form adding a staff account",
    "admin.user_active": "disables or enables a staff account, then redirects",
    "admin.user_password": "a staff account's new password",
    "admin.user_token": "a staff account's new API token",
    "admin.user_token_revoke": "revokes a token, then redirects",
    "admin.schemes": "the schemes",
    "admin.scheme": "a scheme and its history",
    "admin.new_scheme": "the form adding a scheme",
    "admin.scheme_retired": "retires a scheme, then redirects",
    "messages.user_email": "sets a staff account's email address, then redirects",
    "log.choose_scheme": "the schemes the user may log to",
    "log.choose_type": "the event types",
    "returns.index": "the return form and the returns submitted: counts, never a person or a case",
    "dashboard.index": "figures only: counts, never a person or a case",
    "summaries.index": "the list of stored summaries",
    "summaries.returns": "which partner returns are missing",
    "summaries.generate_now": "stores a summary, then redirects to it",
    "plan.years": "the years that have a plan",
    "plan.year": "a year's plan: priorities, vocabulary and figure definitions, no event",
    "plan.priorities": "the plan's priorities form",
    "plan.vocabulary": "the plan's vocabulary form",
    "plan.new_figure": "a figure form and its preview: counts, never an event",
    "plan.change_figure": "a figure form and its preview: counts, never an event",
    "plan.download": "the plan file: definitions, no event",
    "plan.upload": "a plan file's problems and what it would change: definitions and counts",
}

FOREIGN_CASE = "ASB-FOREIGN-1"
MISSING_CASE = "DA-NO-SUCH-CASE"
MISSING_EVENT = "00000000-0000-4000-8000-000000000000"
CASE_DENIED, EVENT_DENIED = "case-denied", "event-denied"


def written(engine: Engine, after: int) -> list[tuple[str, str, str]]:
    """The access log rows added after row `after`: (who, action, target)."""
    with engine.connect() as connection:
        found = connection.execute(
            sa.select(access_log.c.username, access_log.c.action, access_log.c.target)
            .where(access_log.c.id > after).order_by(access_log.c.id)
        )
        return [(row.username, row.action, row.target) for row in found]


def last_row(engine: Engine) -> int:
    """The id of the newest access log row (0 when there is none)."""
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.max(access_log.c.id))).scalar() or 0)


def rows_of(engine: Engine, request: Any) -> list[tuple[str, str, str]]:
    """The rows written while `request()` ran."""
    mark = last_row(engine)
    request()
    return written(engine, mark)


def test_every_route_declares_whether_it_shows_personal_data(app: Flask) -> None:
    from casebook.web.audit import declaration

    unmarked, both = [], []
    for endpoint in sorted({endpoint for endpoint, _, _ in routes(app)}):
        declared = declaration(app.view_functions[endpoint]) is not None
        exempt = endpoint in SHOWS_NO_PERSONAL_DATA
        if not declared and not exempt:
            unmarked.append(endpoint)
        if declared and exempt:
            both.append(endpoint)
    assert unmarked == [], ("mark these views @audited(...) or add them to "
                            f"SHOWS_NO_PERSONAL_DATA: {unmarked}")
    assert both == [], f"these views are audited and listed as showing nothing: {both}"
    stale = sorted(set(SHOWS_NO_PERSONAL_DATA) - set(app.view_functions))
    assert stale == [], f"no such routes any more: {stale}"


def test_every_page_an_admin_opens_writes_one_row_exactly_when_it_shows_personal_data(
    app: Flask, client: FlaskClient, engine: Engine, signed_in: SignedIn,
    make_user: MakeUser, make_token: MakeToken,
) -> None:
    from casebook.web.audit import declaration

    samples = _samples(engine, make_user)
    stored = generate(engine, FinancialYear(2024).quarter(1), by_hand("tester"),
                      only_if_missing=False)
    assert stored is not None
    samples["summary_id"] = stored.id
    admin = signed_in(client, "admin")
    token = make_token("admin")
    wrong, audited_pages = [], 0
    for endpoint, method, arguments in routes(app):
        if method != "GET":
            continue
        values = {name: FILENAMES[endpoint] if name == "filename" else samples[name]
                  for name in arguments}
        with app.test_request_context():
            path = url_for(endpoint, **values)
        headers = token.headers if path.startswith("/api/") else {}
        mark = last_row(engine)
        response = client.get(path, headers=headers)
        status = response.status_code
        response.close()
        got = written(engine, mark)
        audit = declaration(app.view_functions[endpoint])
        who = token.user.username if headers else admin.username
        if audit is not None and audit.action is not None and status in audit.on:
            audited_pages += 1
            expected = [(who, audit.action, path)]
        else:
            expected = []
        if got != expected:
            wrong.append(f"GET {path} ({status}) wrote {got}, expected {expected}")
    assert wrong == []
    assert audited_pages >= 11


def test_every_case_and_event_address_refused_to_a_partner_writes_one_row_naming_it(
    app: Flask, client: FlaskClient, engine: Engine, signed_in: SignedIn,
) -> None:
    [foreign] = log(engine, referral(scheme="asb-casework", case=FOREIGN_CASE, subject="S-X"))
    partner = signed_in(client, "partner", ["davss"])
    token = csrf_token_from(client.get("/sign-in").get_data(as_text=True))
    probes = {"case_ref": [FOREIGN_CASE, MISSING_CASE],
              "event_id": [foreign.event_id, MISSING_EVENT]}
    wrong, tried = [], 0
    for endpoint, method, arguments in routes(app):
        named = arguments & set(probes)
        if not named:
            continue
        [argument] = named
        for ref in probes[argument]:
            with app.test_request_context():
                path = url_for(endpoint, **{argument: ref})
            mark = last_row(engine)
            response = client.open(path, method=method,
                                   data={"csrf_token": token, "reason": "probe"})
            status = response.status_code
            response.close()
            got = written(engine, mark)
            tried += 1
            action = CASE_DENIED if argument == "case_ref" else EVENT_DENIED
            if status not in (403, 404) or len(got) != 1 or got[0][:2] != (
                    partner.username, action) or ref not in got[0][2]:
                wrong.append(f"{method} {path} ({status}) wrote {got}")
    assert tried >= 8
    assert wrong == []


def test_the_void_page_writes_one_row_naming_the_event(
    client: FlaskClient, engine: Engine, signed_in: SignedIn,
) -> None:
    [first] = log(engine, referral(case="DA-V", subject="S-VOID"))
    officer = signed_in(client, "officer")
    path = f"/events/{first.event_id}/void"
    assert rows_of(engine, lambda: client.get(path)) == [(officer.username, "void-page-read",
                                                          path)]


def test_the_log_forms_conflict_page_writes_one_row_naming_the_case(
    client: FlaskClient, engine: Engine, signed_in: SignedIn,
) -> None:
    officer = signed_in(client, "officer")
    log(engine, referral(case="DA-7", occurred_at="2024-05-01"))
    form_url = "/log/davss/case.closed?case=DA-7&seen=1"
    log(engine, referral(case="DA-7", occurred_at="2024-05-02", subject="S-SEVEN"),
        user="someone.else")
    mark = last_row(engine)
    response = post_form(client, "/log/davss/case.closed", {
        "case": "DA-7", **date_fields("4"), "data-outcome": "Moved away",
    }, form_url=form_url)
    assert response.status_code == 409 and "S-SEVEN" in response.get_data(as_text=True)
    assert written(engine, mark) == [
        (officer.username, "case-conflict", "/log/davss/case.closed case DA-7")]


def test_the_void_pages_conflict_writes_one_row_naming_the_case(
    client: FlaskClient, engine: Engine, signed_in: SignedIn,
) -> None:
    officer = signed_in(client, "officer")
    [first] = log(engine, referral(case="DA-4", occurred_at="2024-05-01"))
    form_url = f"/events/{first.event_id}/void?seen=1"
    log(engine, referral(case="DA-4", occurred_at="2024-05-02", subject="S-FOUR"), user="b.lee")
    page = client.get(form_url).get_data(as_text=True)
    mark = last_row(engine)
    response = client.post(f"/events/{first.event_id}/void", data={
        "reason": "Duplicate", "case_version": "1", "csrf_token": csrf_token_from(page)})
    assert response.status_code == 409
    assert written(engine, mark) == [
        (officer.username, "case-conflict", f"/events/{first.event_id}/void case DA-4")]


def test_a_figures_events_are_logged_and_its_count_alone_is_not(
    app: Flask, engine: Engine, signed_in: SignedIn,
) -> None:
    log(engine, referral(case="DA-F", subject="S-FIGURE", occurred_at="2024-05-03"))
    path = "/dashboard/figures/davss.referrals?year=2024/25"
    officer_client, viewer_client = app.test_client(), app.test_client()
    officer = signed_in(officer_client, "officer")
    signed_in(viewer_client, "viewer")
    mark = last_row(engine)
    shown = officer_client.get(path)
    assert "S-FIGURE" in shown.get_data(as_text=True)
    assert written(engine, mark) == [(officer.username, "figure-events-read", path)]
    assert rows_of(engine, lambda: viewer_client.get(path)) == []


def test_the_api_summary_and_summary_pages_and_downloads_are_logged(
    client: FlaskClient, engine: Engine, signed_in: SignedIn, make_token: MakeToken,
) -> None:
    log(engine, referral(case="DA-S", occurred_at="2024-05-03"))
    stored = generate(engine, FinancialYear(2024).quarter(1), by_hand("tester"),
                      only_if_missing=False)
    assert stored is not None
    token = make_token("partner", ["davss"])
    api = "/api/summary?year=2024/25&quarter=Q1"
    assert rows_of(engine, lambda: client.get(api, headers=token.headers)) == [
        (token.user.username, "api-summary-read", api)]
    viewer = signed_in(client, "viewer")
    page, download = f"/summaries/{stored.id}", f"/summaries/{stored.id}/published.csv"
    assert rows_of(engine, lambda: client.get(page)) == [(viewer.username, "summary-read", page)]
    assert rows_of(engine, lambda: client.get(download)) == [
        (viewer.username, "summary-download", download)]


def test_a_partners_probe_of_another_schemes_case_through_the_log_form_writes_one_row(
    client: FlaskClient, engine: Engine, signed_in: SignedIn,
) -> None:
    log(engine, referral(scheme="asb-casework", case=FOREIGN_CASE, subject="S-X"))
    partner = signed_in(client, "partner", ["davss"])
    form = "/log/davss/case.closed"
    mark = last_row(engine)
    client.get(f"{form}?case={FOREIGN_CASE}").close()
    assert written(engine, mark) == [
        (partner.username, CASE_DENIED, f"{form}?case={FOREIGN_CASE} case {FOREIGN_CASE}")]
    page = client.get(form).get_data(as_text=True)
    mark = last_row(engine)
    client.post(form, data={"case": FOREIGN_CASE, "version_case": FOREIGN_CASE,
                            "case_version": "0", **date_fields("4"),
                            "data-outcome": "probe", "csrf_token": csrf_token_from(page)}).close()
    assert written(engine, mark) == [(partner.username, CASE_DENIED, f"{form} case {FOREIGN_CASE}")]


def test_a_partners_probes_of_another_schemes_case_and_event_through_the_api_write_one_row_each(
    client: FlaskClient, engine: Engine, make_token: MakeToken,
) -> None:
    [foreign] = log(engine, referral(scheme="asb-casework", case=FOREIGN_CASE, subject="S-X"))
    partner = make_token("partner", ["davss"])
    who = partner.user.username
    listing = f"/api/events?case={FOREIGN_CASE}"
    assert rows_of(engine, lambda: client.get(listing, headers=partner.headers)) == [
        (who, CASE_DENIED, f"{listing} case {FOREIGN_CASE}")]
    stale = {"events": [referral(case="DA-MINE")], "expected_versions": {FOREIGN_CASE: 0}}
    assert rows_of(engine, lambda: client.post("/api/events", json=stale,
                                               headers=partner.headers)) == [
        (who, CASE_DENIED, f"/api/events case {FOREIGN_CASE}")]
    disguised = event("event.voided", "davss", "2024-06-01", target=foreign.event_id,
                      reason="not mine")
    assert rows_of(engine, lambda: client.post("/api/events", json=disguised,
                                               headers=partner.headers)) == [
        (who, EVENT_DENIED, f"/api/events event {foreign.event_id}")]
    own = referral(case="DA-MINE-2")
    assert rows_of(engine, lambda: client.post("/api/events", json=own,
                                               headers=partner.headers)) == []


def test_a_retention_run_writes_one_row_per_subject_erased(
    engine: Engine, runner: FlaskCliRunner,
) -> None:
    for line in (referral(subject="S-OLD-1", case="DA-1", occurred_at="2018-05-01"),
                 event("case.closed", "davss", "2018-09-01", "DA-1", outcome="support ended"),
                 referral(subject="S-OLD-2", case="DA-2", occurred_at="2018-05-01"),
                 event("case.closed", "davss", "2018-09-01", "DA-2", outcome="moved"),
                 referral(subject="S-OPEN", case="DA-3", occurred_at="2024-05-01")):
        log(engine, line, recorded_at=line["occurred_at"])  # as a live casebook recorded them
    mark = last_row(engine)
    result = runner.invoke(args=["casebook", "retention", "run", "--now", "2025-06-01",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    erased = json.loads(result.output)["erased_keys"]
    assert len(erased) >= 2
    rows = written(engine, mark)
    assert sorted((action, target) for _, action, target in rows) == sorted(
        ("erase", f"subject key {key_id}") for key_id in erased)
    assert all(who.startswith("retention") for who, _, _ in rows)
    dry = rows_of(engine, lambda: runner.invoke(
        args=["casebook", "retention", "run", "--now", "2025-06-01", "--dry-run"]))
    assert dry == []
