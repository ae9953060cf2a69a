"""The append-only event store: check the rules, append in order, hand new events to projections.

Everything here runs inside the caller's write transaction (see `events.db.writing`), so the
events, the store's indexes and the projections' rows commit or roll back together. Each chunk
of events is checked and written by `events.batch.Batch`. Inside casebook only
`casebook.services.recording` calls `append` and `import_lines`, with the projector bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from json import JSONDecodeError

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.acceptance import SCHEMAS_ONLY, Acceptance
from events.batch import Batch, ProjectFn
from events.checks import ConcurrencyConflict, EventIdReused
from events.clock import utc_now
from events.db import lock_for_append
from events.interchange import DEFAULT_LIMITS, InvalidEvent, TimeLimits, parse_event, read_json
from events.model import NewEvent, StoredEvent, stored_from_row
from events.report import AppendReport, LineError
from events.subjects import readable_events
from events.tables import events

__all__ = [
    "AppendReport", "ConcurrencyConflict", "EventIdReused", "EventsRefused", "LineError",
    "ProjectFn", "append", "get_event", "import_lines", "last_position", "read_events",
]

#: An import checks and writes its lines this many at a time.
CHUNK = 1000

#: An import folds its events into the read models this many at a time. Every fold updates the
#: same few hundred figure rows; on PostgreSQL each update inside one long transaction leaves a
#: row version the next must step over, so folding per 1,000-line chunk slowed a large import
#: down as it went. Rules never read the read models, so nothing waits for them.
PROJECT_EVERY = 20_000
#: A PostgreSQL import refreshes the planner's statistics once the log is twice this size, then
#: each time it doubles again (see `_Statistics`).
ANALYSE_FROM = 5_000


class EventsRefused(ValueError):
    """Some of the events given could not be stored; nothing was."""

    def __init__(self, errors: Sequence[LineError], reused: Sequence[str] = ()):
        self.errors = list(errors)
        #: Ids already stored with other content (their errors are among `errors`, under "id").
        self.reused = list(reused)
        super().__init__("; ".join(str(e) for e in self.errors[:20]))


def append(
    connection: Connection,
    new_events: Sequence[NewEvent],
    *,
    project: ProjectFn,
    expected_versions: Mapping[str, int] | None = None,
    recorded_at: datetime | None = None,
    visible_schemes: AbstractSet[str] | None = None,
    acceptance: Acceptance = SCHEMAS_ONLY,
) -> AppendReport:
    """Append events after checking every rule; raise `EventsRefused` if any one is refused
    (nothing is written then), `ConcurrencyConflict` if a case is not at its expected version.

    `recorded_at` is the clock unless given (tests of what happens as time passes give it).
    `visible_schemes` are the schemes whose cases the writer may read (None: all of them): an
    expected version of any other scheme's case is checked as if that case did not exist.
    `acceptance` is what the partnership's plan lets be logged (`events.acceptance`).
    """
    report = AppendReport()
    batch = Batch(connection, project, recorded_at=recorded_at or utc_now(), locked=False,
                  acceptance=acceptance)
    checked = batch.check(
        list(enumerate(new_events, start=1)), report,
        expected_versions=expected_versions or {}, visible_schemes=visible_schemes,
    )
    if report.errors:
        raise EventsRefused(report.errors, report.reused)
    batch.write(checked, report, keep_stored=True)
    return report


def import_lines(
    connection: Connection,
    lines: Iterable[str],
    *,
    default_recorded_by: str,
    project: ProjectFn,
    chunk_size: int = CHUNK,
    on_progress: Callable[[int], None] | None = None,
    limits: TimeLimits = DEFAULT_LIMITS,
    acceptance: Acceptance = SCHEMAS_ONLY,
) -> AppendReport:
    """Check and append JSON lines in chunks; the caller rolls back if `errors` is not empty.

    Valid lines after a bad one are still appended inside the transaction, so later lines are
    checked against everything before them; nothing is committed unless every line is good.
    """
    lock_for_append(connection)
    report = AppendReport()
    batch = Batch(connection, project, recorded_at=utc_now(), locked=True, acceptance=acceptance)
    statistics = _Statistics(connection)
    chunk: list[tuple[int, NewEvent]] = []
    for number, text in enumerate(lines, start=1):
        if on_progress is not None:
            on_progress(len(text.encode()))
        if not text.strip():
            continue
        try:
            line = read_json(text)
            chunk.append((number, parse_event(line, default_recorded_by=default_recorded_by,
                                              limits=limits, acceptance=acceptance)))
        except InvalidEvent as error:
            report.errors.extend(LineError(number, f, " ".join(m)) for f, m in error.errors.items())
        except ValueError as error:
            report.errors.append(LineError(number, "line", _not_json(error)))
        if len(chunk) >= chunk_size:
            batch.write(batch.check(chunk, report), report, keep_stored=False, defer_projection=True)
            chunk = []
            if len(batch.unprojected) >= PROJECT_EVERY:
                batch.project_pending()
            statistics.update(report.written)
    if chunk:
        batch.write(batch.check(chunk, report), report, keep_stored=False, defer_projection=True)
    batch.project_pending()
    return report


def _not_json(error: ValueError) -> str:
    if isinstance(error, JSONDecodeError):
        return f"Not valid JSON ({error.msg})."
    return str(error)


class _Statistics:
    """Keeps PostgreSQL's planner statistics in step with a large import, inside its transaction.

    The server plans each lookup from its statistics, which autovacuum gathers only from what
    is committed: an import into a young log is planned for the tables as they were before it,
    and scans whole tables (cases, subjects' links) for every chunk, slower with every chunk.
    ANALYZE inside the transaction sees its own rows; it runs each time the log has doubled.
    """

    def __init__(self, connection: Connection):
        self.connection = connection
        self.postgresql = connection.dialect.name == "postgresql"
        #: The log's size when the import began, and when its statistics were last taken.
        self.base = last_position(connection) if self.postgresql else 0
        self.analysed_at = max(self.base, ANALYSE_FROM)

    def update(self, written: int) -> None:
        if self.postgresql and self.base + written >= 2 * self.analysed_at:
            self.connection.exec_driver_sql("ANALYZE")
            self.analysed_at = self.base + written


def read_events(
    connection: Connection, *, after: int = 0, batch_size: int = 5000
) -> Iterator[StoredEvent]:
    """Every stored event after position `after`, in the order stored, read page by page."""
    while True:
        rows = connection.execute(
            readable_events()
            .where(events.c.position > after)
            .order_by(events.c.position)
            .limit(batch_size)
        ).all()
        for row in rows:
            yield stored_from_row(row)
        if len(rows) < batch_size:
            return
        after = rows[-1].position


def get_event(connection: Connection, event_id: str) -> StoredEvent | None:
    """The stored event with this id, if any."""
    row = connection.execute(readable_events().where(events.c.event_id == event_id)).first()
    return stored_from_row(row) if row is not None else None


def last_position(connection: Connection) -> int:
    """The position of the newest event, 0 for an empty log."""
    newest = sa.select(sa.func.coalesce(sa.func.max(events.c.position), 0))
    return int(connection.execute(newest).scalar_one())
