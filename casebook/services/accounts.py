"""Managing people and schemes: the operations the admin pages and the command line share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casebook.database import engine
from casebook.models import (
    ApiToken,
    SchemeChange,
    SignInSession,
    User,
    UserScheme,
    generate_password,
    reading_session,
    utc_now,
    writing_session,
)
from casebook.roles import ADMIN, ROLES, SCHEME_LIMITED
from casebook.services.access_log import log_access
from casebook.services.sign_in import PASSWORD_RESET
from casebook.services.usernames import username_key, username_problem
from events.db import reading
from events.interchange import SCHEME_ID
from events.tables import schemes as schemes_table

SCHEME_FIELDS = ("name", "lead", "priority")


class AccountError(ValueError):
    """A change to a user or scheme that cannot be made; `field` names the input at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class SchemeRow:
    """A scheme as the admin pages show it."""

    scheme_id: str
    name: str
    lead: str
    priority: str
    retired: bool


def all_schemes() -> list[SchemeRow]:
    """Every scheme, by name."""
    with reading(engine()) as connection:
        rows = connection.execute(sa.select(schemes_table).order_by(schemes_table.c.name)).all()
    return [SchemeRow(r.scheme_id, r.name, r.lead, r.priority, r.retired_at is not None)
            for r in rows]


def known_schemes() -> set[str]:
    """Every scheme id in the database."""
    return {s.scheme_id for s in all_schemes()}


def check_schemes(role: str, scheme_ids: Iterable[str]) -> list[str]:
    """The scheme ids, checked to exist and to make sense for `role`."""
    if role not in ROLES:
        raise AccountError("role", "Choose what the user may do")
    chosen = sorted(set(scheme_ids))
    known = known_schemes()
    missing = [s for s in chosen if s not in known]
    if missing:
        raise AccountError("schemes", f"There is no scheme {', '.join(missing)} "
                                      f"(known: {', '.join(sorted(known))}).")
    if role in SCHEME_LIMITED and not chosen:
        raise AccountError("schemes", "Choose at least one scheme for a partner.")
    return chosen if role in SCHEME_LIMITED else []


def new_user_problems(username: str, role: str, scheme_ids: Iterable[str]) -> dict[str, str]:
    """Everything wrong with a new user's details at once, by field (empty when all is well)."""
    problems: dict[str, str] = {}
    with reading_session() as db:
        problem = username_problem(username, db.execute(sa.select(User.username)).scalars())
    if problem:
        problems["username"] = problem
    try:
        check_schemes(role, scheme_ids)
    except AccountError as error:
        problems[error.field] = error.message
    return problems


def create_user(username: str, role: str, scheme_ids: Iterable[str] = (),
                password: str | None = None, *, hash_method: str,
                must_change: bool = True) -> tuple[User, str]:
    """Add a user; returns the user and their password (generated unless given), hashed by
    `hash_method` (the PASSWORD_HASH_METHOD setting). Someone else gave that password, so it
    must be changed at the first sign-in unless `must_change` is False."""
    problems = new_user_problems(username, role, scheme_ids)
    if problems:
        raise AccountError(*next(iter(problems.items())))
    chosen = check_schemes(role, scheme_ids)
    password = password or generate_password()
    with writing_session() as db:
        # Checked again in the writing transaction: someone may have been added meanwhile.
        problem = username_problem(username, db.execute(sa.select(User.username)).scalars())
        if problem:
            raise AccountError("username", problem)
        user = User(username=username, role=role, active=True, failed_logins=0,
                    must_change_password=must_change, schemes=[UserScheme(scheme_id=s) for s in chosen])
        user.set_password(password, hash_method)
        db.add(user)
    return user, password


def _user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise AccountError("user", f"There is no user {user_id}.")
    return user


def _other_active_admins(db: Session, user_id: int) -> int:
    return db.execute(sa.select(sa.func.count()).select_from(User).where(
        User.role == ADMIN, User.active.is_(True), User.id != user_id)).scalar_one()


def change_access(user_id: int, role: str, scheme_ids: Iterable[str]) -> User:
    """Change a user's role and schemes; the last active admin stays an admin."""
    chosen = check_schemes(role, scheme_ids)
    with writing_session() as db:
        user = _user(db, user_id)
        if user.role == ADMIN and role != ADMIN and not _other_active_admins(db, user_id):
            raise AccountError("role", "This is the only active administrator: make someone "
                                       "else an administrator first.")
        user.role = role
        user.schemes = [UserScheme(scheme_id=s) for s in chosen]
    return user


def set_active(user_id: int, active: bool) -> User:
    """Disable or enable a user; the last active admin cannot be disabled."""
    with writing_session() as db:
        user = _user(db, user_id)
        if not active and user.role == ADMIN and not _other_active_admins(db, user_id):
            raise AccountError("active", "This is the only active administrator: it cannot "
                                         "be disabled.")
        user.active = active
        if not active:
            end_sessions(db, user_id)
            db.execute(sa.update(ApiToken).where(ApiToken.user_id == user_id,
                                                 ApiToken.revoked_at.is_(None))
                       .values(revoked_at=utc_now()))
    return user


def end_sessions(db: Session, user_id: int, keep: str | None = None) -> None:
    """End every session of `user_id` (but the one whose hash is `keep`), in the caller's unit
    of work."""
    db.execute(sa.delete(SignInSession).where(SignInSession.user_id == user_id,
                                              SignInSession.id_hash != (keep or "")))


def reset_password(user_id: int, by: str, *, hash_method: str) -> tuple[User, str]:
    """Give a user a new generated password, ending their sessions and any lock; returns it.
    The user must change it when they next sign in."""
    password = generate_password()
    with writing_session() as db:
        user = _user(db, user_id)
        user.set_password(password, hash_method)
        user.must_change_password = True
        end_sessions(db, user_id)
        # The sign-in lock counts failures since the last reset (see casebook.services.sign_in).
        log_access(db.connection(), by, PASSWORD_RESET, username_key(user.username))
    return user, password


def create_token(username: str, name: str) -> str:
    """Create an API token for `username`; returns the secret, which is never stored."""
    secret = ApiToken.new_secret()
    with writing_session() as db:
        user = db.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise AccountError("username", f"There is no user called {username}.")
        if not user.active:
            raise AccountError("username", f"{username} is disabled.")
        db.add(ApiToken(user_id=user.id, token_hash=ApiToken.hash_of(secret), name=name))
    return secret


def tokens_of(user_id: int) -> list[ApiToken]:
    """A user's API tokens, newest first (their hashes only: the secrets are never kept)."""
    with reading_session() as db:
        return list(db.execute(sa.select(ApiToken).where(ApiToken.user_id == user_id)
                               .order_by(ApiToken.id.desc())).scalars())


def revoke_token(token_id: int, user_id: int | None = None) -> ApiToken:
    """Revoke a token (of `user_id`, when given); revoking twice keeps the first time."""
    with writing_session() as db:
        token = db.get(ApiToken, token_id)
        if token is None or (user_id is not None and token.user_id != user_id):
            raise AccountError("token", f"There is no token {token_id}.")
        token.revoked_at = token.revoked_at or utc_now()
    return token


def add_scheme(scheme_id: str, fields: dict[str, str], changed_by: str) -> None:
    """Add a scheme and record its creation in the scheme's history."""
    if not SCHEME_ID.match(scheme_id):
        raise AccountError("scheme_id", "Enter an id of lower-case letters, digits and dashes, "
                                        "like asb-casework.")
    _check_scheme_fields(fields)
    with writing_session() as db:
        if db.execute(sa.select(schemes_table.c.scheme_id)
                      .where(schemes_table.c.scheme_id == scheme_id)).first():
            raise AccountError("scheme_id", f"There is already a scheme {scheme_id}.")
        db.execute(sa.insert(schemes_table).values(scheme_id=scheme_id, **fields))
        db.add_all(SchemeChange(scheme_id=scheme_id, changed_by=changed_by, field=name,
                                old=None, new=fields[name]) for name in SCHEME_FIELDS)


def change_scheme(scheme_id: str, fields: dict[str, str], changed_by: str) -> int:
    """Change a scheme's name, lead or priority, keeping each change; returns how many changed."""
    _check_scheme_fields(fields)
    with writing_session() as db:
        row = db.execute(sa.select(schemes_table)
                         .where(schemes_table.c.scheme_id == scheme_id)).first()
        if row is None:
            raise AccountError("scheme_id", f"There is no scheme {scheme_id}.")
        changed = {name: value for name, value in fields.items()
                   if getattr(row, name) != value}
        if changed:
            db.execute(sa.update(schemes_table).where(schemes_table.c.scheme_id == scheme_id)
                       .values(**changed))
            db.add_all(SchemeChange(scheme_id=scheme_id, changed_by=changed_by, field=name,
                                    old=getattr(row, name), new=value)
                       for name, value in changed.items())
    return len(changed)


def set_retired(scheme_id: str, retired: bool, changed_by: str) -> None:
    """Retire a scheme (no new events) or bring it back, keeping the change in its history."""
    with writing_session() as db:
        row = db.execute(sa.select(schemes_table)
                         .where(schemes_table.c.scheme_id == scheme_id)).first()
        if row is None:
            raise AccountError("scheme_id", f"There is no scheme {scheme_id}.")
        if (row.retired_at is not None) == retired:
            return
        db.execute(sa.update(schemes_table).where(schemes_table.c.scheme_id == scheme_id)
                   .values(retired_at=utc_now() if retired else None))
        db.add(SchemeChange(scheme_id=scheme_id, changed_by=changed_by, field="retired",
                            old="no" if retired else "yes", new="yes" if retired else "no"))


def scheme_history(scheme_id: str) -> list[SchemeChange]:
    """Every recorded change to a scheme, newest first."""
    with reading_session() as db:
        return list(db.execute(
            sa.select(SchemeChange).where(SchemeChange.scheme_id == scheme_id)
            .order_by(SchemeChange.changed_at.desc(), SchemeChange.id.desc())
        ).scalars())


def _check_scheme_fields(fields: dict[str, str]) -> None:
    for name in SCHEME_FIELDS:
        value = fields.get(name, "").strip()
        if not value:
            raise AccountError(name, f"Enter the scheme's {name}.")
        if len(value) > 200:
            raise AccountError(name, f"The {name} must be 200 characters or fewer.")
        fields[name] = value
    for name in set(fields) - set(SCHEME_FIELDS):
        raise AccountError(name, f"Unknown field {name}.")
