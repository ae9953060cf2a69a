"""Sealing the personal fields of events about to be appended, each with the key it belongs to.

A `Sealer` finds each event's key — its subject's where the event names one; else its case's
own; for a void, its target's key, else its target's case's; else a key of the event's own —,
makes the keys and case links that do not exist yet, and seals the event's personal fields with
it (`events.subjects` holds the keys' tables and the sealed format). So every personal field is
sealed, and destroying a subject's key and the keys of the cases they alone are in leaves none of
their text readable.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Connection

from events.clock import utc_now
from events.driver import DriverSQL, Pending
from events.model import NewEvent, canonical_json
from events.subjects import (
    CASE,
    EVENT,
    SECRET_SQL,
    SUBJECT,
    keep_secret,
    kept_secret,
    personal_fields,
    plain_key,
    seal_field,
    stored_key,
    subject_lookup,
)
from events.types import VOIDED


@dataclass
class _Key:
    key_id: str
    key: bytes


@dataclass(frozen=True)
class _Sealed:
    """What a void of an event needs to know: the key it was sealed with (if any, and live) and
    its case."""

    key: _Key | None
    case_ref: str | None


#: How many events and case links a sealer remembers between batches: an import of a million
#: lines must not hold a million entries (its memory has to stay flat as the file grows).
CACHE_LIMIT = 20_000

_KEYS_SQL = 'SELECT lookup, key_id, "key" FROM subject_keys WHERE {} AND "key" IS NOT NULL'
_LINKS_SQL = "SELECT case_ref, key_id FROM case_subjects WHERE {}"
_TARGETS_SQL = (
    'SELECT e.event_id, e.key_id, k."key", e.case_ref FROM events e'
    " LEFT OUTER JOIN subject_keys k ON k.key_id = e.key_id WHERE {}"
)


class Sealer:
    """Seals the personal fields of events about to be appended, making keys as needed."""

    def __init__(self, connection: Connection, driver: DriverSQL | None = None):
        self.connection = connection
        self.driver = driver or DriverSQL.of(connection)
        self._secret = kept_secret(connection)
        self._secret_sent: Pending | None = None
        #: Reads `_prefetch` sent with the caller's lookups (`expect`), for `seal` to load.
        self._prefetched: Callable[[], None] | None = None
        self._subjects: dict[str, _Key] = {}
        #: case ref -> the case's own live key, or None where it has none (looked up already).
        self._case_keys: dict[str, _Key | None] = {}
        #: (case ref, subject key id) links stored, for the cases in `_linked`.
        self._links: set[tuple[str, str]] = set()
        self._linked: set[str] = set()
        self._events: dict[str, _Sealed] = {}
        #: (kind, ref) -> lookup, for the refs of the batch last loaded (see `_load`).
        self._new_lookups: dict[tuple[str, str], str] = {}

    def expect(self, batch: Sequence[NewEvent]) -> None:
        """Send what sealing `batch` (or a part of it) will read, to ride in the caller's
        pipeline: the keys it needs, or only the secret they are found by if not known yet."""
        self._prefetched = None
        if not _any_personal(batch):
            return
        if self._secret is None:
            if self._secret_sent is None:
                self._secret_sent = self.driver.send(SECRET_SQL)
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
        self._fetch_case_keys(self._stored_targets_cases(batch))
        sealed: list[tuple[str | None, str]] = []
        new_keys: list[dict[str, Any]] = []
        new_links: list[dict[str, Any]] = []
        now = utc_now()
        for event in batch:
            fields = personal_fields(event.type) & event.data.keys()
            key = self._key_for(event, new_keys, new_links, now) if fields else None
            self._events[event.event_id] = _Sealed(key, event.case_ref)
            if key is None:
                sealed.append((None, event.data_json))
                continue
            data = dict(event.data)
            for name in fields:
                data[name] = seal_field(key.key, event.event_id, name, data[name])
            sealed.append((key.key_id, canonical_json(data)))
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
        if len(self._events) + len(self._links) <= CACHE_LIMIT:
            return
        self._subjects.clear()
        self._case_keys.clear()
        self._links.clear()
        self._linked.clear()
        self._events.clear()

    def _key_for(
        self, event: NewEvent, new_keys: list[dict[str, Any]], new_links: list[dict[str, Any]],
        now: datetime,
    ) -> _Key:
        subject = event.data.get("subject")
        if isinstance(subject, str):
            return self._subject_key(subject, event.case_ref, new_keys, new_links, now)
        case_ref = event.case_ref
        if event.type == VOIDED:
            target = self._events.get(event.data["target"])
            if target is not None and target.key is not None:
                return target.key
            case_ref = target.case_ref if target is not None else None
        if case_ref is None:
            return _new_key(new_keys, EVENT, None, now)
        if case_ref not in self._case_keys:
            self._fetch_case_keys([case_ref])
        key = self._case_keys[case_ref]
        if key is None:
            key = self._case_keys[case_ref] = _new_key(
                new_keys, CASE, self._lookup(case_ref, kind=CASE), now
            )
            # Linked like a subject, so whatever erases the case's keys (retention) finds it
            # even when it seals only voids, which belong to no case themselves.
            new_links.append({"case_ref": case_ref, "key_id": key.key_id, "linked_at": now})
        return key

    def _subject_key(
        self, subject: str, case_ref: str | None, new_keys: list[dict[str, Any]],
        new_links: list[dict[str, Any]], now: datetime,
    ) -> _Key:
        key = self._subjects.get(subject)
        if key is None:
            key = self._subjects[subject] = _new_key(new_keys, SUBJECT, self._lookup(subject), now)
        if case_ref is not None and (case_ref, key.key_id) not in self._links:
            self._links.add((case_ref, key.key_id))
            new_links.append({"case_ref": case_ref, "key_id": key.key_id, "linked_at": now})
        return key

    def _lookup(self, ref: str, *, kind: str = SUBJECT) -> str:
        known = self._new_lookups.get((kind, ref))
        if known is not None:
            return known
        if self._secret is None:
            sent = self._secret_sent or self.driver.send(SECRET_SQL)
            self._secret = keep_secret(self.connection, sent.rows()[0][0])
        return subject_lookup(self._secret, ref, kind=kind)

    def _stored_targets_cases(self, batch: Sequence[NewEvent]) -> set[str]:
        """The cases whose own keys this batch's voids need and `_prefetch` could not know of:
        those of stored targets sealed with no live key."""
        return {
            target.case_ref for target in (
                self._events.get(e.data["target"]) for e in batch if e.type == VOIDED
            )
            if target is not None and target.key is None and target.case_ref is not None
            and target.case_ref not in self._case_keys
        }

    def _fetch_case_keys(self, case_refs: Iterable[str]) -> None:
        """Read the own keys of these cases now (a void of a stored event needs them rarely)."""
        lookups = {self._lookup(c, kind=CASE): c for c in case_refs}
        if not lookups:
            return
        self._load_keys({}, lookups, self.driver.send_for_keys(_KEYS_SQL, "lookup", lookups))

    def _prefetch(self, batch: Sequence[NewEvent]) -> Callable[[], None]:
        """Send for the keys, case links and void targets' keys this batch needs; the function
        that loads them once read (sent in the caller's pipeline: one round trip on PostgreSQL)."""
        named = [e for e in batch if isinstance(e.data.get("subject"), str)]
        by_lookup = {self._lookup(s): s for s in {e.data["subject"] for e in named}
                     if s not in self._subjects}
        in_batch = {e.event_id: e for e in batch}
        voids = [e.data["target"] for e in batch if e.type == VOIDED]
        cases = {
            e.case_ref for e in batch
            if e.case_ref is not None and not isinstance(e.data.get("subject"), str)
            and personal_fields(e.type) & e.data.keys()
        } | {in_batch[t].case_ref for t in voids if t in in_batch and in_batch[t].case_ref}
        case_lookups = {self._lookup(c, kind=CASE): c for c in cases - set(self._case_keys)
                        if c is not None}
        linked = {e.case_ref for e in named if e.case_ref is not None} - self._linked
        targets = [t for t in voids if t not in in_batch and t not in self._events]
        driver = self.driver
        keys = driver.send_for_keys(_KEYS_SQL, "lookup", [*by_lookup, *case_lookups])
        links = driver.send_for_keys(_LINKS_SQL, "case_ref", linked)
        target_keys = driver.send_for_keys(_TARGETS_SQL, "e.event_id", targets)
        return lambda: self._load(by_lookup, case_lookups, linked, keys, links, target_keys)

    def _load(
        self, by_lookup: dict[str, str], case_lookups: dict[str, str], linked: set[str],
        keys: list[Pending], links: list[Pending], target_keys: list[Pending],
    ) -> None:
        # The refs with no key yet get one in `_key_for`, under the lookup worked out here.
        self._new_lookups = {
            **{(SUBJECT, ref): lookup for lookup, ref in by_lookup.items()},
            **{(CASE, ref): lookup for lookup, ref in case_lookups.items()},
        }
        self._load_keys(by_lookup, case_lookups, keys)
        self._links.update((case_ref, key_id) for sent in links for case_ref, key_id in sent.rows())
        self._linked |= linked
        for event_id, key_id, key_bytes, case_ref in (
            row for sent in target_keys for row in sent.rows()
        ):
            live = key_id is not None and key_bytes is not None
            key = _Key(key_id, plain_key(key_id, bytes(key_bytes))) if live else None
            self._events[event_id] = _Sealed(key, case_ref)

    def _load_keys(
        self, by_lookup: dict[str, str], case_lookups: dict[str, str], keys: list[Pending]
    ) -> None:
        for lookup, key_id, key_bytes in (row for sent in keys for row in sent.rows()):
            key = _Key(key_id, plain_key(key_id, bytes(key_bytes)))
            if lookup in by_lookup:
                self._subjects[by_lookup[lookup]] = key
            else:
                self._case_keys[case_lookups[lookup]] = key
        for case_ref in case_lookups.values():
            self._case_keys.setdefault(case_ref, None)


def _any_personal(batch: Sequence[NewEvent]) -> bool:
    return any(personal_fields(e.type) & e.data.keys() for e in batch)


def _new_key(rows: list[dict[str, Any]], kind: str, lookup: str | None, now: datetime) -> _Key:
    """A new key; an event's own key has no lookup, as nothing will look for it by reference."""
    key = _Key(str(uuid.uuid4()), AESGCM.generate_key(bit_length=256))
    rows.append({
        "key_id": key.key_id, "kind": kind, "lookup": lookup,
        "key": stored_key(key.key_id, key.key), "created_at": now,
    })
    return key
