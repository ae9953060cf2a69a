"""Sending one message: through the SMTP server CASEBOOK_SMTP_URL names, or to the outbox.

A mailer only delivers; what was sent and with what result is kept by casebook.services.messages.
Without a server (as with `make run`) the outbox mailer "delivers" by doing nothing more: every
message is already stored, and Admin → Messages shows it, so a newcomer sees what would go.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

#: The results in words, as stored on each attempt.
SENT = "sent"
OUTBOX = "written to the outbox"
#: The sender when the URL names none.
DEFAULT_SENDER = "casebook@localhost"
#: How long to wait for the server, in seconds, before the attempt counts as failed.
TIMEOUT_SECONDS = 30.0


class MailFailed(Exception):
    """A message could not be handed to the server; the message says why, in words."""


class BadMailUrl(ValueError):
    """CASEBOOK_SMTP_URL cannot be read: the message says what is wrong with it."""


class Mailer(Protocol):
    """Something that delivers a message, or raises MailFailed."""

    sender: str

    def deliver(self, message: EmailMessage) -> str:
        """Deliver `message`; the result in words (SENT or OUTBOX)."""

    def describe(self) -> str:
        """Where messages go, for the admin page (never a password)."""


@dataclass(frozen=True)
class SmtpServer:
    """An SMTP server and how to talk to it, read from a URL.

    smtp:// speaks STARTTLS when there are credentials or the port is 587 (submission), and
    refuses to send if the server does not offer it, so a password never crosses in clear;
    otherwise (a local relay on port 25) it speaks plain SMTP. smtps:// is TLS from the start.
    """

    host: str
    port: int
    security: str  # "starttls", "tls" or "plain"
    username: str | None = None
    password: str | None = None
    sender: str = DEFAULT_SENDER

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """The server `url` names ("smtp://user:pass@host:587?from=casebook@example.org")."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise BadMailUrl("CASEBOOK_SMTP_URL must look like smtp://user:password@host:587, "
                             "smtps://user:password@host:465 or smtp://host:25")
        try:
            port = parts.port
        except ValueError as error:
            raise BadMailUrl(f"CASEBOOK_SMTP_URL has a port that is not a number: {error}") from None
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        if parts.scheme == "smtps":
            security, port = "tls", port or 465
        else:
            port = port or (587 if username else 25)
            security = "starttls" if username or port == 587 else "plain"
        chosen = parse_qs(parts.query).get("from", [])
        sender = chosen[0] if chosen else (username if username and "@" in username
                                           else DEFAULT_SENDER)
        return cls(parts.hostname, port, security, username, password, sender)


class SmtpMailer:
    """Hands each message to one SMTP server, over a connection of its own."""

    def __init__(self, server: SmtpServer, timeout: float = TIMEOUT_SECONDS) -> None:
        self.server = server
        self.sender = server.sender
        self.timeout = timeout

    def describe(self) -> str:
        """The server and its security, without credentials."""
        words = {"starttls": "with STARTTLS", "tls": "over TLS", "plain": "without encryption"}
        who = f" as {self.server.username}" if self.server.username else ""
        return (f"sent through {self.server.host}:{self.server.port} "
                f"{words[self.server.security]}{who}")

    def deliver(self, message: EmailMessage) -> str:
        """Send `message`, or raise MailFailed saying why it was not accepted."""
        try:
            self._send(message)
        except MailFailed:
            raise
        except smtplib.SMTPRecipientsRefused as error:
            refused = ", ".join(f"{code} {reply.decode(errors='replace')}"
                                for code, reply in error.recipients.values())
            raise MailFailed(f"the server refused the address: {refused}") from error
        except smtplib.SMTPResponseException as error:
            reply = error.smtp_error
            if isinstance(reply, bytes):
                reply = reply.decode(errors="replace")
            raise MailFailed(f"the server answered {error.smtp_code} {reply}") from error
        except (OSError, smtplib.SMTPException) as error:
            raise MailFailed(f"could not reach {self.server.host}:{self.server.port}: "
                             f"{getattr(error, 'strerror', None) or error}") from error
        return SENT

    def _send(self, message: EmailMessage) -> None:
        server = self.server
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if server.security == "tls":
            connection = smtplib.SMTP_SSL(server.host, server.port, timeout=self.timeout,
                                          context=context)
        else:
            connection = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        with connection:
            connection.ehlo()
            if server.security == "starttls":
                if not connection.has_extn("starttls"):
                    raise MailFailed(f"{server.host}:{server.port} does not offer STARTTLS, so "
                                     "nothing was sent (a password would cross in clear)")
                connection.starttls(context=context)
                connection.ehlo()
            if server.username:
                connection.login(server.username, server.password or "")
            connection.send_message(message)


class OutboxMailer:
    """No server: the stored message is the delivery, read at Admin → Messages."""

    sender = DEFAULT_SENDER

    def describe(self) -> str:
        """Where messages go without a server."""
        return "kept in this outbox only: no mail server is set (CASEBOOK_SMTP_URL)"

    def deliver(self, message: EmailMessage) -> str:
        """Nothing to hand over: the message is already stored."""
        return OUTBOX


def mailer_for(url: str | None) -> Mailer:
    """The mailer for a CASEBOOK_SMTP_URL value: the outbox when it is unset."""
    if not url:
        return OutboxMailer()
    return SmtpMailer(SmtpServer.from_url(url))


def compose(sender: str, to: str, subject: str, body: str, key: str, now: datetime) -> EmailMessage:
    """A plain-text message dated `now`; its Message-ID carries `key`, so every attempt at one
    stored message is recognisably the same message."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(now.timestamp(), usegmt=True)
    message["Message-ID"] = make_msgid(idstring=_safe(key), domain=sender.rpartition("@")[2]
                                       or "localhost")
    message.set_content(body)
    return message


def _safe(text: str) -> str:
    """`text` with only the characters a Message-ID may carry unquoted."""
    return "".join(c if c.isalnum() or c in ".-" else "-" for c in text)[:64]
