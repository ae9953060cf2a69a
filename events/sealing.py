"""Sealing the personal fields of events about to be appended, with their subjects' keys.

A `Sealer` finds each event's key (its subject's, its case's first linked subject's, or a key of
the case's own), makes the keys and case links that do not exist yet, and seals the event's
personal fields with it (`events.subjects` holds the keys' tables and the sealed format).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Connection

from events.driver import DriverSQL, Pending
from events.model import NewEvent, canonical_json
from events.quarters import utc_now
from events.subjects import (
    SECRET_SQL,
    keep_secret,
    kept_secret,
    personal_fields,
    seal_field,
    subject_lookup,
)
from events.types import VOIDED


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
        self._secret = kept_secret(connection)
        self._secret_sent: Pending | None = None
        #: Reads `_prefetch` sent with the caller's lookups (`expect`), for `seal` to load.
        self._prefetched: Callable[[], None] | None = None
        self._subjects: dict[str, _Key] = {}
        self._case_keys: dict[str, _Key] = {}
        #: case ref -> the key its free text is sealed with (first linked live subject).
        self._case_links: dict[str, _Key | None] = {}
        self._links: set[tuple[str, str]] = set()
        self._by_event: dict[str, _Key | None] = {}
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
        known = self._new_lookups.get((kind, ref))
        if known is not None:
            return known
        if self._secret is None:
            sent = self._secret_sent or self.driver.send(SECRET_SQL)
            self._secret = keep_secret(self.connection, sent.rows()[0][0])
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
        # The refs with no key yet get one in `_key_for`, under the lookup worked out here.
        self._new_lookups = {
            **{("subject", ref): lookup for lookup, ref in by_lookup.items()},
            **{("case", ref): lookup for lookup, ref in case_lookups.items()},
        }
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
