"""People's own passwords: the rules a chosen password meets, and changing one's own.

An administrator never chooses a password: casebook generates it (casebook.models
generate_password) and the user must change it at their first sign-in, to one of their own.
"""

from __future__ import annotations

from casebook.models import User, reading_session, writing_session
from casebook.services.access_log import log_access
from casebook.services.accounts import AccountError, end_sessions
from casebook.services.usernames import username_key

#: A password people choose themselves: at least this long (GOV.UK and NCSC advise length
#: over rules of character classes), and at most this long.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
PASSWORD_CHANGED = "password-changed"


def password_problem(password: str, username: str) -> str | None:
    """What is wrong with a password someone chose, if anything: long enough to resist guessing
    (a passphrase is easiest), and not their username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return (f"The new password must be at least {MIN_PASSWORD_LENGTH} characters: "
                "try three or four words")
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The new password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    if username_key(username) in username_key(password) or len(set(password)) < 4:
        return "The new password is too easy to guess: do not use your username"
    return None


def change_own_password(user_id: int, current: str, new: str, again: str, *, hash_method: str,
                        keep_session: str | None, address: str | None = None) -> User:
    """Change a user's own password, checked against the current one; ends their other
    sessions (all but the one whose hash is `keep_session`)."""
    with reading_session() as db:
        user = _found(db.get(User, user_id), user_id)
    if not current:
        raise AccountError("current_password", "Enter your current password")
    if not user.check_password(current):
        raise AccountError("current_password", "Your current password is not right")
    problem = password_problem(new, user.username) if new else "Enter a new password"
    if problem:
        raise AccountError("new_password", problem)
    if new != again:
        raise AccountError("confirm_password", "The new passwords do not match: type the same "
                                               "password twice")
    if new == current:
        raise AccountError("new_password", "The new password must not be the same as the "
                                           "current one")
    with writing_session() as db:
        user = _found(db.get(User, user_id), user_id)
        user.set_password(new, hash_method)
        user.must_change_password = False
        end_sessions(db, user_id, keep=keep_session)
        log_access(db.connection(), user.username, PASSWORD_CHANGED, user.username, address)
    return user


def _found(user: User | None, user_id: int) -> User:
    if user is None:
        raise AccountError("user", f"There is no user {user_id}.")
    return user
