"""Sign-in lock-out and throttling, counted from the access log by name and by address.

Failures count for the look-alike form of the name typed (casebook.services.usernames), whether or
not an account has that name, so a lock tells no one which names exist. Five failures within
the window lock the name for one window from the failure that set the lock; tries while it is
locked are refused without counting, so nobody can keep a real user locked out for longer.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.engine import Connection

from casebook.services.access_log import access_log, record

SIGN_IN_FAILED = "sign-in-failed"
SIGNED_IN = "signed-in"
#: An administrator gave the account a new password: earlier failures stop counting.
PASSWORD_RESET = "password-reset"

DEFAULTS: dict[str, Any] = {
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCKOUT_MINUTES": 15,
    #: Failed sign-ins from one address within the lockout window before it must wait.
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
}


def init_lockout(app: Flask) -> None:
    """The lock-out's default settings."""
    for key, default in DEFAULTS.items():
        app.config.setdefault(key, default)


def window() -> timedelta:
    """How long failures count, and how long a lock lasts."""
    return timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])


def address_throttled(connection: Connection, address: str | None, now: datetime) -> bool:
    """Whether `address` has failed to sign in too often within the window."""
    failures = connection.execute(
        sa.select(sa.func.count()).select_from(access_log).where(
            access_log.c.action == SIGN_IN_FAILED, access_log.c.at > now - window(),
            access_log.c.address == address,
        )
    ).scalar_one()
    return int(failures) >= current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]


def locked_until(connection: Connection, key: str, now: datetime) -> datetime | None:
    """When the lock on the name `key` ends, if it is locked at `now`."""
    span, most = window(), current_app.config["LOGIN_MAX_FAILURES"]
    # A lock in force now was set within the window by failures within the window before it.
    rows = connection.execute(
        sa.select(access_log.c.at, access_log.c.action)
        .where(access_log.c.target == key, access_log.c.at > now - 2 * span,
               access_log.c.action.in_((SIGN_IN_FAILED, SIGNED_IN, PASSWORD_RESET)))
        .order_by(access_log.c.at, access_log.c.id)
    ).all()
    recent: deque[datetime] = deque()
    until: datetime | None = None
    for at, action in rows:
        if action != SIGN_IN_FAILED:
            recent.clear()
            until = None
        elif until is None or at >= until:
            recent.append(at)
            while recent[0] <= at - span:
                recent.popleft()
            if len(recent) >= most:
                until, recent = at + span, deque()
    return until if until is not None and until > now else None


def refused(connection: Connection, key: str, address: str | None,
            now: datetime) -> tuple[str, int] | None:
    """Why a sign-in as `key` from `address` may not even be tried now, and its status."""
    # Refused tries write nothing: a throttled address hammering away costs reads only.
    if address_throttled(connection, address, now):
        return throttle_message(), 429
    until = locked_until(connection, key, now)
    return (lockout_message(until), 403) if until is not None else None


def failed(connection: Connection, key: str, address: str | None,
           now: datetime) -> datetime | None:
    """Count a failed sign-in; returns when the name's lock ends, if this failure set one."""
    record(connection, "(anonymous)", SIGN_IN_FAILED, key, address)
    return locked_until(connection, key, now)


def succeeded(connection: Connection, username: str, key: str, address: str | None) -> None:
    """Record a sign-in, which clears the failures before it."""
    record(connection, username, SIGNED_IN, key, address)


def lockout_message(until: datetime) -> str:
    """What someone signing in under a locked name is told."""
    from casebook.web import london

    return (f"This account is locked after {current_app.config['LOGIN_MAX_FAILURES']} failed "
            f"sign-in attempts. Try again after {london(until)}, or ask an administrator to "
            "reset your password.")


def throttle_message() -> str:
    """What someone signing in from a throttled address is told."""
    return ("Too many failed sign-ins have come from your network. Wait "
            f"{current_app.config['LOGIN_LOCKOUT_MINUTES']} minutes and try again.")
