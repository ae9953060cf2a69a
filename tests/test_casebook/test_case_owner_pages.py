"""A case's owner on its page ("Assign to me", "Assign to someone else"), the warning before an
event reopens a closed case, and every path refusing to assign a case to someone who is not a user."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import Engine

from casebook.models import User
from events.db import reading, writing
from events.tables import events
from projections.casework_tables import case_due, case_index
from tests.helpers import ON_SQLITE_ONLY, event, log, notice
from tests.test_casebook.conftest import MakeToken, MakeUser, SignedIn, csrf_token_from
from tests.test_casebook.page_reading import date_fields, error_summary_links, hidden_fields, text_of

pytestmark = ON_SQLITE_ONLY

CASE = "ASB-2024-0001"
PAGE = f"/cases/{CASE}"
NOW = datetime(2024, 6, 10, 9, 0, tzinfo=UTC)


def _owner(engine: Engine, case: str = CASE) -> str | None:
    with reading(engine) as connection:
        owner: str | None = connection.execute(
            sa.select(case_index.c.owner).where(case_index.c.case_ref == case)).scalar()
        return owner


def _count(engine: Engine) -> int:
    with reading(engine) as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(events)).scalar_one())


def _case(engine: Engine, client: FlaskClient) -> None:
    client.application.config["FROZEN_NOW"] = NOW
    log(engine, notice("cpw", CASE, "2024-05-03"))


def _token(client: FlaskClient, url: str = PAGE) -> str:
    return csrf_token_from(client.get(url).get_data(as_text=True))


def test_a_case_nobody_owns_says_so_and_assign_to_me_makes_the_user_its_owner(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    _case(engine, client)
    officer = signed_in(client, "officer")
    page = client.get(PAGE)
    assert "Owner Not assigned" in text_of(page) and "Assign to me" in text_of(page)

    done = client.post(f"/cases/assign-to-me/{CASE}", data={"csrf_token": _token(client)})

    assert done.status_code == 303 and done.headers["Location"].endswith(PAGE)
    assert _owner(engine) == officer.username
    shown = text_of(client.get(PAGE))
    assert f"Case {CASE} assigned to you" in shown and f"Owner {officer.username}" in shown
    # Owning it already, the user is offered only someone else.
    assert "Assign to me" not in shown and "Assign to someone else" in shown


def test_assign_to_me_without_the_forms_token_stores_nothing(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    _case(engine, client)
    signed_in(client, "officer")
    before = _count(engine)

    refused = client.post(f"/cases/assign-to-me/{CASE}", data={})

    assert refused.status_code == 400 and _count(engine) == before and _owner(engine) is None


def test_assign_to_someone_else_lists_only_active_people_who_may_log_in_the_scheme(
        client: FlaskClient, signed_in: SignedIn, make_user: MakeUser, engine: Engine) -> None:
    _case(engine, client)
    colleague = make_user("officer")
    partner = make_user("partner", ["asb-casework"])
    elsewhere = make_user("partner", ["davss"])
    viewer = make_user("viewer")
    gone = make_user("officer")
    with writing(engine) as connection:
        connection.execute(sa.update(User.__table__).where(User.__table__.c.username == gone.username)
                           .values(active=False))
    signed_in(client, "officer")

    page = client.get(f"/cases/assign/{CASE}").get_data(as_text=True)

    for listed in (colleague, partner):
        assert f'value="{listed.username}"' in page
    for unlisted in (elsewhere, viewer, gone):
        assert f'value="{unlisted.username}"' not in page
    done = client.post(f"/cases/assign/{CASE}", data={
        "csrf_token": _token(client, f"/cases/assign/{CASE}"), "owner": partner.username})
    assert done.status_code == 303 and _owner(engine) == partner.username
    assert f"Case {CASE} assigned to {partner.username}" in text_of(client.get(PAGE))


def test_assign_to_someone_else_refuses_who_may_not_have_the_case_or_does_not_exist(
        client: FlaskClient, signed_in: SignedIn, make_user: MakeUser, engine: Engine) -> None:
    _case(engine, client)
    elsewhere = make_user("partner", ["davss"])
    signed_in(client, "officer")
    before = _count(engine)
    url = f"/cases/assign/{CASE}"
    for chosen in (elsewhere.username, "nobody-by-this-name"):
        refused = client.post(url, data={"csrf_token": _token(client, url), "owner": chosen})
        assert refused.status_code == 422
        assert error_summary_links(refused) == {"owner": (
            "Officer must be someone who may log events in this case's scheme: choose one of "
            "the people listed")}
    nothing = client.post(url, data={"csrf_token": _token(client, url)})
    assert error_summary_links(nothing) == {"owner": "Select who to assign the case to"}
    assert _count(engine) == before and _owner(engine) is None


def test_assign_to_someone_else_without_the_forms_token_stores_nothing(
        client: FlaskClient, signed_in: SignedIn, make_user: MakeUser, engine: Engine) -> None:
    _case(engine, client)
    colleague = make_user("officer")
    signed_in(client, "officer")

    refused = client.post(f"/cases/assign/{CASE}", data={"owner": colleague.username})

    assert refused.status_code == 400 and _owner(engine) is None


def test_a_partner_cannot_assign_another_schemes_case_nor_learn_it_exists(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    _case(engine, client)
    signed_in(client, "partner", ["davss"])
    token = _token(client, "/sign-in")
    for url in (f"/cases/assign-to-me/{CASE}", f"/cases/assign/{CASE}",
                "/cases/assign/ASB-404"):
        assert client.post(url, data={"csrf_token": token, "owner": "x"}).status_code == 404
    assert _owner(engine) is None


def test_the_owner_form_on_a_closed_case_warns_that_assigning_reopens_it(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    _case(engine, client)
    log(engine, event("case.closed", "asb-casework", "2024-06-01", CASE))
    signed_in(client, "officer")

    assert "This case is closed: assigning it reopens it." in text_of(client.get(PAGE))
    assert "This case is closed: assigning it reopens it." in text_of(client.get(f"/cases/assign/{CASE}"))


FORM = "/log/asb-casework/notice.issued"


def _log_form(client: FlaskClient, data: dict[str, str]) -> Any:
    page = client.get(f"{FORM}?case={CASE}").get_data(as_text=True)
    fields = hidden_fields(page) | {"csrf_token": csrf_token_from(page)} | data
    return client.post(FORM, data=fields)


def test_logging_in_a_closed_case_warns_that_it_reopens_it_and_stores_only_when_confirmed(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    _case(engine, client)
    log(engine, event("case.closed", "asb-casework", "2024-06-01", CASE))
    signed_in(client, "officer")
    before = _count(engine)
    data = {"case": CASE, "data-notice": "warning-letter", **date_fields("5", "6")}

    asked = _log_form(client, data)

    assert asked.status_code == 200
    assert "This case is closed: logging this event reopens it" in text_of(asked)
    assert "Yes, log it and reopen the case" in text_of(asked)
    assert _count(engine) == before
    fields = hidden_fields(asked.get_data(as_text=True))
    assert fields["reopen"] == CASE
    stored = client.post(FORM, data=fields | data | {"csrf_token": csrf_token_from(asked.get_data(as_text=True))})
    assert stored.status_code == 303 and _count(engine) == before + 1
    with reading(engine) as connection:
        assert connection.execute(sa.select(case_index.c.status)).scalar() == "open"


def test_an_event_dated_before_the_closure_is_logged_without_the_warning(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    _case(engine, client)
    log(engine, event("case.closed", "asb-casework", "2024-06-01", CASE))
    signed_in(client, "officer")

    stored = _log_form(client, {"case": CASE, "data-notice": "warning-letter", **date_fields("20")})

    assert stored.status_code == 303
    with reading(engine) as connection:
        assert connection.execute(sa.select(case_index.c.status)).scalar() == "closed"


def test_the_log_form_refuses_a_case_assigned_to_someone_who_is_not_a_user(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    _case(engine, client)
    signed_in(client, "officer")
    before = _count(engine)

    refused = _log_form_for_assignment(client, "nobody-by-this-name")

    assert refused.status_code == 422 and _count(engine) == before
    assert "there is no active user 'nobody-by-this-name'" in text_of(refused)


def _log_form_for_assignment(client: FlaskClient, officer: str) -> Any:
    url = "/log/asb-casework/case.assigned"
    page = client.get(f"{url}?case={CASE}").get_data(as_text=True)
    return client.post(url, data=hidden_fields(page) | {
        "csrf_token": csrf_token_from(page), "case": CASE, "data-officer": officer,
        **date_fields("5", "6")})


def _assignment(officer: str) -> dict[str, Any]:
    return event("case.assigned", "asb-casework", "2024-06-05", CASE, officer=officer)


def test_the_api_refuses_a_case_assigned_to_someone_who_is_not_an_active_user(
        client: FlaskClient, make_token: MakeToken, make_user: MakeUser, engine: Engine) -> None:
    _case(engine, client)
    officer = make_token("officer")
    post = {"headers": officer.headers, "content_type": "application/json"}
    gone = make_user("officer")
    with writing(engine) as connection:
        connection.execute(sa.update(User.__table__).where(User.__table__.c.username == gone.username)
                           .values(active=False))

    for name in ("nobody-by-this-name", gone.username):
        refused = client.post("/api/events", data=json.dumps(_assignment(name)), **post)
        assert refused.status_code == 422
        assert "data.officer" in json.dumps(refused.get_json())
    assert _owner(engine) is None
    stored = client.post("/api/events", data=json.dumps(_assignment(officer.user.username)), **post)
    assert stored.status_code in (200, 201) and _owner(engine) == officer.user.username


def test_an_import_naming_an_officer_who_is_not_a_user_is_refused_whole_with_its_line(
        runner: FlaskCliRunner, make_user: MakeUser, engine: Engine, tmp_path: Path) -> None:
    colleague = make_user("officer")
    path = tmp_path / "events.jsonl"
    lines = [notice("cpw", CASE, "2024-05-03"), _assignment(colleague.username),
             _assignment("nobody-by-this-name")]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    before = _count(engine)

    result = runner.invoke(args=["casebook", "import", str(path)])

    assert result.exit_code == 1 and _count(engine) == before
    assert "line 3" in result.output.lower() and "data.officer" in result.output
    path.write_text("".join(json.dumps(line) + "\n" for line in lines[:2]), encoding="utf-8")
    assert runner.invoke(args=["casebook", "import", str(path)]).exit_code == 0
    assert _owner(engine) == colleague.username


def test_init_fills_the_case_rows_of_a_database_upgraded_with_cases_already_logged(
        runner: FlaskCliRunner, engine: Engine) -> None:
    log(engine, notice("cpw", CASE, "2024-05-03"), _assignment("j.smith"))
    with writing(engine) as connection:
        connection.execute(sa.delete(case_due))
        connection.execute(sa.delete(case_index))

    result = runner.invoke(args=["casebook", "init"])

    assert result.exit_code == 0, result.output
    assert "Each case's status, owner and what is due worked out from its events." in result.output
    assert _owner(engine) == "j.smith"
    with reading(engine) as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(case_due)).scalar() > 0
