"""Stored summaries: immutable, versioned documents of a period's figures as known when generated."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from events.clock import utc_now
from events.db import writing
from events.quarters import FinancialYear, Quarter
from events.tables import UTCDateTime
from projections.figures import FigureReader, Period, last_quarter
from projections.summary import build_summary, period_of, year_earlier

archive_metadata = sa.MetaData()

#: One row per generated document; rows are never updated or deleted (triggers refuse it).
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
        return document

    @property
    def period(self) -> Period:
        year = FinancialYear.parse(self.year)
        return year if self.quarter == "year" else year.quarter(int(self.quarter[1]))

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
        }


def period_key(period: Period) -> tuple[str, str]:
    """The (year, quarter) columns that name a period."""
    if isinstance(period, FinancialYear):
        return str(period), "year"
    return str(period.year), period.label


def summary_document(connection: Connection, period: Period) -> tuple[dict[str, Any], int]:
    """The summary JSON of spec §7 with its eight-quarter history; and the position it reflects."""
    year = period if isinstance(period, FinancialYear) else period.year
    quarter = None if isinstance(period, FinancialYear) else period.number
    document = build_summary(connection, year, quarter)
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
            document["figures"][figure.id]["previous_base"] = values[(figure.id, earlier)].base
    document["history"] = history
    return document, reader.position


def generate(
    engine: Engine, period: Period, reason: str, *, only_if_missing: bool
) -> StoredSummary | None:
    """Store a new version of the period's summary; with `only_if_missing`, only a first one.

    The unique (year, quarter, version) key decides between concurrent generators: the one that
    loses the race gets nothing back (automatic runs) or retries with the next version (by hand).
    """
    for _attempt in range(5):
        try:
            with writing(engine) as connection:
                if connection.dialect.name == "postgresql":
                    # One snapshot for the whole document: the position, as_of and every
                    # figure then agree even while events are being appended.
                    connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                return _store(connection, period, reason, only_if_missing=only_if_missing)
        except sa.exc.IntegrityError:
            if only_if_missing:
                return None
    raise RuntimeError(f"could not store a new version of {period}: too many concurrent writers")


def _store(
    connection: Connection, period: Period, reason: str, *, only_if_missing: bool
) -> StoredSummary | None:
    year, quarter = period_key(period)
    newest = connection.execute(
        sa.select(sa.func.max(stored_summaries.c.version)).where(
            stored_summaries.c.year == year, stored_summaries.c.quarter == quarter
        )
    ).scalar()
    if newest is not None and only_if_missing:
        return None
    document, position = summary_document(connection, period)
    row: dict[str, Any] = {
        "year": year,
        "quarter": quarter,
        "version": (newest or 0) + 1,
        "generated_at": utc_now(),
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
    """The version of the same period stored just before this one, if any."""
    earlier = [s for s in versions_of(connection, summary.period) if s.version < summary.version]
    return earlier[-1] if earlier else None


def stored_periods(connection: Connection) -> set[tuple[str, str]]:
    """The (year, quarter) of every period that has at least one stored summary."""
    rows = connection.execute(
        sa.select(stored_summaries.c.year, stored_summaries.c.quarter).distinct()
    )
    return {(row.year, row.quarter) for row in rows}
