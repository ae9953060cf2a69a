"""Admin → Messages (the outbox without a mail server) and a user's email address, in the pages
and on the command line."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import Engine

from casebook.models import User, reading_session
from casebook.scheduler import remind_missing_returns
from casebook.services.mail import OutboxMailer
from tests.helpers import ON_SQLITE_ONLY
from tests.test_casebook.conftest import MakeUser, SignedIn, csrf_token_from

pytestmark = ON_SQLITE_ONLY

SEVENTH_OF_JULY = datetime(2024, 7, 7, 8, 0, tzinfo=UTC)


def _email_of(app: Flask, user_id: int) -> str | None:
    with app.app_context(), reading_session() as db:
        found = db.get(User, user_id)
        assert found is not None
        return found.email


def _set_email(client: FlaskClient, user_id: int, address: str) -> str:
    token = csrf_token_from(client.get(f"/admin/users/{user_id}").get_data(as_text=True))
    response = client.post(f"/admin/users/{user_id}/email",
                           data={"email": address, "csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_admin_gives_a_partner_an_address_and_reads_the_reminder_in_the_outbox(
    app: Flask, client: FlaskClient, engine: Engine, signed_in: SignedIn, make_user: MakeUser,
) -> None:
    partner = make_user("partner", ["idva"], username="idva.partner")
    signed_in(client, "admin")
    page = _set_email(client, partner.id, "idva.partner@csp.example")
    assert "Messages to idva.partner go to idva.partner@csp.example." in page
    assert 'value="idva.partner@csp.example"' in page
    assert _email_of(app, partner.id) == "idva.partner@csp.example"

    assert "No messages yet." in client.get("/admin/messages").get_data(as_text=True)
    remind_missing_returns(engine, OutboxMailer(), SEVENTH_OF_JULY)
    listing = client.get("/admin/messages").get_data(as_text=True)
    assert "kept in this outbox only" in listing
    assert "idva.partner@csp.example" in listing and "returns-reminder" in listing
    assert "Partner returns missing for 2024/25 Q1" in listing
    assert "In the outbox" in listing and "written to the outbox" in listing
    link = re.search(r'href="(/admin/messages/\d+)"', listing)
    assert link is not None
    body = client.get(link.group(1)).get_data(as_text=True)
    assert "Hello idva.partner," in body and "people-supported" in body
    assert "1 of 5" in body and "written to the outbox" in body
    assert "No messages failed yet." in client.get("/admin/messages?status=failed").get_data(
        as_text=True)


def test_a_message_that_failed_shows_as_failed_with_its_reason(
    client: FlaskClient, engine: Engine, signed_in: SignedIn, make_user: MakeUser,
) -> None:
    make_user("partner", ["idva"], username="no.address")
    remind_missing_returns(engine, OutboxMailer(), SEVENTH_OF_JULY)
    signed_in(client, "admin")
    listing = client.get("/admin/messages?status=retrying").get_data(as_text=True)
    assert "Failed, will retry" in listing
    assert "no.address has no email address" in listing


def test_an_address_that_is_not_one_is_refused_and_a_blank_one_removes_it(
    app: Flask, client: FlaskClient, signed_in: SignedIn, make_user: MakeUser,
) -> None:
    partner = make_user("partner", ["idva"])
    signed_in(client, "admin")
    for bad in ("not an address", "a@b.example\r\nBcc: x@y.example", "a@b.example, c@d.example",
                "x" * 250 + "@b.example"):
        page = _set_email(client, partner.id, bad)
        assert ("correct format" in page or "254 characters or fewer" in page), bad
        assert _email_of(app, partner.id) is None
    _set_email(client, partner.id, "p@csp.example")
    page = _set_email(client, partner.id, "")
    assert "has no email address" in page and _email_of(app, partner.id) is None


def test_the_messages_are_for_admins_alone(
    app: Flask, signed_in: SignedIn, make_user: MakeUser,
) -> None:
    target = make_user("partner", ["idva"])
    for role in ("officer", "partner", "viewer"):
        visitor = app.test_client()
        signed_in(visitor, role, ["idva"] if role == "partner" else [])
        assert visitor.get("/admin/messages").status_code == 403
        token = csrf_token_from(visitor.get("/sign-in").get_data(as_text=True))
        response = visitor.post(f"/admin/users/{target.id}/email",
                                data={"email": "x@y.example", "csrf_token": token})
        assert response.status_code == 403
    assert _email_of(app, target.id) is None


def test_the_command_line_sets_and_removes_an_address(
    app: Flask, runner: FlaskCliRunner, make_user: MakeUser,
) -> None:
    partner = make_user("partner", ["idva"], username="cli.partner")
    result = runner.invoke(args=["casebook", "user", "email", "cli.partner", "cli@csp.example"])
    assert result.exit_code == 0 and "go to cli@csp.example" in result.output
    assert _email_of(app, partner.id) == "cli@csp.example"
    refused = runner.invoke(args=["casebook", "user", "email", "cli.partner", "nope"])
    assert refused.exit_code != 0 and "correct format" in refused.output
    missing = runner.invoke(args=["casebook", "user", "email", "nobody", "a@b.example"])
    assert missing.exit_code != 0 and "no user called 'nobody'" in missing.output
    removed = runner.invoke(args=["casebook", "user", "email", "cli.partner"])
    assert removed.exit_code == 0 and _email_of(app, partner.id) is None
