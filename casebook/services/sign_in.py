"""Sign-in lock-out and throttling, counted from the access log by name and by address.

Failures count for the look-alike form of the name typed (casebook.services.usernames), whether or
not an account has that name, so a lock tells no one which names exist. Five failures within
the window lock the name for one window from the failure that set the lock; tries while it is
locked are refused without counting, so nobody can keep a real user locked out for longer.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from casebook.services.access_log import access_log, log_access
from projections.presentation.text import local_time

SIGN_IN_FAILED = "sign-in-failed"
SIGNED_IN = "signed-in"
#: An administrator gave the account a new password: earlier failures stop counting.
PASSWORD_RESET = "password-reset"



@dataclass(frozen=True)
class Policy:
    """How many failures lock a name or hold up an address, and for how long (the settings
    LOGIN_MAX_FAILURES, LOGIN_MAX_FAILURES_PER_ADDRESS and LOGIN_LOCKOUT_MINUTES)."""

    max_failures: int
    max_failures_per_address: int
    minutes: int

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Policy:
        return cls(max_failures=settings["LOGIN_MAX_FAILURES"],
                   max_failures_per_address=settings["LOGIN_MAX_FAILURES_PER_ADDRESS"],
                   minutes=settings["LOGIN_LOCKOUT_MINUTES"])

    @property
    def window(self) -> timedelta:
        """How long failures count, and how long a lock lasts."""
        return timedelta(minutes=self.minutes)


def address_throttled(connection: Connection, policy: Policy, address: str | None,
                      now: datetime) -> bool:
    """Whether `address` has failed to sign in too often within the window."""
    failures = connection.execute(
        sa.select(sa.func.count()).select_from(access_log).where(
            access_log.c.action == SIGN_IN_FAILED, access_log.c.at > now - policy.window,
            access_log.c.address == address,
        )
    ).scalar_one()
    return int(failures) >= policy.max_failures_per_address


def locked_until(connection: Connection, policy: Policy, key: str, now: datetime) -> datetime | None:
    """When the lock on the name `key` ends, if it is locked at `now`."""
    span, most = policy.window, policy.max_failures
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


def refused(connection: Connection, policy: Policy, key: str, address: str | None,
            now: datetime) -> tuple[str, int] | None:
    """Why a sign-in as `key` from `address` may not even be tried now, and its status."""
    # Refused tries write nothing: a throttled address hammering away costs reads only.
    if address_throttled(connection, policy, address, now):
        return throttle_message(policy), 429
    until = locked_until(connection, policy, key, now)
    return (lockout_message(policy, until), 403) if until is not None else None


def failed(connection: Connection, policy: Policy, key: str, address: str | None,
           now: datetime) -> datetime | None:
    """Count a failed sign-in; returns when the name's lock ends, if this failure set one."""
    log_access(connection, "(anonymous)", SIGN_IN_FAILED, key, address)
    return locked_until(connection, policy, key, now)


def succeeded(connection: Connection, username: str, key: str, address: str | None) -> None:
    """Record a sign-in, which clears the failures before it."""
    log_access(connection, username, SIGNED_IN, key, address)


def lockout_message(policy: Policy, until: datetime) -> str:
    """What someone signing in under a locked name is told."""
    return (f"This account is locked after {policy.max_failures} failed "
            f"sign-in attempts. Try again after {local_time(until)}, or ask an administrator to "
            "reset your password.")


def throttle_message(policy: Policy) -> str:
    """What someone signing in from a throttled address is told."""
    return ("Too many failed sign-ins have come from your network. Wait "
            f"{policy.minutes} minutes and try again.")
