"""Read-model tables. Each rebuild writes a new generation of them (`fig_totals_g2`, ...) and swaps.

`projection_state` (managed by the migrations) says which generation is current, how far it has
folded the log, and which figure definitions built it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.tables import UTCDateTime

state_metadata = sa.MetaData()

projection_state = sa.Table(
    "projection_state",
    state_metadata,
    sa.Column("generation", sa.Integer, primary_key=True, autoincrement=False),
    #: building, current or retired.
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("definitions_hash", sa.String(32), nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
)

#: The partnership's plans (spec §8; `projections.catalogue`): rows are only ever added.
plans = sa.Table(
    "plans",
    state_metadata,
    #: The plan's financial year, by the year it starts in (2025 for 2025/26).
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    #: The plan file's content as JSON (`Plan.as_file`), and a fingerprint of it.
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("digest", sa.String(16), nullable=False),
    sa.Column("adopted_at", UTCDateTime, nullable=False),
    sa.Column("adopted_by", sa.String(128), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
)


@dataclass(frozen=True)
class Generation:
    """The tables of one generation of the read models."""

    number: int
    metadata: sa.MetaData
    totals: sa.Table
    members: sa.Table
    referrals: sa.Table
    returns: sa.Table
    activity: sa.Table

    @property
    def tables(self) -> list[sa.Table]:
        return [self.totals, self.members, self.referrals, self.returns, self.activity]

    def create(self, connection: Connection) -> None:
        self.metadata.create_all(connection)

    def drop(self, connection: Connection) -> None:
        self.metadata.drop_all(connection)


@lru_cache(maxsize=8)
def generation(number: int) -> Generation:
    """The table objects of generation `number` (they may not exist in the database yet)."""
    g = f"_g{number}"
    md = sa.MetaData()
    totals, members, activity = _counted_tables(md, g)
    referrals, returns = _listed_tables(md, g)
    return Generation(number, md, totals, members, referrals, returns, activity)


def _counted_tables(md: sa.MetaData, g: str) -> tuple[sa.Table, sa.Table, sa.Table]:
    """The running counts: totals, distinct members and each scheme's activity."""
    # Tables read only by their primary key are kept in its order on SQLite (WITHOUT ROWID):
    # a new row is one page written, not a row page and a key page. Not the referrals and
    # returns, which are read through a second index: SQLite would search their primary key's
    # first column instead, every row of a figure for each subject (quadratic in an import).
    totals = sa.Table(
        f"fig_totals{g}",
        md,
        sa.Column("figure_id", sa.String(64), primary_key=True),
        #: "q" rows are per quarter (period = quarter index); "y" rows per financial year
        #: (period = its start year), kept only where a year is not the sum of its quarters.
        sa.Column("kind", sa.String(1), primary_key=True),
        sa.Column("period", sa.Integer, primary_key=True),
        #: "" for the figure itself, else the breakdown field (or "#base" for a rate's base).
        sa.Column("field", sa.String(64), primary_key=True),
        sa.Column("value_key", sa.String(500), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )
    members = sa.Table(
        f"fig_members{g}",
        md,
        sa.Column("figure_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(1), primary_key=True),
        sa.Column("period", sa.Integer, primary_key=True),
        sa.Column("member", sa.String(500), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    activity = sa.Table(
        f"scheme_activity{g}",
        md,
        sa.Column("scheme", sa.String(64), primary_key=True),
        sa.Column("period", sa.Integer, primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    return totals, members, activity


def _listed_tables(md: sa.MetaData, g: str) -> tuple[sa.Table, sa.Table]:
    """The events some figures need one by one: referrals (for repeats) and returns (latest wins)."""
    referrals = sa.Table(
        f"fig_referrals{g}",
        md,
        sa.Column("figure_id", sa.String(64), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("period", sa.Integer, nullable=False),
        sa.Column("repeat", sa.Boolean, nullable=False),
        sa.Index(f"ix_fig_referrals{g}_subject", "figure_id", "subject"),
    )
    returns = sa.Table(
        f"fig_returns{g}",
        md,
        sa.Column("figure_id", sa.String(64), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("period", sa.Integer, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.Index(f"ix_fig_returns{g}_period", "figure_id", "period"),
    )
    return referrals, returns


def current_generation(connection: Connection) -> tuple[Generation, int, str] | None:
    """The current generation, the position it has folded to and its definitions' hash."""
    row = connection.execute(
        sa.select(
            projection_state.c.generation,
            projection_state.c.position,
            projection_state.c.definitions_hash,
        ).where(projection_state.c.status == "current")
    ).first()
    if row is None:
        return None
    return generation(row.generation), row.position, row.definitions_hash
