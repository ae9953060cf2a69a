"""Appending events a chunk at a time, for `events.store`'s append and import.

A `Batch` looks up what the rules need to know of the stored log (one round trip on
PostgreSQL), has each event checked against it (`events.checks`), seals personal fields, writes
the events, their cases and voids (`events.rows`), and hands them to the projections, all in the
caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import nullcontext
from datetime import datetime

from sqlalchemy.engine import Connection

from events import statements
from events.acceptance import SCHEMAS_ONLY, Acceptance
from events.checks import Accepted, Checked, Found, check_chunk
from events.db import lock_for_append
from events.driver import COPY_FROM, DriverSQL
from events.model import NewEvent, StoredEvent
from events.report import AppendReport
from events.rows import case_rows, event_rows, void_rows, written_events
from events.sealing import Sealer
from events.types import VOIDED

#: What `append` and `import_lines` call to fold newly stored events into the read models.
ProjectFn = Callable[[Connection, Sequence[StoredEvent]], None]

_RULE_TYPES = statements.RULE_TYPES


class Batch:
    """Checks and appends chunks of events, remembering what earlier chunks established."""

    def __init__(
        self, connection: Connection, project: ProjectFn, recorded_at: datetime, *, locked: bool,
        acceptance: Acceptance = SCHEMAS_ONLY,
    ):
        self.connection = connection
        self.project = project
        self.recorded_at = recorded_at
        #: What the partnership's plan lets be logged (vocabulary, each scheme's types).
        self.acceptance = acceptance
        #: Whether the append lock is held already; if not, the first chunk's lookups take it.
        self.locked = locked
        self.driver = DriverSQL.of(connection)
        self.sealer = Sealer(connection, self.driver)
        #: Scheme id -> retired, read for the schemes the events name as they come (the table
        #: can change from the admin pages at any time, so it is never kept past this batch).
        self.schemes: dict[str, bool] = {}
        #: Every scheme's case reference prefix, read with the first chunk that names a case.
        self.prefixes: dict[str, str | None] | None = None
        #: Stored events not yet folded into the read models (an import folds them in bulk).
        self.unprojected: list[StoredEvent] = []
        #: The newest row's position and chain, read under the lock by the first lookups and
        #: kept up to date by each write: where the next rows' positions and links start.
        self.head: tuple[int, str | None] | None = None
        #: PostgreSQL: positions taken with a small chunk's lookups, for its write.
        self.taken: list[int] = []

    def project_pending(self) -> None:
        """Fold the events stored but not yet projected, in this transaction."""
        if self.unprojected:
            self.project(self.connection, self.unprojected)
            self.unprojected = []

    def check(
        self,
        chunk: list[tuple[int, NewEvent]],
        report: AppendReport,
        *,
        expected_versions: Mapping[str, int] | None = None,
        visible_schemes: AbstractSet[str] | None = None,
    ) -> Checked:
        """Look up and check a chunk of (line, event); duplicates and refusals go in `report`."""
        found = self._look_up(chunk, expected_versions or {})
        return check_chunk(
            self.connection, chunk, found, self.schemes, report,
            expected_versions=expected_versions or {}, visible_schemes=visible_schemes,
            acceptance=self.acceptance,
        )

    def write(
        self, checked: Checked, report: AppendReport, *, keep_stored: bool,
        defer_projection: bool = False,
    ) -> None:
        """Write a checked chunk's accepted events and project them (later, if deferred)."""
        if not checked.accepted:
            return
        stored = self._write(checked.accepted, checked.stored_cases)
        if defer_projection:
            self.unprojected.extend(stored)
        else:
            self.project(self.connection, stored)
        report.written += len(stored)
        if keep_stored:
            report.stored.extend(stored)

    def _look_up(self, chunk: list[tuple[int, NewEvent]], expected: Mapping[str, int]) -> Found:
        """Everything the rules need to know of the stored log: one round trip on PostgreSQL."""
        driver = self.driver
        events_ = [e for _, e in chunk]
        targets = [e.data["target"] for e in events_ if e.type == VOIDED]
        with driver.pipeline():
            if not self.locked:
                # Sent first in the pipeline: the lookups behind it run under the lock.
                lock_for_append(self.connection)
                self.locked = True
            known = statements.stored_ids(driver, (e.event_id for e in events_))
            target_rows = statements.void_targets(driver, targets)
            voided = statements.voided(driver, targets)
            scheme_rows = statements.schemes(
                driver, {e.scheme for e in events_} - self.schemes.keys()
            )
            case_rows = statements.case_versions(
                driver, {e.case_ref for e in events_ if e.case_ref is not None} | set(expected)
            )
            history = statements.histories(
                driver, {e.case_ref for e in events_ if e.case_ref and e.type in _RULE_TYPES}
            )
            prefixes = (statements.case_prefixes(driver) if self.prefixes is None
                        and any(e.case_ref is not None for e in events_) else None)
            head = statements.head(driver) if self.head is None else None
            # A small chunk (an interactive append) takes its positions now, in this round trip:
            # its rows' chains need them before they are sent. A bulk chunk takes them later.
            taken = (statements.next_positions(driver, len(chunk))
                     if not driver.sqlite and len(chunk) < COPY_FROM else None)
            self.sealer.expect(events_)
        self.schemes.update(scheme_rows())
        if head is not None:
            self.head = head()
        if prefixes is not None:
            self.prefixes = prefixes()
        self.taken = taken() if taken is not None else []
        return Found(known(), target_rows(), voided(), case_rows(), history(),
                     dict(self.prefixes or {}))

    def _write(self, accepted: list[Accepted], stored_cases: set[str]) -> list[StoredEvent]:
        # An IntegrityError is not caught: the rules ran under the append lock, so one means a
        # writer that bypassed the store or indexes that disagree with the log, a fault to see
        # rather than a conflict the user could resolve by reloading the case.
        # On PostgreSQL an append's keys, events, cases and voids go in one round trip (two
        # where sealing has to look up subjects' keys first); a chunk of an import goes
        # without a pipeline, so its rows can go by COPY (see `DriverSQL.insert`).
        bulk = len(accepted) >= COPY_FROM
        positions = self._positions(len(accepted))
        with nullcontext() if bulk else self.driver.pipeline():
            sealed = self.sealer.seal([e for e, _ in accepted])
            rows = event_rows(accepted, sealed, positions, self.recorded_at, self._head[1])
            statements.insert_events(self.driver, rows)
            new_cases, updates = case_rows(accepted, stored_cases)
            if new_cases:
                statements.insert_cases(self.driver, new_cases)
            if updates:
                statements.update_cases(self.driver, updates)
            if voids := void_rows(rows, accepted):
                statements.insert_voids(self.driver, voids)
        self.head = (positions[-1], rows[-1]["chain"])
        return written_events(rows, accepted)

    def _positions(self, count: int) -> list[int]:
        """The positions of the next `count` rows, in order (the append lock is held)."""
        taken, self.taken = self.taken, []
        if len(taken) >= count:
            return taken[:count]
        if self.driver.sqlite:
            # The write lock is held and rows are never removed: the next positions are known.
            start = self._head[0] + 1
            return list(range(start, start + count))
        return statements.next_positions(self.driver, count)()

    @property
    def _head(self) -> tuple[int, str | None]:
        if self.head is None:
            raise RuntimeError("the log's head is read by the batch's first lookups")
        return self.head
