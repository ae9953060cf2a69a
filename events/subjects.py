"""Keys per subject and per case: personal fields are sealed with a key and erased by destroying it.

A subject's key seals the personal fields (schema metadata `personal`) of the events that name
them (their referrals) and the voids of those events; a case's own key seals the free text of the
case (outcomes, voids of its other events); an event about no subject and no case gets a key of
its own. The events table then holds only ciphertext and a random key id, so destroying a key
erases its text everywhere the log is read, while figures, which identify a subject by the key
id alone, stay exactly as they were. Keys are wrapped with a key file where one is set
(`events.keyfile`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Connection

from events.clock import utc_now
from events.driver import DriverSQL
from events.keyfile import is_wrapped, key_encryption_key, unwrap, wrap
from events.tables import UTCDateTime, events, metadata
from events.types import schema_of

#: What an erased free-text field reads as.
ERASED_TEXT = "[erased]"
#: An erased subject reads as this prefix and its key id: still one (unnamed) person, so an
#: export made after an erasure re-imports with the same repeat referrals.
ERASED_SUBJECT_PREFIX = "erased:"
#: What a sealed field reads as when the row was read without its key (see `readable_events`).
UNREAD = "[encrypted]"
_SEALED = "sealed"
#: The kinds of key: a subject's, a case's own, and an event's own (about no subject or case).
SUBJECT, CASE, EVENT = "subject", "case", "event"
#: The statement that reads the secret (see `subject_secret`), for a caller's pipeline.
SECRET_SQL = "SELECT secret FROM subject_key_secret WHERE id = 1"
#: What the lookup secret's wrapping is bound to (see `events.keyfile`).
_SECRET_PURPOSE = "lookup secret"
#: Where a database connection keeps the secret once read (SQLAlchemy's per-connection `info`).
_SECRET_INFO = "casebook.subject_key_secret"

subject_keys = sa.Table(
    "subject_keys",
    metadata,
    sa.Column("key_id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("lookup", sa.String(64), unique=True),
    sa.Column("key", sa.LargeBinary),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("erased_at", UTCDateTime),
    sqlite_with_rowid=False,
)

#: Which keys a case's data is sealed with: its subjects' (kind "subject"), and its own.
case_subjects = sa.Table(
    "case_subjects",
    metadata,
    sa.Column("case_ref", sa.String(64), primary_key=True),
    sa.Column("key_id", sa.String(36), primary_key=True),
    sa.Column("linked_at", UTCDateTime, nullable=False),
    sqlite_with_rowid=False,
)

subject_key_secret = sa.Table(
    "subject_key_secret",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("secret", sa.LargeBinary, nullable=False),
)


class SubjectUnknown(LookupError):
    """No data is held about this subject reference (or it was erased already)."""


@cache
def personal_fields(type_name: str) -> frozenset[str]:
    """The data fields of an event type that hold personal data."""
    declared = schema_of(type_name).fields
    return frozenset(name for name, field in declared.items() if field.metadata.get("personal"))


def readable_events() -> sa.Select[Any]:
    """`SELECT` of the events table with each row's key, as `stored_from_row` needs to decrypt."""
    return sa.select(events, subject_keys.c.key.label("subject_key")).select_from(
        events.outerjoin(subject_keys, subject_keys.c.key_id == events.c.key_id)
    )


def open_data(data: dict[str, Any], event_id: str, key_id: str | None, row: Any) -> dict[str, Any]:
    """`data` with its sealed fields decrypted, or marked erased where the key is destroyed."""
    if key_id is None:
        return data
    mapping = row._mapping
    joined = "subject_key" in mapping
    key = mapping["subject_key"] if joined else None
    opened = dict(data)
    for name, value in data.items():
        if _is_sealed(value):
            opened[name] = _opened(value, event_id, name, key_id, key) if joined else UNREAD
    return opened


def open_text(text: str, *, event_id: str, name: str, key_id: str | None, key: Any) -> str:
    """A personal field kept in a plain column (a void's reason), opened with the key that
    sealed it (`key`, None once destroyed); text stored in clear reads as it is."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if not _is_sealed(value):
        return text
    return UNREAD if key_id is None else str(_opened(value, event_id, name, key_id, key))


def _is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {_SEALED}


def _opened(value: dict[str, str], event_id: str, name: str, key_id: str, key: Any) -> Any:
    if key is None:
        return f"{ERASED_SUBJECT_PREFIX}{key_id}" if name == "subject" else ERASED_TEXT
    return _unseal(plain_key(key_id, bytes(key)), event_id, name, value[_SEALED])


def plain_key(key_id: str, stored: bytes) -> bytes:
    """A key as stored, unwrapped where it was wrapped with the key file."""
    return unwrap(stored, _purpose(key_id))


def stored_key(key_id: str, key: bytes) -> bytes:
    """A new key as the database holds it: wrapped where a key file is set."""
    kek = key_encryption_key()
    return key if kek is None else wrap(kek, key, _purpose(key_id))


def _purpose(key_id: str) -> str:
    # Bound into the wrapping, so a wrapped key cannot be moved to another key's row.
    return f"subject key {key_id}"


def stored_text(value: Any) -> str:
    """A field as text for a plain column: ciphertext stays ciphertext."""
    return value if isinstance(value, str) else _canonical_json(value)


def subject_lookup(secret: bytes, subject_ref: str, *, kind: str = "subject") -> str:
    """The keyed hash a subject (or a case's own key) is found by; the reference is never stored."""
    return hmac.new(secret, f"{kind}\x1f{subject_ref}".encode(), hashlib.sha256).hexdigest()


def find_subject(connection: Connection, subject_ref: str) -> str:
    """The key id of a subject with data held; `SubjectUnknown` where there is none."""
    key_id = live_key(connection, subject_ref, kind=SUBJECT)
    if key_id is None:
        # The reference is not repeated: after an erasure no output may show it.
        raise SubjectUnknown("No data is held about this subject reference.")
    return key_id


def live_key(connection: Connection, ref: str, *, kind: str) -> str | None:
    """The id of the live key of a subject or (`kind` "case") of a case, if there is one."""
    lookup = subject_lookup(subject_secret(connection), ref, kind=kind)
    key_id = connection.execute(
        sa.select(subject_keys.c.key_id).where(
            subject_keys.c.lookup == lookup, subject_keys.c.key.is_not(None)
        )
    ).scalar()
    return None if key_id is None else str(key_id)


def destroy_key(connection: Connection, key_id: str, *, at: datetime | None = None) -> None:
    """Overwrite a key and its lookup: its events' personal fields can never be read again."""
    connection.execute(
        sa.update(subject_keys)
        .where(subject_keys.c.key_id == key_id)
        .values(key=None, lookup=None, erased_at=at or utc_now())
    )


def linked_cases(connection: Connection, key_id: str) -> list[str]:
    """The cases a subject (or a case's own key) is linked to."""
    return list(
        connection.execute(
            sa.select(case_subjects.c.case_ref)
            .where(case_subjects.c.key_id == key_id)
            .order_by(case_subjects.c.case_ref)
        ).scalars()
    )


def other_subjects(connection: Connection, key_id: str, cases: list[str]) -> dict[str, int]:
    """For each of `cases`, how many subjects other than `key_id` it is about, not erased."""
    counted = dict.fromkeys(cases, 0)
    if not cases:
        return counted
    for case_ref, count in connection.execute(
        sa.select(case_subjects.c.case_ref, sa.func.count())
        .join(subject_keys, subject_keys.c.key_id == case_subjects.c.key_id)
        .where(case_subjects.c.case_ref.in_(cases), case_subjects.c.key_id != key_id,
               subject_keys.c.kind == SUBJECT, subject_keys.c.key.is_not(None))
        .group_by(case_subjects.c.case_ref)
    ):
        counted[case_ref] = int(count)
    return counted


def wrap_stored_keys(connection: Connection) -> int:
    """Wrap every key and the lookup secret still stored plain, with the key file's key; how
    many were wrapped (0 where no key file is set)."""
    kek = key_encryption_key()
    if kek is None:
        return 0
    wrapped = 0
    for key_id, key in connection.execute(
        sa.select(subject_keys.c.key_id, subject_keys.c.key).where(subject_keys.c.key.is_not(None))
    ).all():
        if not is_wrapped(bytes(key)):
            connection.execute(
                sa.update(subject_keys).where(subject_keys.c.key_id == key_id)
                .values(key=wrap(kek, bytes(key), _purpose(key_id)))
            )
            wrapped += 1
    secret = bytes(connection.execute(sa.text(SECRET_SQL)).scalar_one())
    if not is_wrapped(secret):
        connection.execute(sa.update(subject_key_secret).where(subject_key_secret.c.id == 1)
                           .values(secret=wrap(kek, secret, _SECRET_PURPOSE)))
        wrapped += 1
    return wrapped


def _unseal(key: bytes, event_id: str, name: str, sealed: str) -> Any:
    raw = base64.b64decode(sealed)
    try:
        text = AESGCM(key).decrypt(raw[:12], raw[12:], f"{event_id}/{name}".encode())
    except InvalidTag:
        return UNREAD
    return json.loads(text)


def subject_secret(connection: Connection) -> bytes:
    """The secret subjects' lookups are keyed with. It is made once, by the migration that made
    the keys, and never changes: it is read once per database connection and kept with it."""
    secret = kept_secret(connection)
    if secret is None:
        secret = keep_secret(connection, DriverSQL.of(connection).rows(SECRET_SQL)[0][0])
    return secret


def kept_secret(connection: Connection) -> bytes | None:
    """The secret, if this database connection has read it already."""
    secret: bytes | None = connection.connection.info.get(_SECRET_INFO)
    return secret


def keep_secret(connection: Connection, value: Any) -> bytes:
    """Keep the secret as read (by `SECRET_SQL`) with this database connection, unwrapped."""
    secret = connection.connection.info[_SECRET_INFO] = unwrap(bytes(value), _SECRET_PURPOSE)
    return secret


def seal_field(key: bytes, event_id: str, name: str, value: Any) -> dict[str, str]:
    """A personal field's value sealed with its subject's key, as the events table stores it."""
    nonce = os.urandom(12)
    # The event id and field name are bound in, so ciphertext cannot be moved to another event.
    text = AESGCM(key).encrypt(nonce, json.dumps(value).encode(), f"{event_id}/{name}".encode())
    return {_SEALED: base64.b64encode(nonce + text).decode("ascii")}


def _canonical_json(value: Any) -> str:
    # Written as events.model.canonical_json is; that module reads this one, so not imported.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
