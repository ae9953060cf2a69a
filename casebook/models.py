"""The web app's own tables as typed ORM models: users, their schemes, API tokens, sign-in
sessions, recovery codes, the roles that need two-step sign-in, scheme history, the messages sent."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from casebook.database import engine
from casebook.roles import ROLES
from events.clock import utc_now
from events.tables import UTCDateTime


class Base(DeclarativeBase):
    """Declarative base for the web app's tables, kept apart from the event store's metadata."""

    metadata = sa.MetaData()


class User(UserMixin, Base):
    """Someone who signs in to casebook, with one role."""

    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint(f"role IN {ROLES!r}", name="ck_users_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(128), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(16))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # Unused since sign-in locks are counted from the access log (casebook.services.sign_in), which
    # counts names that have no account too; kept because the columns exist.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Where casebook's messages to them go (a partner's returns reminder); None: nowhere.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    #: Set when an administrator gives the password: every page asks for a new one until then.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: The TOTP secret, sealed (casebook.services.two_step); None until enrolment begins.
    totp_secret: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    #: When the user confirmed the secret with a code: only then does sign-in ask for codes.
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The time step of the last code accepted, so the same code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    schemes: Mapped[list[UserScheme]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin",
        order_by="UserScheme.scheme_id",
    )

    @property
    def is_active(self) -> bool:
        """Flask-Login's "may sign in": a disabled account may not."""
        return self.active

    @property
    def scheme_ids(self) -> set[str]:
        """The schemes assigned to this user (meaningful for partners)."""
        return {s.scheme_id for s in self.schemes}

    def set_password(self, password: str, method: str = "scrypt") -> None:
        """Store a salted hash of `password`, made with werkzeug's `method` (scrypt unless told)."""
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """Whether `password` matches the stored hash."""
        return check_password_hash(self.password_hash, password)


class UserScheme(Base):
    """A scheme a partner may log and read in."""

    __tablename__ = "user_schemes"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    scheme_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user: Mapped[User] = relationship(back_populates="schemes")


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship()

    @staticmethod
    def hash_of(token: str) -> str:
        """The stored form of a token."""
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @staticmethod
    def new_secret() -> str:
        """A fresh random token, shown once and never stored."""
        return "cb_" + secrets.token_urlsafe(32)


class SignInSession(Base):
    """A signed-in browser: the session cookie carries the id, only its hash is stored here."""

    __tablename__ = "sessions"

    id_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @staticmethod
    def hash_of(session_id: str) -> str:
        """The stored form of a session id."""
        return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


class RecoveryCode(Base):
    """A single-use recovery code for two-step sign-in; only its SHA-256 is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TwoStepRole(Base):
    """A role whose users must sign in with a code as well as their password."""

    __tablename__ = "two_step_roles"
    __table_args__ = (sa.CheckConstraint(f"role IN {ROLES!r}", name="ck_two_step_roles_role"),)

    role: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    required_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    required_by: Mapped[str] = mapped_column(sa.String(128))


class SchemeChange(Base):
    """One change to a scheme, kept so that nothing about a scheme is overwritten silently."""

    __tablename__ = "scheme_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    changed_by: Mapped[str] = mapped_column(sa.String(128))
    field: Mapped[str] = mapped_column(sa.String(32))
    old: Mapped[str | None] = mapped_column(sa.Text)
    new: Mapped[str | None] = mapped_column(sa.Text)


class Message(Base):
    """A message casebook sends, kept for good: its attempts are rows of their own, so nothing
    about what was sent, to whom and with what result is ever changed or removed (migration 0010
    refuses it)."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What makes it one message ("returns-reminder/2024/25 Q1/j.smith"): queued once only.
    key: Mapped[str] = mapped_column(sa.String(300), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32), index=True)
    #: The username it is for; the address is the attempt's, read from the user when sending.
    recipient: Mapped[str] = mapped_column(sa.String(128), index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MessageAttempt(Base):
    """One try at sending a message: the address used, when, and the result in words."""

    __tablename__ = "message_attempts"
    __table_args__ = (sa.UniqueConstraint("message_id", "number", name="uq_message_attempts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id"), index=True)
    #: 1 for the first attempt; one process only can store each number.
    number: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    address: Mapped[str | None] = mapped_column(sa.String(254))
    #: "sent", "written to the outbox", or "failed: <reason>".
    result: Mapped[str] = mapped_column(sa.String(500))
    delivered: Mapped[bool]


def generate_password() -> str:
    """A random password that is easy to read aloud and type: four groups of letters and digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


@contextmanager
def reading_session() -> Iterator[Session]:
    """An ORM session for reads; objects stay usable after it closes."""
    with Session(engine(), expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def writing_session() -> Iterator[Session]:
    """An ORM unit of work, committed on success; takes SQLite's write lock up front."""
    bind = engine().execution_options(casebook_write=True)
    with Session(bind, expire_on_commit=False) as session, session.begin():
        yield session
