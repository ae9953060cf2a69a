"""The messages casebook sends: queued once, attempted until delivered, never lost silently.

A message is a row of `messages`; each try at sending it is a row of `message_attempts`. Both
are append-only (migration 0010), like the log: a retry adds an attempt, so what was sent, to
which address, when and with what result can be read back and never rewritten. A message's
state (attempts, last attempt, result, sent at) is read from its attempts.

A failed attempt is logged as a warning and tried again after BACKOFF, up to MAX_ATTEMPTS;
after that it stays "failed" on Admin → Messages and is logged as an error. The address is read
from the user at each attempt, so adding a missing address lets the next retry succeed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from casebook.models import Message, MessageAttempt, User
from casebook.services.mail import OUTBOX, SENT, Mailer, MailFailed, compose
from events.db import reading, writing

log = logging.getLogger("casebook.messages")

messages = cast(sa.Table, Message.__table__)
attempts = cast(sa.Table, MessageAttempt.__table__)
users = cast(sa.Table, User.__table__)

#: How many times a message is tried before it is left as failed.
MAX_ATTEMPTS = 5
#: The wait after the first, second, third and fourth failure before the next attempt.
BACKOFF = (timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4))


@dataclass(frozen=True)
class MessageState:
    """A stored message and what its attempts say about it."""

    id: int
    key: str
    kind: str
    recipient: str
    subject: str
    body: str
    queued_at: datetime
    attempts: int
    last_attempt_at: datetime | None
    address: str | None
    result: str | None
    delivered: bool

    @property
    def sent_at(self) -> datetime | None:
        """When it was delivered (sent, or written to the outbox); None until then."""
        return self.last_attempt_at if self.delivered else None

    @property
    def status(self) -> str:
        """"sent", "outbox", "waiting" (not yet tried), "retrying" or "failed" (given up)."""
        if self.delivered:
            return "sent" if self.result == SENT else "outbox"
        if self.attempts == 0:
            return "waiting"
        return "failed" if self.attempts >= MAX_ATTEMPTS else "retrying"

    def next_attempt_at(self) -> datetime | None:
        """When it may be tried next; None once delivered or given up."""
        if self.delivered or self.attempts >= MAX_ATTEMPTS:
            return None
        if self.last_attempt_at is None:
            return self.queued_at
        return self.last_attempt_at + BACKOFF[self.attempts - 1]


def queue(connection: Connection, *, key: str, kind: str, recipient: str, subject: str,
          body: str, now: datetime) -> bool:
    """Store a message unless one with `key` is stored already; whether it was stored.

    The key is what makes it one message (a quarter's reminder to one partner), so a job run
    twice queues nothing the second time.
    """
    found = connection.execute(sa.select(messages.c.id).where(messages.c.key == key)).first()
    if found is not None:
        return False
    connection.execute(sa.insert(messages).values(
        key=key, kind=kind, recipient=recipient, subject=subject[:200], body=body, queued_at=now))
    return True


def message_states(connection: Connection, message_id: int | None = None,
                   limit: int = 500) -> list[MessageState]:
    """The stored messages, newest first (or the one with `message_id`), with their state."""
    counted = (sa.select(attempts.c.message_id, sa.func.max(attempts.c.number).label("tries"))
               .group_by(attempts.c.message_id).subquery())
    last = attempts.alias("last_attempt")
    query = (
        sa.select(messages, sa.func.coalesce(counted.c.tries, 0).label("tries"),
                  last.c.at.label("last_at"), last.c.address, last.c.result,
                  last.c.delivered)
        .outerjoin(counted, counted.c.message_id == messages.c.id)
        .outerjoin(last, sa.and_(last.c.message_id == messages.c.id,
                                 last.c.number == counted.c.tries))
        .order_by(messages.c.id.desc()).limit(limit)
    )
    if message_id is not None:
        query = query.where(messages.c.id == message_id)
    return [
        MessageState(row.id, row.key, row.kind, row.recipient, row.subject, row.body,
                     row.queued_at, row.tries, row.last_at, row.address, row.result,
                     bool(row.delivered))
        for row in connection.execute(query)
    ]


def attempts_of(connection: Connection, message_id: int) -> list[sa.Row[Any]]:
    """Every attempt at one message, first first: number, at, address, result, delivered."""
    return list(connection.execute(
        sa.select(attempts.c.number, attempts.c.at, attempts.c.address, attempts.c.result,
                  attempts.c.delivered)
        .where(attempts.c.message_id == message_id).order_by(attempts.c.number)))


def _undelivered(connection: Connection) -> list[MessageState]:
    """Every message not yet delivered, oldest first (a stalled queue is short)."""
    delivered = sa.select(attempts.c.message_id).where(attempts.c.delivered.is_(True))
    ids = connection.execute(sa.select(messages.c.id).where(messages.c.id.not_in(delivered))
                             .order_by(messages.c.id)).scalars().all()
    return [state for message_id in ids for state in message_states(connection, message_id)]


def deliver_due(engine: Engine, mailer: Mailer, now: datetime) -> list[MessageState]:
    """Try every message whose turn has come by `now`; the messages as they are afterwards.

    Each attempt is stored in a transaction of its own after the server answered, so a slow
    server holds no lock, and an attempt another process stored first is not stored twice.
    """
    with reading(engine) as connection:
        due = [m for m in _undelivered(connection)
               if (when := m.next_attempt_at()) is not None and when <= now]
    return [_attempt(engine, mailer, message, now) for message in due]


def _attempt(engine: Engine, mailer: Mailer, message: MessageState, now: datetime) -> MessageState:
    with reading(engine) as connection:
        address = connection.execute(
            sa.select(users.c.email).where(users.c.username == message.recipient,
                                           users.c.active.is_(True))
        ).scalar()
    delivered = False
    if not address:
        result = f"failed: {message.recipient} has no email address (or no active account)"
    else:
        try:
            result = mailer.deliver(compose(mailer.sender, address, message.subject,
                                            message.body, message.key, now))
            delivered = result in (SENT, OUTBOX)
        except MailFailed as error:
            result = f"failed: {error}"
    number = message.attempts + 1
    try:
        with writing(engine) as connection:
            connection.execute(sa.insert(attempts).values(
                message_id=message.id, number=number, at=now, address=address or None,
                result=result[:500], delivered=delivered))
    except sa.exc.IntegrityError:
        log.warning("message %s: attempt %s was stored by another process", message.id, number)
    _report(message, number, result, delivered)
    with reading(engine) as connection:
        return message_states(connection, message.id)[0]


def _report(message: MessageState, number: int, result: str, delivered: bool) -> None:
    """A failure is logged as a warning, and as an error once no attempt is left."""
    if delivered:
        log.info("message %s (%s) to %s: %s", message.id, message.kind, message.recipient, result)
    elif number >= MAX_ATTEMPTS:
        log.error("message %s (%s) to %s not sent after %s attempts, given up: %s",
                  message.id, message.kind, message.recipient, number, result)
    else:
        log.warning("message %s (%s) to %s, attempt %s of %s: %s", message.id, message.kind,
                    message.recipient, number, MAX_ATTEMPTS, result)
