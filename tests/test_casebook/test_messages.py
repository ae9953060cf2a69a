"""Mail through a real SMTP server: the partner-returns reminder arrives with the right recipients
and content, once per quarter; a failed send is recorded, retried after its backoff, and
reported; every attempt stays stored. On SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine

from casebook.scheduler import remind_missing_returns
from casebook.services.mail import OUTBOX, BadMailUrl, OutboxMailer, SmtpMailer, SmtpServer, mailer_for
from casebook.services.messages import BACKOFF, MAX_ATTEMPTS, deliver_due, message_states
from casebook.services.user_email import set_email
from events.db import reading, writing
from tests.helpers import event, log
from tests.test_casebook.conftest import MakeUser
from tests.test_casebook.smtp_server import Inbox, free_port, smtp_server

#: 09:00 on 7 July 2024, London: the reminder for 2024/25 Q1 (April to June) is due.
SEVENTH_OF_JULY = datetime(2024, 7, 7, 8, 0, tzinfo=UTC)


def _local_mailer(port: int) -> SmtpMailer:
    return SmtpMailer(SmtpServer.from_url(f"smtp://127.0.0.1:{port}?from=casebook@csp.example"),
                      timeout=5)


def _people(app: Flask, make_user: MakeUser) -> dict[str, str]:
    """Partners of IDVA (whose return is missing), of DAVSS only, an officer; by their role."""
    people = {
        "idva": make_user("partner", ["idva"], username="idva.partner").username,
        "both": make_user("partner", ["davss", "idva"], username="both.partner").username,
        "davss": make_user("partner", ["davss"], username="davss.partner").username,
        "officer": make_user("officer", username="an.officer").username,
    }
    with app.app_context():
        for username in people.values():
            set_email(username, f"{username}@csp.example")
    return people


def test_the_returns_reminder_reaches_each_partner_of_the_scheme_once_with_their_returns(
    app: Flask, engine: Engine, make_user: MakeUser,
) -> None:
    people = _people(app, make_user)
    inbox = Inbox()
    port = free_port()
    with smtp_server(port, inbox):
        tried = remind_missing_returns(engine, _local_mailer(port), SEVENTH_OF_JULY)
        assert sorted((m.recipient, m.status) for m in tried) == [
            ("both.partner", "sent"), ("idva.partner", "sent")]
        assert sorted(r.recipients[0] for r in inbox.received) == [
            "both.partner@csp.example", "idva.partner@csp.example"]
        first = inbox.received[0]
        assert first.sender == "casebook@csp.example"
        assert first.message["Subject"] == "Partner returns missing for 2024/25 Q1"
        assert first.message["To"] == first.recipients[0]
        assert "people-supported" in first.body and "2024/25 Q1" in first.body
        assert "1 April 2024 to 30 June 2024" in first.body
        assert "due by 7 July 2024" in first.body
        assert "Domestic" not in first.body  # no other scheme is named to a partner

        # The job run again (a misfire, a restart): nothing new is queued or sent.
        again = remind_missing_returns(engine, _local_mailer(port), SEVENTH_OF_JULY
                                       + timedelta(hours=2))
        assert again == [] and len(inbox.received) == 2
    with reading(engine) as connection:
        stored = message_states(connection)
    assert sorted(m.recipient for m in stored) == ["both.partner", "idva.partner"]
    assert {m.kind for m in stored} == {"returns-reminder"}
    assert all(m.sent_at == SEVENTH_OF_JULY and m.attempts == 1 for m in stored)
    assert people["davss"] not in {m.recipient for m in stored}


def test_no_reminder_goes_once_the_return_is_in(
    app: Flask, engine: Engine, make_user: MakeUser,
) -> None:
    _people(app, make_user)
    log(engine, event("return.submitted", "idva", "2024-07-03", indicator="people-supported",
                      quarter="2024/25 Q1", value=80))
    assert remind_missing_returns(engine, OutboxMailer(), SEVENTH_OF_JULY) == []
    with reading(engine) as connection:
        assert message_states(connection) == []


def test_a_send_that_fails_is_recorded_retried_after_its_backoff_and_then_sent(
    app: Flask, engine: Engine, make_user: MakeUser, caplog: pytest.LogCaptureFixture,
) -> None:
    make_user("partner", ["idva"], username="idva.partner")
    with app.app_context():
        set_email("idva.partner", "idva.partner@csp.example")
    port = free_port()  # nothing listens there yet: the server is down
    with caplog.at_level(logging.WARNING, logger="casebook.messages"):
        (failed,) = remind_missing_returns(engine, _local_mailer(port), SEVENTH_OF_JULY)
    assert failed.status == "retrying" and failed.attempts == 1 and failed.sent_at is None
    assert failed.result is not None and failed.result.startswith(
        f"failed: could not reach 127.0.0.1:{port}")
    assert any("attempt 1 of 5" in r.getMessage() and r.levelno == logging.WARNING
               for r in caplog.records)

    inbox = Inbox()
    with smtp_server(port, inbox):
        early = SEVENTH_OF_JULY + BACKOFF[0] - timedelta(seconds=1)
        assert deliver_due(engine, _local_mailer(port), early) == []  # not its turn yet
        (retried,) = deliver_due(engine, _local_mailer(port), SEVENTH_OF_JULY + BACKOFF[0])
    assert (retried.id, retried.status, retried.attempts) == (failed.id, "sent", 2)
    assert retried.sent_at == SEVENTH_OF_JULY + BACKOFF[0]
    assert [r.recipients for r in inbox.received] == [["idva.partner@csp.example"]]
    assert deliver_due(engine, _local_mailer(port), SEVENTH_OF_JULY + timedelta(days=1)) == []


def test_a_message_that_never_goes_is_given_up_after_five_attempts_and_reported(
    app: Flask, engine: Engine, make_user: MakeUser, caplog: pytest.LogCaptureFixture,
) -> None:
    make_user("partner", ["idva"], username="no.address")  # no email address at all
    now = SEVENTH_OF_JULY
    remind_missing_returns(engine, OutboxMailer(), now)
    for wait in BACKOFF:
        now += wait
        with caplog.at_level(logging.WARNING, logger="casebook.messages"):
            (state,) = deliver_due(engine, OutboxMailer(), now)
    assert (state.status, state.attempts) == ("failed", MAX_ATTEMPTS)
    assert state.result == "failed: no.address has no email address (or no active account)"
    assert any(r.levelno == logging.ERROR and "given up" in r.getMessage()
               for r in caplog.records)
    assert deliver_due(engine, OutboxMailer(), now + timedelta(days=30)) == []


def test_an_address_added_after_a_failure_is_used_by_the_retry(
    app: Flask, engine: Engine, make_user: MakeUser,
) -> None:
    make_user("partner", ["idva"], username="late.address")
    (first,) = remind_missing_returns(engine, OutboxMailer(), SEVENTH_OF_JULY)
    assert first.status == "retrying" and first.address is None
    with app.app_context():
        set_email("late.address", "late@csp.example")
    (second,) = deliver_due(engine, OutboxMailer(), SEVENTH_OF_JULY + BACKOFF[0])
    assert (second.status, second.result, second.address) == ("outbox", OUTBOX,
                                                              "late@csp.example")


def test_credentials_are_never_sent_to_a_server_without_starttls(
    app: Flask, engine: Engine, make_user: MakeUser,
) -> None:
    make_user("partner", ["idva"], username="idva.partner")
    with app.app_context():
        set_email("idva.partner", "idva.partner@csp.example")
    inbox = Inbox()
    port = free_port()
    with smtp_server(port, inbox):
        mailer = mailer_for(f"smtp://casebook:secret@127.0.0.1:{port}")
        (state,) = remind_missing_returns(engine, mailer, SEVENTH_OF_JULY)
    assert state.status == "retrying" and state.result is not None
    assert "does not offer STARTTLS" in state.result and inbox.received == []


def test_messages_and_their_attempts_cannot_be_changed_or_removed(
    app: Flask, engine: Engine, make_user: MakeUser,
) -> None:
    make_user("partner", ["idva"], username="idva.partner")
    remind_missing_returns(engine, OutboxMailer(), SEVENTH_OF_JULY)
    for statement in ("UPDATE messages SET body = 'changed'", "DELETE FROM messages",
                      "UPDATE message_attempts SET result = 'sent'",
                      "DELETE FROM message_attempts"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with writing(engine) as connection:
                connection.execute(sa.text(statement))
    with reading(engine) as connection:
        (state,) = message_states(connection)
    assert state.attempts == 1 and "people-supported" in state.body


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://user%40csp.example:p%3Ass@mail.example:587",
     SmtpServer("mail.example", 587, "starttls", "user@csp.example", "p:ss", "user@csp.example")),
    ("smtps://casebook:pw@mail.example?from=casebook@csp.example",
     SmtpServer("mail.example", 465, "tls", "casebook", "pw", "casebook@csp.example")),
    ("smtp://localhost:25", SmtpServer("localhost", 25, "plain")),
    ("smtp://relay.example:587", SmtpServer("relay.example", 587, "starttls")),
    ("smtp://relay.example", SmtpServer("relay.example", 25, "plain")),
])
def test_the_smtp_url_says_where_and_how_to_send(url: str, expected: SmtpServer) -> None:
    assert SmtpServer.from_url(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtp://host:port"])
def test_an_smtp_url_that_cannot_be_read_is_refused_saying_why(url: str) -> None:
    with pytest.raises(BadMailUrl, match="CASEBOOK_SMTP_URL"):
        SmtpServer.from_url(url)
    assert mailer_for(None).describe().startswith("kept in this outbox")
