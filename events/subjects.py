"""Per-subject keys: personal fields are sealed with their subject's key and erased by destroying it.

A subject's key seals the personal fields (schema metadata `personal`) of every event about them:
their referrals, and the free text of the cases they are linked to. A case with no subject gets a
key of its own. The events table then holds only ciphertext and a random key id, so destroying
the key erases the person everywhere the log is read, while figures, which identify a subject by
the key id alone, stay exactly as they were.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Connection

from events.driver import DriverSQL, Pending
from events.quarters import utc_now
from events.tables import UTCDateTime, events, metadata
from events.types import EVENT_TYPES, VOIDED

if TYPE_CHECKING:
    from events.model import NewEvent

#: What an erased free-text field reads as.
ERASED = "[erased]"
#: An erased subject reads as this prefix and its key id: still one (unnamed) person, so an
#: export made after an erasure re-imports with the same repeat referrals.
ERASED_SUBJECT_PREFIX = "erased:"
#: What a sealed field reads as when the row was read without its key (see `readable_events`).
UNREAD = "[encrypted]"
_SEALED = "sealed"
_SECRET = "SELECT secret FROM subject_key_secret WHERE id = 1"
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

#: Which subjects a case is about: its free text is sealed with the first one's key.
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
    schema = EVENT_TYPES[type_name].schema
    return frozenset(
        name for name, f in schema._declared_fields.items() if f.metadata.get("personal")
    )


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
        if not (isinstance(value, dict) and set(value) == {_SEALED}):
            continue
        if not joined:
            opened[name] = UNREAD
        elif key is None:
            opened[name] = f"{ERASED_SUBJECT_PREFIX}{key_id}" if name == "subject" else ERASED
        else:
            opened[name] = _unseal(bytes(key), event_id, name, value[_SEALED])
    return opened


def open_text(text: str, *, event_id: str, name: str, key_id: str | None, row: Any) -> str:
    """A personal field kept in a plain column (a void's reason), opened like `open_data`."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if not isinstance(value, dict):
        return text
    return str(open_data({name: value}, event_id, key_id, row)[name])


def stored_text(value: Any) -> str:
    """A field as text for a plain column: ciphertext stays ciphertext."""
    return value if isinstance(value, str) else _canonical_json(value)


def subject_lookup(secret: bytes, subject_ref: str, *, kind: str = "subject") -> str:
    """The keyed hash a subject (or a case's own key) is found by; the reference is never stored."""
    return hmac.new(secret, f"{kind}\x1f{subject_ref}".encode(), hashlib.sha256).hexdigest()


def find_subject(connection: Connection, subject_ref: str) -> str:
    """The key id of a subject with data held; `SubjectUnknown` where there is none."""
    lookup = subject_lookup(_secret(connection), subject_ref)
    key_id = connection.execute(
        sa.select(subject_keys.c.key_id).where(
            subject_keys.c.lookup == lookup, subject_keys.c.key.is_not(None)
        )
    ).scalar()
    if key_id is None:
        raise SubjectUnknown(f"No data is held about the subject {subject_ref!r}.")
    return str(key_id)


def destroy_key(connection: Connection, key_id: str, *, at: datetime | None = None) -> None:
    """Overwrite a key and its lookup: its events' personal fields can never be read again."""
    connection.execute(
        sa.update(subject_keys)
        .where(subject_keys.c.key_id == key_id)
        .values(key=None, lookup=None, erased_at=at or utc_now())
    )


def linked_cases(connection: Connection, key_id: str) -> list[str]:
    """The cases a subject is linked to."""
    return list(
        connection.execute(
            sa.select(case_subjects.c.case_ref)
            .where(case_subjects.c.key_id == key_id)
            .order_by(case_subjects.c.case_ref)
        ).scalars()
    )


@dataclass
class _Key:
    key_id: str
    key: bytes


#: How many events and case links a sealer remembers between batches: an import of a million
#: lines must not hold a million entries (its memory has to stay flat as the file grows).
CACHE_LIMIT = 20_000


class Sealer:
    """Seals the personal fields of events about to be appended, making keys as needed."""

    def __init__(self, connection: Connection, driver: DriverSQL | None = None):
        self.connection = connection
        self.driver = driver or DriverSQL.of(connection)
        #: Kept for as long as the database connection lives (see `_secret`).
        self._info = connection.connection.info
        self._secret: bytes | None = self._info.get(_SECRET_INFO)
        self._secret_sent: Pending | None = None
        #: Reads `_prefetch` sent with the caller's lookups (`expect`), for `seal` to load.
        self._prefetched: Callable[[], None] | None = None
        self._subjects: dict[str, _Key] = {}
        self._case_keys: dict[str, _Key] = {}
        #: case ref -> the key its free text is sealed with (first linked live subject).
        self._case_links: dict[str, _Key | None] = {}
        self._links: set[tuple[str, str]] = set()
        self._by_event: dict[str, _Key | None] = {}

    def expect(self, batch: Sequence[NewEvent]) -> None:
        """Send what sealing `batch` (or a part of it) will read, to ride in the caller's
        pipeline: the keys it needs, or only the secret they are found by if not known yet."""
        self._prefetched = None
        if not _any_personal(batch):
            return
        if self._secret is None:
            if self._secret_sent is None:
                self._secret_sent = self.driver.send(_SECRET)
            return
        self._make_room()
        self._prefetched = self._prefetch(batch)

    def seal(self, batch: Sequence[NewEvent]) -> list[tuple[str | None, str]]:
        """Each event's key id (or None) and data JSON, personal fields sealed.

        `batch` is the events of the last `expect` that are to be stored, or any events if
        `expect` was not called for them."""
        if not _any_personal(batch):
            self._prefetched = None
            return [(None, e.data_json) for e in batch]
        load, self._prefetched = self._prefetched, None
        if load is None:
            self._make_room()
            with self.driver.pipeline():
                load = self._prefetch(batch)
        load()
        sealed: list[tuple[str | None, str]] = []
        new_keys: list[dict[str, Any]] = []
        new_links: list[dict[str, Any]] = []
        now = utc_now()
        for event in batch:
            fields = personal_fields(event.type) & event.data.keys()
            key = self._key_for(event, new_keys, new_links, now) if fields else None
            self._by_event[event.event_id] = key
            if key is None:
                sealed.append((None, event.data_json))
                continue
            data = dict(event.data)
            for name in fields:
                data[name] = {_SEALED: _seal(key.key, event.event_id, name, data[name])}
            sealed.append((key.key_id, _canonical_json(data)))
        driver = self.driver
        if new_keys:
            driver.insert(
                "subject_keys", ("key_id", "kind", "lookup", '"key"', "created_at"),
                ((k["key_id"], k["kind"], k["lookup"], k["key"], driver.time(k["created_at"]))
                 for k in new_keys),
            )
        if new_links:
            driver.insert(
                "case_subjects", ("case_ref", "key_id", "linked_at"),
                ((k["case_ref"], k["key_id"], driver.time(k["linked_at"])) for k in new_links),
            )
        return sealed

    def _make_room(self) -> None:
        """Drop what earlier batches loaded once it is too much to keep; `_prefetch` reads back
        what a batch needs from this transaction."""
        if len(self._by_event) + len(self._links) <= CACHE_LIMIT:
            return
        self._subjects.clear()
        self._case_keys.clear()
        self._case_links.clear()
        self._links.clear()
        self._by_event.clear()

    def _key_for(
        self, event: NewEvent, new_keys: list[dict[str, Any]], new_links: list[dict[str, Any]],
        now: datetime,
    ) -> _Key | None:
        subject = event.data.get("subject")
        if isinstance(subject, str):
            key = self._subjects.get(subject)
            if key is None:
                key = self._subjects[subject] = _new_key(
                    new_keys, "subject", self._lookup(subject), now
                )
            if event.case_ref is not None and (event.case_ref, key.key_id) not in self._links:
                self._links.add((event.case_ref, key.key_id))
                new_links.append({"case_ref": event.case_ref, "key_id": key.key_id, "linked_at": now})
                if self._case_links.get(event.case_ref) is None:
                    self._case_links[event.case_ref] = key
            return key
        if event.type == VOIDED:
            return self._by_event.get(event.data["target"])
        if event.case_ref is None:
            return None
        linked = self._case_links.get(event.case_ref)
        if linked is not None:
            return linked
        key = self._case_keys.get(event.case_ref)
        if key is None:
            key = self._case_keys[event.case_ref] = _new_key(
                new_keys, "case", self._lookup(event.case_ref, kind="case"), now
            )
        return key

    def _lookup(self, ref: str, *, kind: str = "subject") -> str:
        if self._secret is None:
            sent = self._secret_sent or self.driver.send(_SECRET)
            self._secret = self._info[_SECRET_INFO] = bytes(sent.rows()[0][0])
        return subject_lookup(self._secret, ref, kind=kind)

    def _prefetch(self, batch: Sequence[NewEvent]) -> Callable[[], None]:
        """Send for the keys, case links and void targets' keys this batch needs; the function
        that loads them once read (sent in the caller's pipeline: one round trip on PostgreSQL)."""
        subjects = {
            e.data["subject"] for e in batch
            if isinstance(e.data.get("subject"), str) and e.data["subject"] not in self._subjects
        }
        by_lookup = {self._lookup(s): s for s in subjects}
        cases = {
            e.case_ref for e in batch
            if e.case_ref is not None and personal_fields(e.type) & e.data.keys()
            and e.case_ref not in self._case_links
        }
        case_lookups = {self._lookup(c, kind="case"): c for c in cases - set(self._case_keys)}
        targets = [
            e.data["target"] for e in batch
            if e.type == VOIDED and personal_fields(e.type) & e.data.keys()
            and e.data["target"] not in self._by_event
        ]
        driver = self.driver
        keys = driver.send_for_keys(
            'SELECT lookup, key_id, "key" FROM subject_keys WHERE {} AND "key" IS NOT NULL',
            "lookup", [*by_lookup, *case_lookups],
        )
        links = driver.send_for_keys(
            'SELECT l.case_ref, l.key_id, k."key" FROM case_subjects l'
            " JOIN subject_keys k ON k.key_id = l.key_id WHERE {} ORDER BY l.linked_at, l.key_id",
            "l.case_ref", cases,
        )
        target_keys = driver.send_for_keys(
            'SELECT e.event_id, e.key_id, k."key" FROM events e'
            " LEFT OUTER JOIN subject_keys k ON k.key_id = e.key_id WHERE {}",
            "e.event_id", targets,
        )
        return lambda: self._load(by_lookup, case_lookups, cases, keys, links, target_keys)

    def _load(
        self, by_lookup: dict[str, str], case_lookups: dict[str, str], cases: set[str],
        keys: list[Pending], links: list[Pending], target_keys: list[Pending],
    ) -> None:
        for lookup, key_id, key_bytes in (row for sent in keys for row in sent.rows()):
            key = _Key(key_id, bytes(key_bytes))
            if lookup in by_lookup:
                self._subjects[by_lookup[lookup]] = key
            else:
                self._case_keys[case_lookups[lookup]] = key
        for case_ref, key_id, key_bytes in (row for sent in links for row in sent.rows()):
            self._links.add((case_ref, key_id))
            if key_bytes is not None and self._case_links.get(case_ref) is None:
                self._case_links[case_ref] = _Key(key_id, bytes(key_bytes))
        for case_ref in cases:
            self._case_links.setdefault(case_ref, None)
        for event_id, key_id, key_bytes in (row for sent in target_keys for row in sent.rows()):
            live_key = key_id is not None and key_bytes is not None
            self._by_event[event_id] = _Key(key_id, bytes(key_bytes)) if live_key else None


def _any_personal(batch: Sequence[NewEvent]) -> bool:
    return any(personal_fields(e.type) & e.data.keys() for e in batch)


def _new_key(rows: list[dict[str, Any]], kind: str, lookup: str, now: datetime) -> _Key:
    key = _Key(str(uuid.uuid4()), AESGCM.generate_key(bit_length=256))
    rows.append({
        "key_id": key.key_id, "kind": kind, "lookup": lookup, "key": key.key, "created_at": now,
    })
    return key


def _seal(key: bytes, event_id: str, name: str, value: Any) -> str:
    nonce = os.urandom(12)
    # The event id and field name are bound in, so ciphertext cannot be moved to another event.
    text = AESGCM(key).encrypt(nonce, json.dumps(value).encode(), f"{event_id}/{name}".encode())
    return base64.b64encode(nonce + text).decode("ascii")


def _unseal(key: bytes, event_id: str, name: str, sealed: str) -> Any:
    raw = base64.b64decode(sealed)
    try:
        text = AESGCM(key).decrypt(raw[:12], raw[12:], f"{event_id}/{name}".encode())
    except InvalidTag:
        return UNREAD
    return json.loads(text)


def _secret(connection: Connection) -> bytes:
    """The secret subjects' lookups are keyed with. It is made once, by the migration that made
    the keys, and never changes: it is read once per database connection and kept with it."""
    info = connection.connection.info
    if _SECRET_INFO not in info:
        info[_SECRET_INFO] = bytes(DriverSQL.of(connection).rows(_SECRET)[0][0])
    secret: bytes = info[_SECRET_INFO]
    return secret


def _canonical_json(value: Any) -> str:
    # Written as events.model.canonical_json is; that module reads this one, so not imported.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
