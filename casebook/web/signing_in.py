"""The steps between a right password and a signed-in session: the code step of two-step sign-in.

After the password, someone who must give a code is not signed in: the session holds only who
they said they are, for a few minutes, and the code page (casebook.web.pages.account) finishes the
sign-in. The password step then counts as no success for the lock-out (casebook.services.sign_in),
so nobody who knows a password can try codes for ever by typing the password again between tries.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, request, session
from flask_login import login_user

from casebook.database import engine
from casebook.models import User, reading_session
from casebook.services import sign_in as lockout
from casebook.services.usernames import username_key
from casebook.web import sessions
from events.db import reading, writing

#: The session key that holds a sign-in waiting for its code.
PENDING = "two_step_pending"
#: How long the code step waits after the password.
PENDING_FOR = timedelta(minutes=10)
#: What a wrong code is told, whichever kind of code it was.
WRONG_CODE = "The code is not right"


def start_second_step(user: User, next_url: str | None, now: datetime) -> None:
    """Remember that `user` gave the right password and now owes a code."""
    session.clear()
    session[PENDING] = {"user": user.id, "next": next_url or "", "since": now.isoformat()}


def pending_user(now: datetime) -> User | None:
    """The user whose sign-in waits for a code, while it may still be finished."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    try:
        since = datetime.fromisoformat(str(pending.get("since")))
    except ValueError:
        return None
    if not since <= now < since + PENDING_FOR:
        session.pop(PENDING, None)
        return None
    with reading_session() as db:
        user = db.get(User, pending["user"])
    return user if user is not None and user.active else None


def pending_next() -> str | None:
    """Where the sign-in was going before the code step."""
    pending = session.get(PENDING)
    return str(pending.get("next") or "") or None if isinstance(pending, dict) else None


def refusal(user: User, now: datetime) -> tuple[str, int] | None:
    """Why no code may be tried for `user` now (the lock-out), with its status."""
    policy = lockout.Policy.from_settings(current_app.config)
    with reading(engine()) as connection:
        return lockout.refused(connection, policy, username_key(user.username),
                               request.remote_addr, now)


def code_failed(user: User, now: datetime) -> tuple[str, int]:
    """Count a wrong code as a failed sign-in; the message and status to answer with."""
    policy = lockout.Policy.from_settings(current_app.config)
    with writing(engine()) as connection:
        until = lockout.failed(connection, policy, username_key(user.username),
                               request.remote_addr, now)
    if until is not None:
        session.pop(PENDING, None)
        return lockout.lockout_message(policy, until), 403
    return WRONG_CODE, 200


def finish(user: User, now: datetime) -> None:
    """Sign `user` in: a fresh session, recorded on the server and in the access log."""
    with writing(engine()) as connection:
        lockout.succeeded(connection, user.username, username_key(user.username),
                          request.remote_addr)
    session.clear()
    login_user(user)
    session.permanent = True
    session[sessions.SESSION_KEY] = sessions.start(user.id, now)
