"""Sign-in sessions held on the server, so that ending one takes effect at once.

The session cookie is signed but kept by the browser: on its own it cannot be taken back.
It now carries a random session id whose hash is a row of `sessions`; a cookie whose row is
gone (signed out, password reset, account disabled) or too old signs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, request

from casebook.models import SignInSession, reading_session, writing_session
from casebook.services.accounts import end_sessions

#: The key of the session id in the session cookie.
SESSION_KEY = "session_id"

#: How often a session's last-seen time is written at most: every request would turn reads
#: into writes.
TOUCH_INTERVAL = timedelta(minutes=1)


def browser_identifier() -> str:
    """What ties a session to one browser: its address (as the trusted proxies give it) and
    its user agent."""
    agent = request.headers.get("User-Agent", "")
    return hashlib.sha512(f"{request.remote_addr}|{agent}".encode()).hexdigest()


def idle_limit() -> timedelta:
    """How long a session may go unused (CASEBOOK_SESSION_HOURS)."""
    return current_app.permanent_session_lifetime


def absolute_limit() -> timedelta:
    """How long a session may last from sign-in, however busy (CASEBOOK_SESSION_MAX_HOURS)."""
    return timedelta(seconds=current_app.config["SESSION_MAX_LIFETIME"])


def start(user_id: int, now: datetime) -> str:
    """Record a new session for `user_id`; returns its id, for the cookie alone."""
    session_id = secrets.token_urlsafe(32)
    with writing_session() as db:
        db.add(SignInSession(id_hash=SignInSession.hash_of(session_id), user_id=user_id,
                             created_at=now, last_seen_at=now))
    return session_id


def user_of(session_id: object, now: datetime) -> int | None:
    """The user whose session `session_id` is, if it is still open; marks it seen."""
    if not isinstance(session_id, str) or not session_id:
        return None
    digest = SignInSession.hash_of(session_id)
    with reading_session() as db:
        found = db.get(SignInSession, digest)
    if found is None:
        return None
    if now - found.last_seen_at > idle_limit() or now - found.created_at > absolute_limit():
        with writing_session() as db:
            db.execute(sa.delete(SignInSession).where(SignInSession.id_hash == digest))
        return None
    if now - found.last_seen_at > min(TOUCH_INTERVAL, idle_limit() / 2):
        with writing_session() as db:
            db.execute(sa.update(SignInSession).where(SignInSession.id_hash == digest)
                       .values(last_seen_at=now))
    return found.user_id


def sign_out_everywhere(user_id: int) -> None:
    """End every session of `user_id` now."""
    with writing_session() as db:
        end_sessions(db, user_id)
