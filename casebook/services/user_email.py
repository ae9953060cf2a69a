"""A user's email address: where the messages casebook sends them go."""

from __future__ import annotations

import re

import sqlalchemy as sa

from casebook.models import User, writing_session

#: The longest address SMTP carries (RFC 5321's path limit less its brackets).
LONGEST_EMAIL = 254
#: Something@somewhere.tld with no space, comma, angle bracket or line break: enough to catch a
#: typo, and nothing that could add a header or a second recipient to a message.
_ADDRESS = re.compile(r"[^\s@,;<>\"()]+@[^\s@,;<>\"()]+\.[^\s@,;<>\"()]+")


class EmailRefused(ValueError):
    """The address cannot be used: the message says why, naming the field."""


def email_problem(address: str) -> str | None:
    """Why `address` cannot be a user's email address, or None (blank means none)."""
    if not address:
        return None
    if len(address) > LONGEST_EMAIL:
        return f"Email address must be {LONGEST_EMAIL} characters or fewer"
    if not _ADDRESS.fullmatch(address):
        return "Enter an email address in the correct format, like name@example.org"
    return None


def set_email(username: str, address: str) -> str | None:
    """Give `username` the address (blank removes it); the address stored. KeyError: no user."""
    address = address.strip()
    problem = email_problem(address)
    if problem:
        raise EmailRefused(problem)
    with writing_session() as db:
        user = db.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise KeyError(username)
        user.email = address or None
    return address or None
