"""The daily digest through a real SMTP server: each owner hears of what is due or overdue on
their own cases this week, once a day, only in schemes they may still read; a failed send is
retried. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine

from casebook.models import User, UserScheme
from casebook.scheduler import send_digests
from casebook.services.digest import DIGEST
from casebook.services.mail import SmtpMailer, SmtpServer
from casebook.services.messages import BACKOFF, deliver_due, message_states
from casebook.services.user_email import set_email
from events.db import reading, writing
from tests.helpers import event, log, notice
from tests.test_casebook.conftest import MakeUser
from tests.test_casebook.smtp_server import Inbox, free_port, smtp_server

#: Where the messages the tests receive are kept (beside tests/artefacts/screenshots).
MAIL = Path(__file__).parent.parent / "artefacts" / "mail"
#: 07:00 on Friday 4 December 2026, London (GMT): the digest's hour.
FRIDAY = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)


def _mailer(port: int) -> SmtpMailer:
    return SmtpMailer(SmtpServer.from_url(f"smtp://127.0.0.1:{port}?from=casebook@csp.example"),
                      timeout=5)


def _cases(app: Flask, engine: Engine, make_user: MakeUser) -> None:
    """An officer with an overdue CPW check and an ASB Case Review threshold due on Wednesday;
    a DAVSS partner whose case has had no event since August; a second partner, moved off
    DAVSS since taking a case; an officer who owns nothing due."""
    for username, role, schemes in (("asb.officer", "officer", []),
                                    ("davss.partner", "partner", ["davss"]),
                                    ("moved.partner", "partner", ["davss"]),
                                    ("idle.officer", "officer", [])):
        make_user(role, schemes, username=username)
        with app.app_context():
            set_email(username, f"{username}@csp.example")
    log(engine,
        notice("cpw", "ASB-2026-0001", "2026-11-01T10:00:00+00:00"),
        event("case.assigned", "asb-casework", "2026-11-01T11:00:00+00:00", "ASB-2026-0001",
              officer="asb.officer"),
        # Wednesday 25 November: ten working days on is Wednesday 9 December.
        event("application.received", "asb-case-review", "2026-11-25T10:00:00+00:00",
              "CR-2026-0001", applicant="victim"),
        event("case.assigned", "asb-case-review", "2026-11-25T11:00:00+00:00", "CR-2026-0001",
              officer="asb.officer"),
        # 90 days after 1 September is 30 November.
        event("referral.received", "davss", "2026-09-01T10:00:00+00:00", "DA-2026-0001"),
        event("case.assigned", "davss", "2026-09-01T11:00:00+00:00", "DA-2026-0001",
              officer="davss.partner"),
        event("referral.received", "davss", "2026-09-02T10:00:00+00:00", "DA-2026-0002"),
        event("case.assigned", "davss", "2026-09-02T11:00:00+00:00", "DA-2026-0002",
              officer="moved.partner"),
        event("referral.received", "asb-casework", "2026-11-30T10:00:00+00:00", "ASB-2026-0002"),
        event("case.assigned", "asb-casework", "2026-11-30T11:00:00+00:00", "ASB-2026-0002",
              officer="idle.officer"),
        user="asb.officer")
    with writing(engine) as connection:
        moved = sa.select(User.id).where(User.username == "moved.partner").scalar_subquery()
        connection.execute(sa.delete(UserScheme).where(UserScheme.scheme_id == "davss",
                                                       UserScheme.user_id == moved))


def test_each_owner_gets_one_digest_of_what_is_due_on_their_own_cases(
    app: Flask, engine: Engine, make_user: MakeUser,
) -> None:
    _cases(app, engine, make_user)
    inbox = Inbox()
    port = free_port()
    with smtp_server(port, inbox):
        tried = send_digests(engine, _mailer(port), FRIDAY)
        assert sorted((m.recipient, m.status) for m in tried) == [
            ("asb.officer", "sent"), ("davss.partner", "sent")]
        again = send_digests(engine, _mailer(port), FRIDAY + timedelta(hours=3))
        assert again == []
    by_address = {r.recipients[0]: r for r in inbox.received}
    assert sorted(by_address) == ["asb.officer@csp.example", "davss.partner@csp.example"]

    officer = by_address["asb.officer@csp.example"]
    # Kept as received, to be read beside the screenshots.
    MAIL.mkdir(parents=True, exist_ok=True)
    (MAIL / f"daily-digest-{engine.dialect.name}.eml").write_bytes(officer.message.as_bytes())
    assert officer.message["Subject"] == "2 things due on your cases, 1 overdue"
    body = officer.body
    assert body.index("Overdue:") < body.index("ASB-2026-0001") < body.index("Due this week:")
    assert ("ASB-2026-0001 (ASB casework): Check compliance with the Community Protection "
            "Warning, overdue by 5 days (was due 29 November 2026)") in body
    assert ("CR-2026-0001 (ASB Case Review): Decide whether the ASB Case Review threshold is "
            "met, due in 5 days (9 December 2026)") in body
    assert "DA-" not in body

    partner = by_address["davss.partner@csp.example"]
    assert partner.message["Subject"] == "1 thing due on your cases, 1 overdue"
    assert "DA-2026-0001" in partner.body and "no event logged for a while" in partner.body
    assert "ASB-" not in partner.body and "DA-2026-0002" not in partner.body

    with reading(engine) as connection:
        stored = message_states(connection)
    assert {m.kind for m in stored} == {DIGEST}
    assert sorted(m.recipient for m in stored) == ["asb.officer", "davss.partner"]


def test_a_digest_that_cannot_be_sent_is_retried_and_then_arrives(
    app: Flask, engine: Engine, make_user: MakeUser,
) -> None:
    _cases(app, engine, make_user)
    port = free_port()  # nothing listens there yet
    failed = send_digests(engine, _mailer(port), FRIDAY)
    assert sorted((m.recipient, m.status) for m in failed) == [
        ("asb.officer", "retrying"), ("davss.partner", "retrying")]
    inbox = Inbox()
    with smtp_server(port, inbox):
        retried = deliver_due(engine, _mailer(port), FRIDAY + BACKOFF[0])
    assert sorted((m.recipient, m.status, m.attempts) for m in retried) == [
        ("asb.officer", "sent", 2), ("davss.partner", "sent", 2)]
    assert len(inbox.received) == 2
