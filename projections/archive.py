"""Stored summaries: immutable, versioned documents of a period's figures as known when generated."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from events.clock import utc_now
from events.db import writing
from events.quarters import FinancialYear, Quarter
from events.tables import UTCDateTime
from projections.figures import FigureReader, Period, last_quarter
from projections.summary import build_summary, has_begun, is_provisional, period_of, year_earlier

archive_metadata = sa.MetaData()

#: One row per generated document; rows are never updated or deleted (triggers refuse it).
#: A row generated before its period ended is provisional (see `StoredSummary.provisional`):
#: it shares the period's version numbers but never stands for the period.
stored_summaries = sa.Table(
    "stored_summaries",
    archive_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("year", sa.String(7), nullable=False),
    #: "Q1".."Q4", or "year" for the annual review.
    sa.Column("quarter", sa.String(4), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("generated_at", UTCDateTime, nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("as_of", UTCDateTime),
    #: The log position the figures had folded to: later positions were not in this document.
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.UniqueConstraint("year", "quarter", "version", name="uq_stored_summaries_version"),
)

#: How many quarters the history charts cover.
HISTORY_QUARTERS = 8
SCHEDULED = "scheduled"
CATCH_UP = "catch-up"


def by_hand(user: str) -> str:
    """The reason recorded for a summary someone asked for."""
    return f"by hand: {user}"


@dataclass(frozen=True)
class StoredSummary:
    """One stored version of a period's summary."""

    id: int
    year: str
    quarter: str
    version: int
    generated_at: datetime
    reason: str
    as_of: datetime | None
    position: int
    document_text: str

    @property
    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.document_text)
        # Documents stored before the key existed gain it; those after agree with it.
        document["provisional"] = self.provisional
        return document

    @property
    def provisional(self) -> bool:
        """Generated before its period ended: figures so far, never the period's summary.

        Worked out from `generated_at`, which no one can change, so a stored version cannot
        become final, nor a final one provisional.
        """
        return is_provisional(self.period, self.generated_at)

    @property
    def final(self) -> bool:
        """Generated after its period ended: a version that may stand for the period."""
        return not self.provisional

    @property
    def period(self) -> Period:
        return _period(self.year, self.quarter)

    @property
    def title(self) -> str:
        return f"{self.year} {'annual review' if self.quarter == 'year' else self.quarter}"

    def listing(self) -> dict[str, Any]:
        """The summary's particulars without its figures (for lists and `summaries list`)."""
        return {
            "id": self.id,
            "year": self.year,
            "quarter": self.quarter,
            "version": self.version,
            "generated_at": self.generated_at.isoformat(),
            "reason": self.reason,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "position": self.position,
            "final": self.final,
        }


def _period(year_text: str, quarter: str) -> Period:
    year = FinancialYear.parse(year_text)
    return year if quarter == "year" else year.quarter(int(quarter[1]))


def period_key(period: Period) -> tuple[str, str]:
    """The (year, quarter) columns that name a period."""
    if isinstance(period, FinancialYear):
        return str(period), "year"
    return str(period.year), period.label


def summary_document(connection: Connection, period: Period,
                     now: datetime) -> tuple[dict[str, Any], int]:
    """The summary JSON of spec §7 with its eight-quarter history; and the position it reflects."""
    year = period if isinstance(period, FinancialYear) else period.year
    quarter = None if isinstance(period, FinancialYear) else period.number
    document = build_summary(connection, year, quarter, now=now)
    reader = FigureReader(connection, year)
    end = last_quarter(period).index
    quarters = [Quarter.from_index(end - HISTORY_QUARTERS + 1 + i) for i in range(HISTORY_QUARTERS)]
    earlier = year_earlier(period_of(year, quarter))
    values = reader.values([*quarters, earlier])
    history: dict[str, Any] = {"quarters": [str(q) for q in quarters], "figures": {}, "bases": {}}
    for figure in reader.figures:
        history["figures"][figure.id] = [values[(figure.id, q)].value for q in quarters]
        if figure.measure == "repeat-rate":
            history["bases"][figure.id] = [values[(figure.id, q)].base for q in quarters]
            # A period in progress has its base of the same days a year earlier already.
            document["figures"][figure.id].setdefault("previous_base",
                                                      values[(figure.id, earlier)].base)
    document["history"] = history
    return document, reader.position


class PeriodNotBegun(ValueError):
    """A summary was asked for of a period whose first day has not come: it has no figures."""


def generate(
    engine: Engine, period: Period, reason: str, *, only_if_missing: bool,
    now: datetime | None = None,
) -> StoredSummary | None:
    """Store a new version of the period's summary, as at `now` (by default the clock's).

    Before the period has ended the version is provisional. With `only_if_missing` (automatic
    runs) only a first final version is stored: nothing while the period is in progress, and
    nothing once a final version exists, whatever provisional ones there are.

    The unique (year, quarter, version) key decides between concurrent generators: the one that
    loses the race gets nothing back (automatic runs) or retries with the next version (by hand).
    """
    now = (now or utc_now()).astimezone(UTC)
    if not has_begun(period, now):
        raise PeriodNotBegun(f"{period} has not begun: there is nothing to summarise yet.")
    if only_if_missing and is_provisional(period, now):
        return None
    for _attempt in range(5):
        try:
            with writing(engine) as connection:
                if connection.dialect.name == "postgresql":
                    # One snapshot for the whole document: the position, as_of and every
                    # figure then agree even while events are being appended.
                    connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                return _store(connection, period, reason, now, only_if_missing=only_if_missing)
        except sa.exc.IntegrityError:
            if only_if_missing:
                return None
    raise RuntimeError(f"could not store a new version of {period}: too many concurrent writers")


def _store(
    connection: Connection, period: Period, reason: str, now: datetime, *, only_if_missing: bool
) -> StoredSummary | None:
    year, quarter = period_key(period)
    stored = connection.execute(
        sa.select(stored_summaries.c.version, stored_summaries.c.generated_at).where(
            stored_summaries.c.year == year, stored_summaries.c.quarter == quarter
        )
    ).all()
    if only_if_missing and any(not is_provisional(period, row.generated_at) for row in stored):
        return None
    document, position = summary_document(connection, period, now)
    row: dict[str, Any] = {
        "year": year,
        "quarter": quarter,
        # One numbering per period, provisional versions included: a number names one version.
        "version": max((r.version for r in stored), default=0) + 1,
        "generated_at": now,
        "reason": reason[:200],
        "as_of": datetime.fromisoformat(document["as_of"]) if document["as_of"] else None,
        "position": position,
        "document": json.dumps(document, ensure_ascii=False, separators=(",", ":")),
    }
    new_id = connection.execute(
        sa.insert(stored_summaries).values(**row).returning(stored_summaries.c.id)
    ).scalar_one()
    return StoredSummary(id=new_id, document_text=row.pop("document"), **row)


def _from_row(row: Any) -> StoredSummary:
    return StoredSummary(
        id=row.id, year=row.year, quarter=row.quarter, version=row.version,
        generated_at=row.generated_at, reason=row.reason, as_of=row.as_of,
        position=row.position, document_text=row.document,
    )


def list_summaries(connection: Connection) -> list[StoredSummary]:
    """Every stored summary, newest period first, then newest version first."""
    rows = connection.execute(
        sa.select(stored_summaries).order_by(
            stored_summaries.c.year.desc(),
            stored_summaries.c.quarter.desc(),
            stored_summaries.c.version.desc(),
        )
    )
    return [_from_row(row) for row in rows]


def get_summary(connection: Connection, summary_id: int) -> StoredSummary | None:
    """The stored summary with this id, if any."""
    row = connection.execute(
        sa.select(stored_summaries).where(stored_summaries.c.id == summary_id)
    ).first()
    return _from_row(row) if row is not None else None


def versions_of(connection: Connection, period: Period) -> list[StoredSummary]:
    """Every version of one period's summary, oldest first."""
    year, quarter = period_key(period)
    rows = connection.execute(
        sa.select(stored_summaries)
        .where(stored_summaries.c.year == year, stored_summaries.c.quarter == quarter)
        .order_by(stored_summaries.c.version)
    )
    return [_from_row(row) for row in rows]


def previous_version(connection: Connection, summary: StoredSummary) -> StoredSummary | None:
    """The final version of the same period stored just before this final one, if any.

    A restatement compares final with final: a provisional version held figures so far, so
    what a final one adds to it is the rest of the period, not a restatement; and a provisional
    version restates nothing.
    """
    if summary.provisional:
        return None
    earlier = [s for s in versions_of(connection, summary.period)
               if s.version < summary.version and s.final]
    return earlier[-1] if earlier else None


def latest_final(connection: Connection, period: Period) -> StoredSummary | None:
    """The period's summary: its newest final version (never a provisional one), if any."""
    final = [s for s in versions_of(connection, period) if s.final]
    return final[-1] if final else None


def final_periods(connection: Connection) -> set[tuple[str, str]]:
    """The (year, quarter) of every period that has a final stored summary.

    A period with provisional versions only still lacks its summary.
    """
    rows = connection.execute(
        sa.select(stored_summaries.c.year, stored_summaries.c.quarter,
                  stored_summaries.c.generated_at)
    )
    return {(row.year, row.quarter) for row in rows
            if not is_provisional(_period(row.year, row.quarter), row.generated_at)}
