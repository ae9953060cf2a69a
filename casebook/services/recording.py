"""The one way events are logged: append or import with the projector bound, refusals as data.

The page, the API, the command line and erasure all come here with the connection of the write
transaction they opened; nothing else in casebook calls `events.store.append` or `import_lines`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from casebook.models import User
from events.acceptance import Acceptance
from events.interchange import DEFAULT_LIMITS, TimeLimits
from events.model import NewEvent, StoredEvent
from events.store import AppendReport, ConcurrencyConflict, EventsRefused, append, import_lines
from events.types import CASE_ASSIGNED
from projections.catalogue import load_plans
from projections.rebuild import project

#: Item index (from 0, in the order given) -> field -> what is wrong with it.
Refusals = dict[int, dict[str, list[str]]]


@dataclass(frozen=True)
class Recorded:
    """What became of events sent to be logged: all stored (less duplicates), or none."""

    stored: list[StoredEvent] = field(default_factory=list)
    #: Ids already stored with the same content: sending an event again stores it once.
    duplicates: list[str] = field(default_factory=list)
    refusals: Refusals = field(default_factory=dict)
    #: Ids already stored with other content (refused under "id" too): another event needs its own.
    reused: list[str] = field(default_factory=list)
    conflict: ConcurrencyConflict | None = None

    @property
    def refused(self) -> bool:
        """Whether nothing was stored because of a refusal or a conflict."""
        return bool(self.refusals) or self.conflict is not None


def record(
    connection: Connection,
    events: Sequence[NewEvent],
    expected_versions: Mapping[str, int] | None = None,
    *,
    visible_schemes: AbstractSet[str] | None = None,
) -> Recorded:
    """Append `events` in the caller's write transaction; a refusal or conflict writes nothing.

    `visible_schemes` are the schemes the writer may read (None: all): an expected version of
    another scheme's case is checked as if the case did not exist (see `events.store.append`).
    """
    try:
        report = append(connection, events, project=project,
                        expected_versions=dict(expected_versions or {}),
                        visible_schemes=visible_schemes,
                        acceptance=acceptance(connection, any(e.type == CASE_ASSIGNED
                                                              for e in events)))
    except ConcurrencyConflict as conflict:
        return Recorded(conflict=conflict)
    except EventsRefused as refused:
        refusals: Refusals = {}
        for error in refused.errors:
            refusals.setdefault(error.line - 1, {}).setdefault(error.field, []).append(error.message)
        return Recorded(refusals=refusals, reused=refused.reused)
    return Recorded(stored=report.stored, duplicates=report.duplicates)


def record_lines(
    connection: Connection,
    lines: Iterable[str],
    *,
    default_recorded_by: str,
    on_progress: Callable[[int], None] | None = None,
    limits: TimeLimits = DEFAULT_LIMITS,
) -> AppendReport:
    """Import JSON lines in the caller's write transaction; roll it back if `errors` is not empty."""
    return import_lines(connection, lines, default_recorded_by=default_recorded_by,
                        project=project, on_progress=on_progress, limits=limits,
                        acceptance=acceptance(connection))


def acceptance(connection: Connection, assigning: bool = True) -> Acceptance:
    """What may be logged: what the plans let be, and cases assigned only to active users (the
    users are read only where `assigning` says some event may assign a case)."""
    if not assigning:
        return load_plans(connection).acceptance
    officers = connection.execute(sa.select(User.username).where(User.active)).scalars()
    return replace(load_plans(connection).acceptance, officers=frozenset(officers))
